"""Money is integer cents (USD): reading dollars people type and writing cents for them."""
import re
from decimal import Decimal, InvalidOperation

_DOLLARS = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


def money(cents: int | None) -> str:
    """$1,234.50; -$5.00; "" for None."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"


def whole_money(cents: int) -> str:
    """$150 for whole dollars, $62.50 otherwise."""
    return f"${cents // 100:,}" if cents % 100 == 0 else money(cents)


def dollars(cents: int) -> str:
    """Cents as a plain decimal for CSV: 71666 → '716.66' (no $ or thousands commas)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def parse_dollars(text: str) -> int | None:
    """"62.50", "$62.5", "1,000" → cents; None when it is not a dollar amount."""
    text = (text or "").strip()
    if not _DOLLARS.match(text):
        return None
    try:
        cents = Decimal(text.lstrip("$").strip().replace(",", "")) * 100
    except InvalidOperation:
        return None
    return int(cents)
