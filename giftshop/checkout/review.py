"""The buyer's order before it is paid: add a gift, edit or remove one, cancel, pay now.

An order can be changed until it has gone to Stripe: a Checkout Session's amount
cannot change, so once one exists the buyer pays it (or a fresh one when it expired)
or starts again with a new order.
"""
from datetime import timedelta

from flask import current_app, url_for

from giftshop.checkout import stripe_gateway
from giftshop.checkout.fulfilment import fulfil_order
from giftshop.checkout.service import (apply_promo_code, order_by_public_id, order_item,
                                       place_order, remove_promo_code, retotal,
                                       start_checkout)
from giftshop.checkout.validation import MAX_ITEMS, validate_order
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import Order, OrderItem, utcnow
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import PAYABLE_ORDER_STATUSES, OrderStatus


WAIT_FOR_WEBHOOK = timedelta(minutes=5)


def recently_changed(order: Order) -> bool:
    """Recent enough that a payment just made may still be confirmed by Stripe's webhook."""
    return utcnow() - order.updated_at < WAIT_FOR_WEBHOOK


def is_editable(order: Order) -> bool:
    return order.status == OrderStatus.PENDING and order.stripe_session_id is None


def _require_editable(order: Order) -> None:
    if not is_editable(order):
        raise Conflict("This order has gone to payment and can no longer be changed; "
                       "start again for a different order.", code="order_locked")


def _validated_item(order: Order, item_request: dict, today) -> dict:
    buyer = {"name": order.purchaser_name, "email": order.purchaser_email}
    _, (item,) = validate_order({"purchaser": buyer, "items": [item_request]}, today)
    return item


def _item(order: Order, item_id: int) -> OrderItem:
    item = next((i for i in order.items if i.id == item_id), None)
    if item is None:
        raise NotFound("That gift is not part of this order.")
    return item


@rolls_back_on_error
def add_item(order: Order, item_request: dict, *, today) -> OrderItem:
    """Add one gift (an API-style item) to an unpaid order and re-total it. Commits.

    Raises ValidationFailed (`items.0.*` keys, nothing written) for bad input, and
    Conflict `order_locked` once the order has gone to payment.
    """
    _require_editable(order)
    if len(order.items) >= MAX_ITEMS:
        raise ValidationFailed({"items": f"At most {MAX_ITEMS} gifts per order."})
    line = order_item(_validated_item(order, item_request, today))
    order.items.append(line)
    retotal(order, order.promo_code)
    db.session.commit()
    return line


@rolls_back_on_error
def replace_item(order: Order, item_id: int, item_request: dict, *, today) -> OrderItem:
    """Replace one gift of an unpaid order with the edited one; same guarantees as add_item."""
    _require_editable(order)
    line = _item(order, item_id)
    edited = order_item(_validated_item(order, item_request, today))
    # Updated in place, so the gift keeps its place (and its Edit link) in the order.
    for column in OrderItem.__table__.columns.keys():
        if column not in ("id", "order_id"):
            setattr(line, column, getattr(edited, column))
    retotal(order, order.promo_code)
    db.session.commit()
    return line


@rolls_back_on_error
def remove_item(order: Order, item_id: int) -> bool:
    """Remove one gift; removing the last one cancels the order. Commits.

    Returns False when the order was cancelled (deleted) as a result.
    """
    _require_editable(order)
    order.items.remove(_item(order, item_id))
    if not order.items:
        db.session.delete(order)
        db.session.commit()
        return False
    retotal(order, order.promo_code)
    db.session.commit()
    return True


@rolls_back_on_error
def apply_code(order: Order, typed, *, today) -> None:
    """The buyer's promo code on the unpaid order (case-insensitive). Commits;
    ValidationFailed `promo_code` (nothing written) for an unknown, expired, inactive or
    used-up code; Conflict `order_locked` once the order has gone to payment."""
    _require_editable(order)
    apply_promo_code(order, typed, today=today)


@rolls_back_on_error
def remove_code(order: Order) -> None:
    """Back to full price. Commits; Conflict `order_locked` once gone to payment."""
    _require_editable(order)
    remove_promo_code(order)


@rolls_back_on_error
def cancel_order(order: Order) -> None:
    """Drop an unpaid order that never went to payment (nothing was charged). Commits."""
    _require_editable(order)
    db.session.delete(order)
    db.session.commit()


@rolls_back_on_error
def save_gift(item_request: dict, purchaser: dict, *, order_id: str | None,
              item_id: int | None, today) -> Order:
    """The product form's one entry: a new order, or a gift added to / edited in the
    buyer's unpaid order `order_id`. Commits; see place_order, add_item, replace_item."""
    if not order_id:
        return place_order({"purchaser": purchaser, "items": [item_request]}, today=today)
    order = order_by_public_id(order_id)
    if item_id:
        replace_item(order, item_id, item_request, today=today)
    else:
        add_item(order, item_request, today=today)
    return order


@rolls_back_on_error
def pay_now(order: Order) -> str:
    """Where the buyer pays this unpaid order now. Commits.

    A fresh order starts its checkout; an open Stripe session is reused; a session
    Stripe reports complete is fulfilled (as the success page would); an expired or
    failed one is succeeded by a new session and the order is pending again.
    Conflict `already_paid` for a paid order.
    """
    if order.is_paid or order.status not in PAYABLE_ORDER_STATUSES:
        raise Conflict("This order is already paid.", code="already_paid")
    previous = order.stripe_session_id
    if previous and not current_app.config["DEMO_PAYMENTS"]:
        session = stripe_gateway.retrieve_checkout_session(previous)
        if session.get("status") == "open":
            return session["url"]
        if session.get("status") == "complete":
            fulfil_order(order.id, session)
            return url_for("checkout.order_page", public_id=order.public_id)
    order.status = OrderStatus.PENDING
    return start_checkout(order, replacing=previous)
