"""Refunds and disputes through Stripe (localstripe over real HTTP) and signed webhooks."""

import pytest
from sqlalchemy import func, select

from giftshop.checkout.refunds import full_allocation, refund_order
from giftshop.checkout.stripe_gateway import PaymentProviderError
from giftshop.errors import Conflict, DomainError, ValidationFailed
from giftshop.extensions import db
from giftshop.models import AuditLog, LedgerEntry, Order, Product, Refund, Voucher
from tests.support import factories
from tests.support.localstripe_server import app_config, paid_order  # noqa: F401  (fixture)
from tests.support.concurrency import run_concurrently
from tests.support.stripe_events import deliver, event

CERT_50 = {"product": "gift-certificate", "amount_cents": 5000, "quantity": 2}
FOUR_PACK = {"product": "pain-management-4-pack"}

# localstripe registers plain (non-async) aiohttp handlers, which aiohttp warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Bare functions are deprecated")


def vouchers_of(order_id):
    return db.session.scalars(select(Voucher).where(Voucher.order_id == order_id)
                              .order_by(Voucher.id)).all()


def snapshot(order_id):
    """Everything a refund could change, to compare before/after a replay."""
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    return (order.status, order.refunded_cents,
            [(v.status, v.remaining) for v in vouchers_of(order_id)],
            db.session.scalar(select(func.count()).select_from(LedgerEntry)),
            db.session.scalar(select(func.count()).select_from(Refund)))


def redeem(voucher, amount):
    factories.redeem(voucher.code, amount, note="test redemption")


def test_full_refund_of_an_unredeemed_order_refunds_the_total_and_closes_its_vouchers(
        app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        refund = refund_order(order_id, full_allocation(order), request_key="k1",
                              reason="changed their mind")
        assert refund.amount_cents == 10_000 and refund.source == "shop"
        stripe_side = localstripe.refunds_for(order.payment_intent_id)
        assert [(r["id"], r["amount"]) for r in stripe_side] == [(refund.stripe_refund_id, 10_000)]
        db.session.expire_all()
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 10_000)
        assert [(v.status, v.remaining) for v in vouchers_of(order_id)] == [("refunded", 0)] * 2
        entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund")).all()
        assert [(e.delta, e.refund_id) for e in entries] == [(-5000, refund.id)] * 2
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "order.refund")).one()
        assert audit.before["status"] == "paid" and audit.after["status"] == "refunded"


def test_partly_used_package_is_refundable_only_up_to_what_remains(app, localstripe):
    order_id = paid_order(app, localstripe, [FOUR_PACK])
    with app.app_context():
        voucher = vouchers_of(order_id)[0]
        redeem(voucher, 1)
        with pytest.raises(ValidationFailed) as too_much:
            refund_order(order_id, {voucher.id: 4}, request_key="k1")
        assert "more than remains" in str(too_much.value.errors)
        refund = refund_order(order_id, {voucher.id: 3}, request_key="k2")
        assert refund.amount_cents == 30_000  # 3 sessions at $100 each, as paid
        db.session.expire_all()
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("partially_refunded", 30_000)
        assert (voucher.status, voucher.remaining) == ("refunded", 0)
        assert len(localstripe.refunds_for(order.payment_intent_id)) == 1


def test_partial_refund_of_a_money_voucher_leaves_the_rest_spendable(app, localstripe):
    order_id = paid_order(app, localstripe, [{"product": "gift-certificate",
                                              "amount_cents": 10_000}])
    with app.app_context():
        voucher = vouchers_of(order_id)[0]
        refund_order(order_id, {voucher.id: 4_000}, request_key="k1")
        db.session.expire_all()
        assert (voucher.status, voucher.remaining) == ("active", 6_000)
        redeem(voucher, 6_000)
        assert voucher.remaining == 0


def test_refunding_sessions_in_steps_adds_up_to_exactly_what_was_paid(app, localstripe):
    with app.app_context():
        product = db.session.scalar(select(Product).where(
            Product.slug == "pain-management-6-pack"))
        product.price_cents = 50_000  # $83.33⅓ a session: rounding must not lose a cent
        db.session.commit()
    order_id = paid_order(app, localstripe, [{"product": "pain-management-6-pack"}])
    with app.app_context():
        voucher = vouchers_of(order_id)[0]
        first = refund_order(order_id, {voucher.id: 1}, request_key="a").amount_cents
        second = refund_order(order_id, {voucher.id: 5}, request_key="b").amount_cents
        # liability values 5 left at 5 × 50000 // 6 = 41666, so the first refund is 8334
        assert (first, second) == (8_334, 41_666)
        assert db.session.get(Order, order_id).status == "refunded"


def test_refused_refunds_write_nothing_and_send_nothing_to_stripe(app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        first, second = vouchers_of(order_id)
        before = snapshot(order_id)
        for allocation in ({}, {first.id: 0}, {first.id: -5}, {first.id: 5001}, {999_999: 100}):
            with pytest.raises(ValidationFailed):
                refund_order(order_id, allocation, request_key="x")
            db.session.rollback()
        order.dispute_status = "needs_response"
        db.session.commit()
        with pytest.raises(Conflict) as disputed:
            refund_order(order_id, {first.id: 100}, request_key="x")
        assert disputed.value.code == "disputed"
        db.session.rollback()
        assert snapshot(order_id) == before
        assert localstripe.refunds_for(order.payment_intent_id) == []


def test_stripe_refusing_the_refund_writes_nothing(app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.payment_intent_id = "pi_unknownToStripe"
        db.session.commit()
        before = snapshot(order_id)
        with pytest.raises(PaymentProviderError):
            refund_order(order_id, full_allocation(order), request_key="x")
        db.session.rollback()
        assert snapshot(order_id) == before


def test_desk_sold_order_cannot_be_refunded_through_stripe(app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.payment_intent_id = None
        db.session.commit()
        with pytest.raises(Conflict) as refused:
            refund_order(order_id, full_allocation(order), request_key="x")
        assert refused.value.code == "not_stripe"


def test_dashboard_refund_event_after_a_refund_made_here_changes_nothing(
        app, client, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        first = vouchers_of(order_id)[0]
        refund_order(order_id, {first.id: 5000}, request_key="k")
        after_refund = snapshot(order_id)
        stripe_refund = localstripe.refunds_for(order.payment_intent_id)[0]
        charge = localstripe.client().v1.charges.retrieve(stripe_refund["charge"]).to_dict(
            recursive=True)
    assert deliver(client, event("refund.created", stripe_refund)).status_code == 200
    assert deliver(client, event("charge.refunded", charge)).status_code == 200
    with app.app_context():
        assert snapshot(order_id) == after_refund


def test_dashboard_refund_takes_value_from_unredeemed_vouchers_first_once(
        app, client, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        first, second = vouchers_of(order_id)
        redeem(first, 1_000)
        intent = db.session.get(Order, order_id).payment_intent_id
    dashboard = localstripe.refund(intent, 6_000)
    assert deliver(client, event("refund.created", dashboard)).json["outcome"] == "processed"
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("partially_refunded", 6_000)
        # the unredeemed one goes first and whole, then $10 of the used one
        assert [(v.status, v.remaining) for v in vouchers_of(order_id)] == [
            ("active", 3_000), ("refunded", 0)]
        refund = db.session.scalars(select(Refund)).one()
        assert (refund.source, refund.stripe_refund_id) == ("stripe", dashboard["id"])
        after = snapshot(order_id)
    # the same refund again, as another event type and as a replayed delivery
    deliver(client, event("refund.updated", dashboard))
    deliver(client, event("charge.refunded", {"id": dashboard["charge"], "object": "charge",
                                              "payment_intent": intent}))
    with app.app_context():
        assert snapshot(order_id) == after


def test_charge_refunded_without_a_refund_list_reads_refunds_from_stripe(
        app, client, localstripe):
    order_id = paid_order(app, localstripe, [FOUR_PACK])
    with app.app_context():
        intent = db.session.get(Order, order_id).payment_intent_id
    dashboard = localstripe.refund(intent, 40_000)
    response = deliver(client, event("charge.refunded", {
        "id": dashboard["charge"], "object": "charge", "payment_intent": intent,
        "amount_refunded": 40_000}))
    assert response.status_code == 200
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 40_000)
        assert [(v.status, v.remaining) for v in vouchers_of(order_id)] == [("refunded", 0)]


def dispute(intent, status, dispute_id="dp_test_1"):
    return {"id": dispute_id, "object": "dispute", "payment_intent": intent, "status": status,
            "charge": "ch_x", "amount": 10_000, "reason": "fraudulent"}


def test_dispute_freezes_vouchers_and_a_won_dispute_unfreezes_them(app, client, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        intent = db.session.get(Order, order_id).payment_intent_id
    deliver(client, event("charge.dispute.created", dispute(intent, "needs_response")))
    with app.app_context():
        assert db.session.get(Order, order_id).dispute_status == "needs_response"
        first = vouchers_of(order_id)[0]
        assert all(v.frozen for v in vouchers_of(order_id))
        with pytest.raises(DomainError) as refused:
            factories.redeem(first.code, 100)
        assert refused.value.code == "frozen"
        db.session.rollback()
        with pytest.raises(Conflict):
            refund_order(order_id, {first.id: 100}, request_key="x")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "voucher.freeze")) == 2
    deliver(client, event("charge.dispute.closed", dispute(intent, "won")))
    with app.app_context():
        assert db.session.get(Order, order_id).dispute_status == "won"
        first = vouchers_of(order_id)[0]
        assert not first.frozen
        redeem(first, 100)
        assert first.remaining == 4_900


def test_lost_dispute_voids_the_vouchers(app, client, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        intent = db.session.get(Order, order_id).payment_intent_id
        redeem(vouchers_of(order_id)[0], 2_000)
    deliver(client, event("charge.dispute.created", dispute(intent, "needs_response")))
    deliver(client, event("charge.dispute.closed", dispute(intent, "lost")))
    with app.app_context():
        assert [(v.status, v.remaining, v.frozen) for v in vouchers_of(order_id)] == [
            ("voided", 0, False)] * 2
        voids = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "void")
                                   .order_by(LedgerEntry.id)).all()
        assert [e.delta for e in voids] == [-3_000, -5_000]
        assert db.session.get(Order, order_id).dispute_status == "lost"


def test_the_same_refund_submission_twice_refunds_once(app, localstripe):
    order_id = paid_order(app, localstripe, [{"product": "gift-certificate",
                                              "amount_cents": 10_000}])
    with app.app_context():
        voucher = vouchers_of(order_id)[0]
        first = refund_order(order_id, {voucher.id: 2_500}, request_key="same-form")
        again = refund_order(order_id, {voucher.id: 2_500}, request_key="same-form")
        assert again.id == first.id
        db.session.expire_all()
        assert voucher.remaining == 7_500
        order = db.session.get(Order, order_id)
        assert order.refunded_cents == 2_500
        assert len(localstripe.refunds_for(order.payment_intent_id)) == 1


@pytest.mark.postgresql_only
def test_one_dashboard_refund_announced_by_10_concurrent_events_is_counted_once(
        app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        intent = db.session.get(Order, order_id).payment_intent_id
    dashboard = localstripe.refund(intent, 5_000)
    charge = {"id": dashboard["charge"], "object": "charge", "payment_intent": intent,
              "refunds": {"data": [dashboard]}}
    payloads = [event("refund.created" if i % 2 else "charge.refunded",
                      dashboard if i % 2 else charge) for i in range(10)]
    results = run_concurrently(app, 10, lambda c, i: deliver(c, payloads[i]).status_code)
    assert results == [200] * 10
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("partially_refunded", 5_000)
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.kind == "refund")) == 1


@pytest.mark.postgresql_only
def test_webhook_racing_a_refund_made_here_does_not_count_it_twice(app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        intent, allocation = order.payment_intent_id, full_allocation(order)

    def race(client, i):
        if i == 0:
            with app.app_context():
                return refund_order(order_id, allocation, request_key="race").amount_cents
        # Deliver Stripe's event the moment the refund exists at Stripe, which is
        # usually before the shop's transaction has committed.
        for _ in range(10_000):
            listed = localstripe.refunds_for(intent)
            if listed:
                return deliver(client, event("refund.created", listed[0])).status_code
        raise AssertionError("the refund never appeared at Stripe")

    assert run_concurrently(app, 2, race) == [10_000, 200]
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 10_000)
        refunds = db.session.scalars(select(Refund)).all()
        assert [(r.source, r.amount_cents) for r in refunds] == [("shop", 10_000)]


def _failed(stripe_refund, status="failed"):
    return {**stripe_refund, "status": status, "failure_reason": "expired_or_canceled_card"}


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_refund_stripe_later_fails_gives_the_value_back_once(app, client, localstripe, status):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        first, second = vouchers_of(order_id)
        redeem(first, 1_000)
        before = snapshot(order_id)
        refund_order(order_id, {first.id: 4_000, second.id: 5_000}, request_key="k")
        assert [(v.status, v.remaining) for v in vouchers_of(order_id)] == [("refunded", 0)] * 2
        stripe_refund = localstripe.refunds_for(db.session.get(Order, order_id).payment_intent_id)[0]
    # Stripe announces the failure twice, under two event types.
    for kind in ("refund.updated", "charge.refund.updated", "refund.updated"):
        assert deliver(client, event(kind, _failed(stripe_refund, status))).status_code == 200
    with app.app_context():
        status_now, refunded, vouchers, entries, refunds = snapshot(order_id)
        assert (status_now, refunded, vouchers) == before[:3] == ("paid", 0, [("active", 4_000),
                                                                            ("active", 5_000)])
        assert entries == before[3] + 4  # two refund entries and their two compensations
        reversals = db.session.scalars(select(LedgerEntry).where(
            LedgerEntry.kind == "reverse").order_by(LedgerEntry.id)).all()
        assert [e.delta for e in reversals] == [4_000, 5_000]
        assert all(f"refund {status} at Stripe" == e.note for e in reversals)
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "refund.failed")).one()
        assert audit.after["vouchers_restored"] == {first.code: 4_000, second.code: 5_000}
        assert audit.after["status"] == "paid"
        redeem(db.session.get(Voucher, first.id), 4_000)  # spendable again


def test_a_failed_refund_announced_by_10_concurrent_events_is_given_back_once(
        app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        refund_order(order_id, full_allocation(order), request_key="k")
        stripe_refund = localstripe.refunds_for(order.payment_intent_id)[0]
    payloads = [event("refund.updated" if i % 2 else "charge.refund.updated",
                      _failed(stripe_refund)) for i in range(10)]
    assert run_concurrently(app, 10, lambda c, i: deliver(c, payloads[i]).status_code) == [200] * 10
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("paid", 0)
        assert [(v.status, v.remaining) for v in vouchers_of(order_id)] == [("active", 5_000)] * 2
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.kind == "reverse")) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "refund.failed")) == 1


def test_the_dashboard_lists_failed_refunds(app, client, localstripe):
    from tests.support.auth import owner_client

    order_id = paid_order(app, localstripe, [CERT_50])
    with app.app_context():
        order = db.session.get(Order, order_id)
        refund_order(order_id, full_allocation(order), request_key="k")
        stripe_refund = localstripe.refunds_for(order.payment_intent_id)[0]
    deliver(client, event("refund.updated", _failed(stripe_refund)))
    page = owner_client(app).get("/admin").get_data(as_text=True)
    assert "Refunds that failed (1)" in page and "$100.00" in page
    assert f"/admin/orders/{order_id}" in page and "value given back" in page
