"""Vouchers issued by hand by the owner: complimentary/promotional, or sold at the desk.

- Complimentary/promotional: free (value 0, so it adds no sessions value to the
  liability report), flagged promotional, and may carry an expiry date (ORS 646A.278
  allows it on cards not sold at face value; the voucher then prints "EXPIRES ON").
- Sold at the desk: an Order is created already paid with the desk payment method
  (cash, card at the desk, check), the price snapshotted on its OrderItem, and the
  voucher valued at that price. Like any sold card it never expires.
Either way the voucher is made by `vouchers.service.issue_voucher` (with its `issue`
ledger entry), its email is queued when a recipient email is given, and an audit row
records who issued what. One transaction; commits.
"""
import secrets
from datetime import date

from giftshop.audit import record_audit
from giftshop.checkout.service import order_line
from giftshop.email_address import check_email
from giftshop.errors import ValidationFailed
from giftshop.extensions import db
from giftshop.models import Order, Product, utcnow
from giftshop.vouchers.delivery import queue_delivery, queue_order_emails
from giftshop.vouchers.service import issue_voucher
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import OrderStatus

MODES = ("complimentary", "sold")
DESK_METHODS = ("cash", "card at desk", "check")
MAX_MONEY_CENTS = 1_000_000


def _what(product: Product | None, amount_cents: int | None, errors: dict) -> dict:
    """kind / initial / service / face value from the chosen product."""
    if product is None:
        errors["product"] = "Choose what the voucher is for."
        return {}
    if product.is_money:
        if amount_cents is None or not 100 <= amount_cents <= MAX_MONEY_CENTS:
            errors["amount_cents"] = "Give the certificate's amount, $1 to $10,000."
            return {}
        return {"kind": "money", "initial": amount_cents, "service": None,
                "face_cents": amount_cents}
    return {"kind": "sessions", "initial": product.sessions, "service": product.service,
            "face_cents": product.price_cents}


def _check(data: dict, product: Product | None, today: date) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    what = _what(product, data.get("amount_cents"), errors)
    mode = data.get("mode")
    if mode not in MODES:
        errors["mode"] = "Choose complimentary or sold at the desk."
    recipient_name = (data.get("recipient_name") or "").strip() or None
    if recipient_name and len(recipient_name) > 120:
        errors["recipient_name"] = "At most 120 characters."
    recipient_email = check_email(data.get("recipient_email"), "recipient_email", errors,
                             required=False)
    expires_on = data.get("expires_on")
    if expires_on is not None and mode != "complimentary":
        errors["expires_on"] = "Only complimentary/promotional vouchers may expire."
    elif expires_on is not None and expires_on <= today:
        errors["expires_on"] = "An expiry date must be in the future."
    deliver_on = data.get("deliver_on") or today
    if deliver_on < today:
        errors["deliver_on"] = "Choose today or a later date."
    clean = {"mode": mode, "recipient_name": recipient_name, "recipient_email": recipient_email,
             "expires_on": expires_on, "deliver_on": deliver_on,
             "message": (data.get("message") or "").strip()[:500],
             "note": (data.get("note") or "").strip()[:500]}
    if mode == "sold":
        clean.update(_sale_fields(data, what, errors))
    if errors:
        raise ValidationFailed(errors)
    return what, clean


def _sale_fields(data: dict, what: dict, errors: dict) -> dict:
    method = data.get("payment_method")
    if method not in DESK_METHODS:
        errors["payment_method"] = "Say how it was paid: " + ", ".join(DESK_METHODS) + "."
    price = data.get("price_cents")
    if price is None:
        price = what.get("face_cents")
    if price is None or not 1 <= price <= MAX_MONEY_CENTS:
        errors["price_cents"] = "Give the price paid."
    name = (data.get("purchaser_name") or "").strip()
    if not name or len(name) > 120:
        errors["purchaser_name"] = "Give the buyer's name."
    email = check_email(data.get("purchaser_email"), "purchaser_email", errors, required=True)
    return {"payment_method": method, "price_cents": price, "purchaser_name": name,
            "purchaser_email": email}


def _desk_order(product: Product, what: dict, clean: dict) -> Order:
    order = Order(public_id=secrets.token_urlsafe(24), status=OrderStatus.PAID, paid_at=utcnow(),
                  purchaser_name=clean["purchaser_name"],
                  purchaser_email=clean["purchaser_email"], total_cents=clean["price_cents"],
                  payment_method=clean["payment_method"])
    order.items.append(order_line(
        product, unit_price_cents=clean["price_cents"], recipient_name=clean["recipient_name"],
        recipient_email=clean["recipient_email"], message=clean["message"],
        deliver_on=clean["deliver_on"]))
    db.session.add(order)
    db.session.flush()
    return order


@rolls_back_on_error
def issue_by_hand(data: dict, *, product: Product | None, staff, today: date):
    """Issue one voucher by hand (rules in the module doc). Validates everything before
    writing anything; commits. Returns the voucher."""
    what, clean = _check(data, product, today)
    sold = clean["mode"] == "sold"
    order = _desk_order(product, what, clean) if sold else None
    voucher = issue_voucher(
        kind=what["kind"], initial=what["initial"],
        value_cents=clean["price_cents"] if sold else 0, service=what["service"], order=order,
        order_item_id=order.items[0].id if order else None,
        purchaser_name=clean.get("purchaser_name") or "",
        recipient_name=clean["recipient_name"], recipient_email=clean["recipient_email"],
        message=clean["message"], deliver_on=clean["deliver_on"], promotional=not sold,
        expires_on=clean["expires_on"], staff_id=getattr(staff, "id", None),
        note=clean["note"] or ("sold at the desk" if sold else "complimentary"))
    if order is not None:
        queue_order_emails(order, [voucher])
    elif voucher.recipient_email:
        queue_delivery(voucher)
    record_audit("voucher.issue_by_hand", voucher, staff=staff, after={
        "code": voucher.code, "mode": clean["mode"], "title": voucher.title,
        "value_cents": voucher.value_cents, "order_id": order.id if order else None,
        "payment_method": clean.get("payment_method"),
        "expires_on": clean["expires_on"].isoformat() if clean["expires_on"] else None})
    db.session.commit()
    return voucher
