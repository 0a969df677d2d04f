"""Stripe webhook handling: verify → record the event once → dispatch by type.

`HANDLERS` at the end of this module is the one table of event type → handler (as
saleor's Stripe plugin does it); `SUBSCRIBED_EVENTS` is what the README tells the owner
to subscribe the endpoint to, and a test holds every one of them to a handler.
Handlers receive the Stripe object (a dict), never the request. Unknown types are
acknowledged. A replayed event id is acknowledged without work. A transient
failure raises, so the view answers 5xx and Stripe retries.
"""
import logging
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from giftshop.checkout import disputes, refunds, stripe_gateway
from giftshop.checkout.fulfilment import fulfil_in_transaction, mark_unpaid
from giftshop.extensions import db
from giftshop.models import Order, StripeEvent, utcnow
from giftshop.models.vocab import OrderStatus

log = logging.getLogger(__name__)


def process_event(payload: bytes, signature: str | None) -> str:
    """Verify and handle one delivery. Returns 'processed', 'duplicate' or 'ignored'.

    Raises BadSignature (nothing written) or PaymentProviderError (nothing written,
    so Stripe's retry can succeed).
    """
    event = stripe_gateway.verify_event(payload, signature)
    event_id, event_type = event.get("id"), event.get("type")
    if not event_id or not event_type:
        raise stripe_gateway.BadSignature("Not a Stripe event.")
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    handler = HANDLERS.get(event_type)
    obj = (event.get("data") or {}).get("object") or {}
    if handler is not None:
        # Commits its own work, or (fulfilment) leaves it for the commit below, so that
        # the vouchers and the event id are written in one transaction.
        handler(obj)
    try:
        db.session.add(StripeEvent(id=event_id, type=event_type, processed_at=utcnow()))
        db.session.commit()
    except IntegrityError:
        # Another delivery of the same event got here first; its work is the same.
        db.session.rollback()
        return "duplicate"
    return "processed" if handler else "ignored"


def _order_for_session(session: dict) -> Order | None:
    order = db.session.scalar(select(Order).where(Order.stripe_session_id == session.get("id")))
    if order is None:
        ref = session.get("client_reference_id") or (session.get("metadata") or {}).get("order_id")
        if ref:
            order = db.session.scalar(select(Order).where(Order.public_id == ref))
    if order is None:
        log.warning("Stripe session %s matches no order", session.get("id"))
    return order


def session_paid(session: dict) -> None:
    order = _order_for_session(session)
    if order is None or order.is_paid:
        return
    fresh = stripe_gateway.retrieve_checkout_session(session["id"])
    if fresh.get("payment_status") != "paid":
        return  # an async payment still on its way; its own event will come
    # `process_event` commits the fulfilment together with the event id (one COMMIT).
    fulfil_in_transaction(order.id, fresh)


def _current_session_order(session: dict) -> Order | None:
    """The order, unless the buyer has since moved on to a newer session ("Pay now")."""
    order = _order_for_session(session)
    if order is None or order.stripe_session_id not in (None, session.get("id")):
        return None
    return order


def session_failed(session: dict) -> None:
    order = _current_session_order(session)
    if order is not None:
        mark_unpaid(order.id, OrderStatus.FAILED)


def session_expired(session: dict) -> None:
    order = _current_session_order(session)
    if order is not None:
        mark_unpaid(order.id, OrderStatus.EXPIRED)


# The endpoint's events in the Stripe dashboard (README, "Going live with Stripe").
SUBSCRIBED_EVENTS = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired",
    "charge.refunded", "refund.created", "refund.updated",
    "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
)

HANDLERS: dict[str, Callable[[dict], None]] = {
    "checkout.session.completed": session_paid,
    "checkout.session.async_payment_succeeded": session_paid,
    "checkout.session.async_payment_failed": session_failed,
    "checkout.session.expired": session_expired,
    "charge.refunded": refunds.charge_refunded,
    "refund.created": refunds.refund_event,
    "refund.updated": refunds.refund_event,
    "charge.refund.updated": refunds.refund_event,  # older API versions' name
    "charge.dispute.created": disputes.dispute_created,
    "charge.dispute.updated": disputes.dispute_updated,
    "charge.dispute.closed": disputes.dispute_closed,
}
