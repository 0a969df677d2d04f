"""Validating an order request (from the product form or the API) against the catalog."""
import re
import unicodedata
from datetime import date, timedelta

from giftshop.email_address import check_email
from giftshop.text_fields import present_text
from giftshop.errors import NotFound, ValidationFailed
from giftshop.catalog.service import product_by_slug
from giftshop.checkout.gratuity import parse_gratuity
from giftshop.vouchers.designs import is_offered, offered_designs

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

MAX_MESSAGE = 500
MAX_NAME = 120
MAX_QUANTITY = 10
MAX_ITEMS = 10
MAX_DAYS_AHEAD = 365


def check_text(value, field: str, errors: dict, *, required: bool, limit: int) -> str | None:
    value = present_text(value, field, errors, required=required)
    if value is None:
        return None
    if len(value) > limit:
        errors[field] = f"At most {limit} characters."
        return None
    if not printable(value):
        errors[field] = "Contains characters that cannot be printed (control or private-use)."
        return None
    return value


def printable(text: str) -> bool:
    """No character the certificate's fonts cannot show: control codes (line breaks and
    tabs aside), private-use and unassigned code points."""
    return not any(unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs")
                   and ch not in "\n\r\t" for ch in text)


def _int(value, field: str, errors: dict) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = "Must be a whole number."
        return None
    return value


def validate_order(data, today: date) -> tuple[dict, list[dict]]:
    """Check an order request; return (purchaser, items) with each item's product.

    Raises ValidationFailed with dotted field names (`items.0.amount_cents`). Prices
    come from the catalog; the only amount taken from the client is a money
    certificate's face value, held to the product's bounds in whole dollars, and a
    gift's optional gratuity (checkout.gratuity), held to its own bounds.
    """
    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "Expected a JSON object."})
    purchaser = data.get("purchaser")
    if not isinstance(purchaser, dict):
        errors["purchaser"] = "Give the purchaser's name and email."
        purchaser = {}
    buyer = {
        "name": check_text(purchaser.get("name"), "purchaser.name", errors, required=True,
                      limit=MAX_NAME),
        "email": check_email(purchaser.get("email"), "purchaser.email", errors, required=True),
    }
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        errors["items"] = "Add at least one item."
        raw_items = []
    elif len(raw_items) > MAX_ITEMS:
        errors["items"] = f"At most {MAX_ITEMS} items per order."
        raw_items = []
    items = [_validate_item(raw, f"items.{i}", errors, today) for i, raw in enumerate(raw_items)]
    if errors:
        raise ValidationFailed(errors)
    return buyer, items


def _validate_item(raw, prefix: str, errors: dict, today: date) -> dict:
    if not isinstance(raw, dict):
        errors[prefix] = "Each item must be an object."
        return {}
    item: dict = {}
    slug = raw.get("product")
    product = None
    if not isinstance(slug, str) or not slug:
        errors[f"{prefix}.product"] = "Choose a product."
    else:
        try:
            product = product_by_slug(slug)
        except NotFound:
            errors[f"{prefix}.product"] = "That product is not for sale."
    item["product"] = product
    quantity = raw.get("quantity", 1)
    quantity = _int(quantity, f"{prefix}.quantity", errors)
    if quantity is not None and not 1 <= quantity <= MAX_QUANTITY:
        errors[f"{prefix}.quantity"] = f"Quantity must be 1 to {MAX_QUANTITY}."
    item["quantity"] = quantity
    amount = raw.get("amount_cents")
    if product is not None and product.is_money:
        amount = _int(amount, f"{prefix}.amount_cents", errors)
        if amount is not None:
            if amount % 100:
                errors[f"{prefix}.amount_cents"] = "Choose a whole-dollar amount."
            elif not product.min_cents <= amount <= product.max_cents:
                errors[f"{prefix}.amount_cents"] = (
                    f"Choose an amount from ${product.min_cents // 100:,} "
                    f"to ${product.max_cents // 100:,}.")
        item["unit_price_cents"] = amount
    elif product is not None:
        if amount is not None:
            errors[f"{prefix}.amount_cents"] = "This product has a fixed price."
        item["unit_price_cents"] = product.price_cents
    recipient = raw.get("recipient")
    item["recipient_name"] = item["recipient_email"] = None
    if recipient is not None:
        if not isinstance(recipient, dict):
            errors[f"{prefix}.recipient"] = "Give the recipient's name (and email to send it)."
        else:
            # A name with no email: the buyer prints or hands the gift over; the name
            # is printed on it and the PDF goes to the buyer.
            item["recipient_name"] = check_text(recipient.get("name"), f"{prefix}.recipient.name",
                                           errors, required=True, limit=MAX_NAME)
            item["recipient_email"] = check_email(recipient.get("email"),
                                             f"{prefix}.recipient.email", errors, required=False)
    message = raw.get("message") or ""
    if not isinstance(message, str):
        errors[f"{prefix}.message"] = "Must be text."
    elif len(message.strip()) > MAX_MESSAGE:
        errors[f"{prefix}.message"] = f"At most {MAX_MESSAGE} characters."
    elif not printable(message):
        errors[f"{prefix}.message"] = (
            "Contains characters that cannot be printed (control or private-use).")
    item["message"] = message.strip() if isinstance(message, str) else ""
    item["deliver_on"] = _deliver_on(raw.get("deliver_on"), f"{prefix}.deliver_on", errors, today)
    item["design"] = raw.get("design") or offered_designs()[0].value
    if not is_offered(item["design"]):
        errors[f"{prefix}.design"] = "Choose one of the designs on offer."
    item["gratuity_cents"], item["gratuity_percent"] = parse_gratuity(
        raw.get("gratuity"), item.get("unit_price_cents"), f"{prefix}.gratuity", errors)
    return item


def _deliver_on(value, field: str, errors: dict, today: date) -> date | None:
    if value in (None, ""):
        return today
    if isinstance(value, date):
        parsed = value
    else:
        try:
            # fromisoformat also takes "2026-W49-1" and "20261207": ISO calendar dates only.
            parsed = date.fromisoformat(value) if isinstance(value, str) \
                and _ISO_DATE.fullmatch(value) else None
        except ValueError:
            parsed = None
        if parsed is None:
            errors[field] = "Use a date like 2026-12-24."
            return None
    if not today <= parsed <= today + timedelta(days=MAX_DAYS_AHEAD):
        errors[field] = f"Choose a date from today to {MAX_DAYS_AHEAD} days ahead."
        return None
    return parsed
