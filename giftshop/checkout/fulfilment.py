"""Exactly-once fulfilment of paid orders, shared by the webhook, the success page and demo pay."""
import logging

from giftshop.checkout.orders import lock_order
from giftshop.extensions import db
from giftshop.models import Order, utcnow
from giftshop.promotions.campaigns import issue_bonus
from giftshop.transactions import rolls_back_on_error
from giftshop.vouchers.delivery import queue_order_emails
from giftshop.vouchers.service import issue_order_vouchers
from giftshop.models.vocab import PAYABLE_ORDER_STATUSES, OrderStatus

log = logging.getLogger(__name__)


def session_matches(order: Order, session: dict) -> bool:
    """A paid session whose amount and currency are the order's own."""
    return (
        session.get("payment_status") == "paid"
        and session.get("amount_total") == order.total_cents
        and (session.get("currency") or "").lower() == order.currency
        and session.get("client_reference_id") in (None, order.public_id)
    )


@rolls_back_on_error
def fulfil_order(order_id: int, session: dict | None) -> bool:
    """Mark the order paid and issue its vouchers (plus a running campaign's bonus) and
    emails, once.

    `session` is the Checkout Session as just re-read from Stripe (None only for demo
    payments). Locks the order row, so duplicate, concurrent and racing calls end in
    one set of vouchers. Returns True if this call fulfilled the order. A session
    that does not match the order (amount, currency, payment status) is logged and
    not fulfilled. Commits, or rolls back when it fulfils nothing.
    """
    if fulfil_in_transaction(order_id, session):
        db.session.commit()
        return True
    db.session.rollback()
    return False


def fulfil_in_transaction(order_id: int, session: dict | None) -> bool:
    """`fulfil_order` inside the caller's transaction: the same rules and answer, but
    the caller commits (the Stripe webhook writes the fulfilment and the event id in
    one COMMIT) and, should anything raise, rolls back."""
    order = lock_order(order_id, with_items=True)
    # Stripe's word (a paid session) outranks an earlier failed/expired mark.
    if order.status not in PAYABLE_ORDER_STATUSES:
        return False
    if session is not None and not session_matches(order, session):
        log.warning("order %s not fulfilled: session %s does not match (status %s, %s %s)",
                    order.public_id, session.get("id"), session.get("payment_status"),
                    session.get("amount_total"), session.get("currency"))
        return False
    order.status = OrderStatus.PAID
    order.paid_at = utcnow()
    if session is not None:
        order.payment_intent_id = session.get("payment_intent") or order.payment_intent_id
    vouchers = issue_order_vouchers(order) + issue_bonus(order)
    queue_order_emails(order, vouchers)
    return True


@rolls_back_on_error
def mark_unpaid(order_id: int, status: str) -> bool:
    """A pending order whose payment failed or whose session expired. Commits."""
    order = lock_order(order_id)
    if order.status != OrderStatus.PENDING:
        db.session.rollback()
        return False
    order.status = status
    db.session.commit()
    return True
