"""How a voucher reads at the desk: what remains, its history, which actions apply."""
from dataclasses import dataclass
from datetime import timedelta

from flask import render_template
from flask_login import current_user

from giftshop.desk.forms import (CashOutForm, RedeemAmountForm, RedeemSessionsForm,
                                 VoidForm)
from giftshop.desk.ledger import STAFF_REVERSAL_WINDOW, cashable, history, reversed_ids
from giftshop.models import LedgerEntry, Voucher
from giftshop.models.base import utcnow
from giftshop.web import money

KIND_LABELS = {"issue": "Issued", "redeem": "Redeemed", "reverse": "Reversed",
               "cashout": "Cashed out", "void": "Voided", "refund": "Refunded",
               "adjust": "Adjusted"}
# Form prefixes keep field ids unique when several forms share the voucher screen.
PREFIX = {"redeem": "redeem", "cashout": "cashout", "void": "void", "reverse": "reverse"}


def amount(voucher: Voucher, value: int) -> str:
    """Cents as money for money vouchers, a session count for packages."""
    if voucher.is_money:
        return money(value)
    return f"{value} session" if abs(value) == 1 else f"{value} sessions"


def remaining_text(voucher: Voucher) -> str:
    """"$62.50 of $100.00" or "3 of 6 sessions left"."""
    if voucher.is_money:
        return f"{money(voucher.remaining)} of {money(voucher.initial)}"
    return f"{voucher.remaining} of {voucher.initial} sessions left"


@dataclass
class HistoryRow:
    entry: LedgerEntry
    label: str
    change: str
    who: str
    reversed: bool
    can_reverse: bool


def history_rows(voucher: Voucher, staff) -> list[HistoryRow]:
    entries = history(voucher)
    undone = reversed_ids(entries)
    now = utcnow()
    rows = []
    for e in entries:
        change = amount(voucher, abs(e.delta))
        in_window = staff.is_owner or now - e.created_at <= STAFF_REVERSAL_WINDOW
        rows.append(HistoryRow(
            entry=e, label=KIND_LABELS.get(e.kind, e.kind), change=change,
            who=e.staff.display_name if e.staff else "Shop",
            reversed=e.id in undone,
            can_reverse=(e.kind == "redeem" and e.id not in undone and in_window
                         and voucher.status == "active"),
        ))
    return rows


def action_forms(voucher: Voucher, **submitted) -> dict:
    """Fresh forms (each with a new idempotency key), or the ones just submitted."""
    redeem_cls = RedeemAmountForm if voucher.is_money else RedeemSessionsForm
    forms = {
        "redeem": redeem_cls(prefix=PREFIX["redeem"], formdata=None),
        "cashout": CashOutForm(prefix=PREFIX["cashout"], formdata=None),
        "void": VoidForm(prefix=PREFIX["void"], formdata=None),
    }
    forms.update(submitted)
    return forms


def voucher_screen(voucher: Voucher, *, error: str | None = None, status: int = 200,
                   **submitted):
    staff = current_user
    rows = history_rows(voucher, staff)
    page = render_template(
        "desk/voucher.html", voucher=voucher, remaining=remaining_text(voucher),
        rows=list(reversed(rows)), forms=action_forms(voucher, **submitted), error=error,
        can_redeem=voucher.status == "active" and not voucher.frozen and voucher.remaining > 0,
        can_cash_out=cashable(voucher, [r.entry for r in rows]),
        can_void=staff.is_owner and voucher.status == "active",
        amount=lambda value: amount(voucher, value),
        window_hours=int(STAFF_REVERSAL_WINDOW / timedelta(hours=1)),
    )
    return page, status


def entry_summary(entry: LedgerEntry) -> str:
    """"Redeemed 1 session", "Reversed +$20.00" — what one entry did, for people."""
    change = amount(entry.voucher, abs(entry.delta))
    return f"{KIND_LABELS.get(entry.kind, entry.kind)} {change}"
