"""The benchmark's bulk loader (bench/dataset.py: COPY, past the ORM) writes rows the
app's own services accept. A schema change that leaves the loader behind fails here, not
at the next `make bench` (a NOT NULL column without a scalar default once did)."""
import pytest
from sqlalchemy import select

from bench import dataset
from bench.webhook_load import paid_session
from giftshop.checkout.fulfilment import fulfil_order
from giftshop.extensions import db
from giftshop.models import Order
from tests.support.factories import redeem

pytestmark = pytest.mark.postgresql_only


def test_loaded_vouchers_and_orders_are_read_redeemed_and_fulfilled_by_the_app(
        app, database_url):
    codes = dataset.load_lookup_data(database_url, 20, 60)
    big = dataset.load_big_vouchers(database_url, 1)
    pending = dataset.load_pending_orders(database_url, 4, "test")
    for code in codes + big:
        initial, remaining, ledger_sum = dataset.voucher_balance(database_url, code)
        assert remaining == ledger_sum and 0 <= remaining <= initial
    with app.app_context():
        entry = redeem(big[0], 500)
        assert entry.balance_after == dataset.BIG_BALANCE - 500
        for row in pending:
            order = db.session.scalar(select(Order).where(Order.public_id == row["public_id"]))
            assert order.gifts_paid_cents == order.total_cents == row["total_cents"]
            assert fulfil_order(order.id, paid_session(row)) is True
        db.session.expire_all()
        orders = db.session.scalars(select(Order).where(
            Order.public_id.in_([row["public_id"] for row in pending]))).all()
        assert [o.status for o in orders] == ["paid"] * 4
        assert sorted(len(o.vouchers) for o in orders) == [1, 1, 1, 1]
        assert all(v.value_cents == o.total_cents for o in orders for v in o.vouchers)
