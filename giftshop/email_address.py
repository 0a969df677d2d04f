"""The shop's one rule for an email address: buyers', recipients' and staff accounts'.

One address, no display name, a dot in the domain, at most 254 characters, nothing a
header could be split on (quotes, commas, semicolons, angle brackets, control codes).
"""
import re

from giftshop.text_fields import present_text

MAX_LENGTH = 254
INVALID = "Enter a valid email address."
_SHAPE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")


def is_email(text) -> bool:
    return (isinstance(text, str) and len(text) <= MAX_LENGTH and text.isprintable()
            and _SHAPE.match(text) is not None)


def check_email(value, field: str, errors: dict, *, required: bool) -> str | None:
    """The stripped address, or None with the reason put in `errors[field]` (nothing is
    put there for an absent optional one)."""
    value = present_text(value, field, errors, required=required)
    if value is None:
        return None
    if not is_email(value):
        errors[field] = INVALID
        return None
    return value
