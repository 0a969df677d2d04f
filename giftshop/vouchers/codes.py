"""Voucher codes: 60 random bits in Crockford's base32 (no I, L, O or U).

Printed as WHM-XXXX-XXXX-XXXX; stored as the 12 bare characters. Typed input is
accepted in any case, with or without spaces and dashes, and with the look-alikes
O→0 and I/L→1 mapped back.
"""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12  # 12 × 5 bits = 60 bits
PREFIX = "WHM"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def generate_code() -> str:
    """A new random code, normalized (uniqueness is the caller's to check)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(text: str) -> str | None:
    """The stored form of a typed or scanned code, or None when it cannot be one.

    Accepts a whole QR URL (`…/v/WHM-…`), the printed form, or the bare code.
    """
    if not text:
        return None
    text = text.strip()
    if "/v/" in text:
        text = text.rsplit("/v/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    text = _SEPARATORS.sub("", text.upper())
    if text.startswith(PREFIX) and len(text) == LENGTH + len(PREFIX):
        text = text[len(PREFIX):]
    text = text.translate(_LOOKALIKES)
    return text if _VALID.match(text) else None


def format_code(code: str) -> str:
    """The printed form: WHM-XXXX-XXXX-XXXX."""
    groups = [code[i:i + 4] for i in range(0, len(code), 4)]
    return "-".join([PREFIX, *groups])
