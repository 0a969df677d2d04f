"""The prepaid gratuity a buyer may add to a gift: how much it is, and its Stripe line.

A gratuity is chosen per gift (order line) as a share of the gift's price (15, 20 or 25 %
on the form; any whole percent from 1 to 100 over the API) or as a whole-dollar amount.
Each voucher of the line carries it (`voucher.gratuity_cents`); it is charged with the
order on a Checkout line of its own and never becomes part of the voucher's value (see
`giftshop/vouchers/gratuity.py` for what happens to it afterwards).
"""
from giftshop.models import Order, OrderItem

#: What the order form offers; the API takes any whole percent up to MAX_PERCENT.
PERCENT_CHOICES = (15, 20, 25)
MAX_PERCENT = 100
MAX_GRATUITY_CENTS = 50_000
LINE_NAME = "Gratuity for your therapist"


def percent_of(price_cents: int, percent: int) -> int:
    """`percent` % of a price in cents, rounded to whole cents half-up (integers only)."""
    return (price_cents * percent + 50) // 100


def parse_gratuity(raw, price_cents: int | None, field: str,
                   errors: dict) -> tuple[int, int | None]:
    """(cents per unit, percent or None) for an item's `gratuity` value, or (0, None).

    `raw` is None (no gratuity), `{"percent": N}` or `{"amount_cents": N}`. A percent is
    a whole number from 1 to 100; an amount is whole dollars from $1; either way at most
    the gift's price and at most $500. Problems go into `errors[field]`.
    """
    if raw is None:
        return 0, None
    if not isinstance(raw, dict) or len(raw) != 1 or not {"percent", "amount_cents"} & set(raw):
        errors[field] = 'Give {"percent": 20} or {"amount_cents": 2000}, or leave it out.'
        return 0, None
    ((kind, value),) = raw.items()
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = "The gratuity must be a whole number."
        return 0, None
    if kind == "percent":
        if not 1 <= value <= MAX_PERCENT:
            errors[field] = f"A gratuity is 1% to {MAX_PERCENT}% of the gift's price."
            return 0, None
        percent, cents = value, percent_of(price_cents or 0, value)
    else:
        if value < 100 or value % 100:
            errors[field] = "Give the gratuity in whole dollars, at least $1."
            return 0, None
        percent, cents = None, value
    if price_cents is not None and cents > price_cents:
        errors[field] = "The gratuity cannot be more than the gift's price."
        return 0, None
    if cents > MAX_GRATUITY_CENTS:
        errors[field] = f"A gratuity can be at most ${MAX_GRATUITY_CENTS // 100}."
        return 0, None
    return cents, percent


def gratuity_line_item(item: OrderItem, currency: str) -> dict | None:
    """The Checkout line charging `item`'s gratuity (one per voucher), or None without one."""
    if not item.gratuity_cents:
        return None
    return {
        "quantity": item.quantity,
        "price_data": {
            "currency": currency,
            "unit_amount": item.gratuity_cents,
            "product_data": {"name": f"{LINE_NAME} ({item.product_name})"},
        },
    }


def gratuity_line_items(order: Order) -> list[dict]:
    """The order's gratuity lines, after its gift lines in the Checkout Session."""
    lines = (gratuity_line_item(item, order.currency) for item in order.items)
    return [line for line in lines if line is not None]


def order_gratuity_cents(order: Order) -> int:
    return sum(item.gratuity_total_cents for item in order.items)
