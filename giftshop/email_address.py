"""The shop's one rule for an email address: buyers', recipients' and staff accounts'.

One address, no display name, a dot in the domain, at most 254 characters, nothing a
header could be split on (quotes, commas, semicolons, angle brackets, control codes).
"""
import re

MAX_LENGTH = 254
INVALID = "Enter a valid email address."
_SHAPE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")


def is_email(text) -> bool:
    return (isinstance(text, str) and len(text) <= MAX_LENGTH and text.isprintable()
            and _SHAPE.match(text) is not None)


def check_email(value, field: str, errors: dict, *, required: bool) -> str | None:
    """The stripped address, or None with the reason put in `errors[field]` (nothing is
    put there for an absent optional one)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = "This field is required."
        return None
    if not isinstance(value, str):
        errors[field] = "Must be text."
        return None
    value = value.strip()
    if not is_email(value):
        errors[field] = INVALID
        return None
    return value
