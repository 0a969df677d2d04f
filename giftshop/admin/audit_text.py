"""The audit log in words: each row's change as "field: before → after" lines.

Only presentation: the stored before/after JSON stays as it is (the page also shows it
raw). Fields ending in `_cents` are shown in dollars under the name without the suffix.
"""
import json
from dataclasses import dataclass
from typing import Any

from giftshop.money import money

ARROW = "→"


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the field was not recorded before (a creation)
    after: str | None   # None: not recorded after

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.field}: {self.after}"
        return f"{self.field}: {self.before} {ARROW} {self.after if self.after is not None else '—'}"


def field_label(key: str) -> str:
    return key.removesuffix("_cents").replace("_", " ")


def show_value(key: str, value: Any) -> str:
    """A recorded value as a person reads it: dollars, yes/no, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_cents") and isinstance(value, int):
        return money(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "(none)"
    if value == "":
        return "(empty)"
    return str(value)


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """What differs between the two snapshots, in the order the fields were recorded.

    Fields equal on both sides are left out; a field on one side only is shown from
    that side (a creation lists what was set)."""
    before, after = before or {}, after or {}
    result = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key in before and key in after and before[key] == after[key]:
            continue
        result.append(Change(
            field_label(key),
            show_value(key, before[key]) if key in before else None,
            show_value(key, after[key]) if key in after else None))
    return result


def raw(value: dict | None) -> str:
    """The stored JSON, for the details view."""
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                              indent=1)
