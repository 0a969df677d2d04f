"""Loading orders: by number, by Stripe payment, and locked for a change of state.

Fulfilment, refunds and disputes all change an order under `lock_order`, so their
webhooks, the success page and the owner's refunds serialise on the same row.
"""
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from giftshop.errors import NotFound
from giftshop.extensions import db
from giftshop.models import Order


def lock_order(order_id: int, *, with_items: bool = False) -> Order:
    """The order row, locked for this transaction, with fresh values (and its items
    loaded in the same round trip when `with_items`)."""
    if db.session.get_bind().dialect.name == "sqlite":
        # No row locks on SQLite: take the database write lock before reading.
        db.session.execute(update(Order).where(Order.id == order_id).values(status=Order.status))
    stmt = select(Order).where(Order.id == order_id).with_for_update(of=Order)
    if with_items:
        stmt = stmt.options(joinedload(Order.items))
    return db.session.execute(
        stmt.execution_options(populate_existing=True)
    ).unique().scalar_one()


def order_by_id(order_id: int) -> Order:
    """The order with this number, or NotFound. Read-only."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("No order has that number.")
    return order


def order_for_intent(payment_intent_id: str | None) -> Order | None:
    """The order Stripe's PaymentIntent paid for (None for none or no id). Read-only."""
    if not payment_intent_id:
        return None
    return db.session.scalar(select(Order).where(Order.payment_intent_id == payment_intent_id))


def order_snapshot(order: Order) -> dict:
    """The fields an audit row records before and after a payment change."""
    return {"status": order.status, "refunded_cents": order.refunded_cents,
            "dispute_status": order.dispute_status}
