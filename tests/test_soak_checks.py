"""`make soak`'s checks can fail: each one is fed a broken state and must name it.

The database checks read PostgreSQL (the soak's database) with their own connection;
the verdict and the memory rule are plain functions, tested on both backends.
"""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bench.soak_checks import CHECKS, checks, failures, memory_bounded
from giftshop.extensions import db
from giftshop.models import Order, OutboxMessage, utcnow
from giftshop.vouchers import outbox
from tests.support.factories import demo_paid_order
from tests.support.outbox import make_all_due
from tests.support.smtp import mail_settings

app_config = mail_settings()


def clean_result(**changes) -> dict:
    result = {"orders": 3, "orders_not_paid": 0, "orders_wrong_voucher_count": 0,
              "vouchers": 4, "ledger_entries": 6,
              "vouchers_remaining_not_ledger_sum_or_negative": 0, "due_emails": {"sent": 7},
              "emails_not_yet_due": 0, "emails_received": 7, "emails_received_twice": 0,
              "sent_but_not_received": 0, "received_but_not_marked_sent": 0}
    return {**result, **changes}


@pytest.mark.parametrize("changes, failed", [
    ({"orders": 0}, "orders were placed"),
    ({"orders_not_paid": 1}, "every order is paid"),
    ({"orders_wrong_voucher_count": 1}, "every paid order has its vouchers"),
    ({"vouchers_remaining_not_ledger_sum_or_negative": 2},
     "every voucher's remaining equals its ledger sum, never negative"),
    ({"due_emails": {"sent": 6, "pending": 1}}, "every due email was sent"),
    ({"due_emails": {"sent": 6, "failed": 1}}, "every due email was sent"),
    ({"due_emails": {}}, "every due email was sent"),
    ({"emails_received_twice": 1}, "every email sent is received once"),
    ({"sent_but_not_received": 1}, "every email sent is received once"),
    ({"received_but_not_marked_sent": 1}, "every email sent is received once"),
])
def test_each_broken_result_fails_its_check(changes, failed):
    assert failures(clean_result(), True) == []
    assert failures(clean_result(**changes), True) == [failed]
    assert failed in CHECKS


def test_memory_that_keeps_growing_fails_and_none_measured_is_no_pass():
    steady = [(t * 5.0, [120_000, 130_000]) for t in range(30)]
    growing = [(t * 5.0, [120_000 + t * 20_000]) for t in range(30)]
    assert memory_bounded(steady)[2] is True
    first, last, ok = memory_bounded(growing)
    assert ok is False and last > 1.5 * first
    assert memory_bounded([])[2] is False
    assert memory_bounded([(0.0, []), (5.0, [])])[2] is False
    assert failures(clean_result(), False) == ["worker memory is bounded"]


@pytest.mark.postgresql_only
def test_the_database_checks_see_each_kind_of_broken_state(app, smtp_server):
    with app.app_context():
        orders = [demo_paid_order(quantity=2)[0], demo_paid_order()[0]]
        make_all_due()
        # The checks count an email as due from its `send_after`: before 9:00 Pacific,
        # today's deliveries would still be "not yet due".
        db.session.execute(OutboxMessage.__table__.update().values(send_after=utcnow()))
        db.session.commit()
        assert len(outbox.send_due(limit=50).sent) == 5
        url = db.engine.url.render_as_string(hide_password=False)
        order_id = db.session.scalar(select(Order.id).where(Order.public_id == orders[0]))
        db.session.remove()
    load = SimpleNamespace(orders=orders)
    sink = SimpleNamespace(messages=list(smtp_server.messages))
    result = checks(url, load, sink)
    assert (result["orders"], result["vouchers"], result["due_emails"]) == (2, 3, {"sent": 5})
    assert failures(result, True) == []

    broken = [
        ('UPDATE "order" SET status = \'pending\' WHERE id = :o',
         'UPDATE "order" SET status = \'paid\' WHERE id = :o', ["every order is paid"]),
        ("UPDATE order_item SET quantity = quantity + 1 WHERE order_id = :o",
         "UPDATE order_item SET quantity = quantity - 1 WHERE order_id = :o",
         ["every paid order has its vouchers"]),
        ("UPDATE voucher SET remaining = remaining - 1 WHERE order_id = :o",
         "UPDATE voucher SET remaining = remaining + 1 WHERE order_id = :o",
         ["every voucher's remaining equals its ledger sum, never negative"]),
        ("UPDATE outbox_message SET status = 'pending' WHERE order_id = :o AND kind = 'receipt'",
         "UPDATE outbox_message SET status = 'sent' WHERE order_id = :o AND kind = 'receipt'",
         # still due, and the copy the sink has is not marked sent (it would go again)
         ["every due email was sent", "every email sent is received once"]),
    ]
    for apply, revert, failed in broken:
        with app.app_context():
            db.session.execute(db.text(apply), {"o": order_id})
            db.session.commit()
            try:
                assert failures(checks(url, load, sink), True) == failed, apply
            finally:
                db.session.execute(db.text(revert), {"o": order_id})
                db.session.commit()
                db.session.remove()
    assert failures(checks(url, load, sink), True) == []

    # An email the sink got twice, and one it never got.
    sink.messages.append(sink.messages[0])
    assert failures(checks(url, load, sink), True) == ["every email sent is received once"]
    sink.messages[:] = sink.messages[2:]
    assert checks(url, load, sink)["sent_but_not_received"] == 1
    assert failures(checks(url, load, sink), True) == ["every email sent is received once"]
