"""Placing orders and starting payment. Prices always come from the catalog."""
import secrets
from datetime import date

from flask import current_app, url_for
from sqlalchemy import select

from giftshop.checkout import stripe_gateway
from giftshop.checkout.validation import validate_order
from giftshop.errors import NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import Order, OrderItem, Product
from giftshop.promotions import codes as promo_codes
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import Kind


@rolls_back_on_error
def place_order(data: dict, *, today: date) -> Order:
    """Validate and store a pending order with the catalog's prices snapshotted. Commits.

    Raises ValidationFailed (nothing written) for bad input, including a `promo_code`
    that cannot be used (unknown, expired, used up...).
    """
    buyer, items = validate_order(data, today)
    typed = data.get("promo_code")
    promo = promo_codes.usable_code(typed, today=today) if typed not in (None, "") else None
    order = Order(
        public_id=secrets.token_urlsafe(24),
        purchaser_name=buyer["name"],
        purchaser_email=buyer["email"],
        total_cents=0,
        payment_method="demo" if current_app.config["DEMO_PAYMENTS"] else "stripe",
    )
    order.items.extend(order_item(i) for i in items)
    retotal(order, promo)
    db.session.add(order)
    db.session.commit()
    return order


def order_item(item: dict) -> OrderItem:
    """An order line from one validated item, with the product's details snapshotted."""
    return order_line(item["product"], unit_price_cents=item["unit_price_cents"],
                      quantity=item["quantity"], recipient_name=item["recipient_name"],
                      recipient_email=item["recipient_email"], message=item["message"],
                      deliver_on=item["deliver_on"], design=item["design"],
                      gratuity_cents=item["gratuity_cents"],
                      gratuity_percent=item["gratuity_percent"])


def order_line(product: Product, *, unit_price_cents: int, quantity: int = 1,
               recipient_name: str | None, recipient_email: str | None, message: str,
               deliver_on: date, design: str | None = None, gratuity_cents: int = 0,
               gratuity_percent: int | None = None) -> OrderItem:
    """The one way an order line is made from a product (the shop's orders and the
    owner's desk sales): the product's name, kind, sessions and service snapshotted, so
    later catalog edits never change what was sold. `design=None` keeps the default."""
    sessions = product.kind == Kind.SESSIONS
    line = OrderItem(
        product_id=product.id, product_slug=product.slug, product_name=product.name,
        kind=product.kind, unit_price_cents=unit_price_cents,
        paid_cents=unit_price_cents * quantity,
        sessions=product.sessions if sessions else None,
        service=product.service if sessions else None, quantity=quantity,
        recipient_name=recipient_name, recipient_email=recipient_email, message=message,
        deliver_on=deliver_on, gratuity_cents=gratuity_cents, gratuity_percent=gratuity_percent,
    )
    if design is not None:
        line.design = design
    return line


def retotal(order: Order, promo=None) -> None:
    """Re-total the order after its gifts or its promo code changed: the code's discount
    is allocated over the gifts (promotions/codes.py). A gratuity is not discounted:
    it is added to `total_cents` after the discounted gifts."""
    promo_codes.reprice(order, promo)
    order.total_cents += sum(item.gratuity_total_cents for item in order.items)


@rolls_back_on_error
def apply_promo_code(order: Order, typed, *, today: date) -> None:
    """Put the buyer's promo code on the unpaid order and re-total it. Commits;
    ValidationFailed `promo_code` (nothing written) when it cannot be used."""
    retotal(order, promo_codes.usable_code(typed, today=today, order_id=order.id))
    db.session.commit()


@rolls_back_on_error
def remove_promo_code(order: Order) -> None:
    """Take the promo code off the unpaid order (full price again). Commits."""
    retotal(order, None)
    order.promo_held_until = None
    db.session.commit()


@rolls_back_on_error
def start_checkout(order: Order, *, replacing: str | None = None) -> str:
    """The URL the buyer pays at: a Stripe Checkout Session, or the demo pay page. Commits.

    Idempotent per order: Stripe returns the same session for the same order (and
    the same `replacing`, the expired session a new one succeeds).
    """
    # A promo code's use is held (and re-checked) before the session exists; the
    # session then expires before the hold does. Conflict `promo_unavailable` if used up.
    expires_at = promo_codes.hold_for_checkout(order)
    if current_app.config["DEMO_PAYMENTS"]:
        return url_for("checkout.demo_pay", public_id=order.public_id, _external=False)
    base = current_app.config["SHOP_BASE_URL"]
    session = stripe_gateway.create_checkout_session(
        order,
        success_url=base + url_for("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=base + url_for("checkout.cancel", public_id=order.public_id),
        replacing=replacing, expires_at=expires_at,
    )
    order.stripe_session_id = session["id"]
    db.session.commit()
    return session["url"]


def start_checkout_or_drop(order: Order) -> str:
    """start_checkout for an order placed and paid in one step (the API, the embed):
    if its promo code was used up in the meantime by concurrent checkouts, the order is
    deleted (nothing was charged) and ValidationFailed `promo_code` is raised."""
    try:
        return start_checkout(order)
    except promo_codes.PromoUnavailable as exc:
        db.session.delete(order)
        db.session.commit()
        raise ValidationFailed({"promo_code": exc.reason}, exc.reason)


def order_by_public_id(public_id: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None:
        raise NotFound("No order has that link.")
    return order


def order_by_session_id(session_id: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.stripe_session_id == session_id))
    if order is None:
        raise NotFound("No order belongs to that checkout session.")
    return order
