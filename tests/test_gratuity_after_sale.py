"""A voucher's prepaid gratuity after the sale: never value (liability, cash-out), paid out
at the first redemption (desk and staff API show it), returned by refunds (localstripe over
real HTTP, signed webhooks), on the owner's reports."""
import csv
import io
import re

import pytest
from sqlalchemy import select

from giftshop import reports
from giftshop.checkout.refunds import full_allocation, refund_order
from giftshop.desk import ledger
from giftshop.desk.staff import create_staff, issue_token
from giftshop.extensions import db
from giftshop.models import AuditLog, Order, Staff, Voucher
from tests.support.auth import PASSWORD, owner_client, sign_in
from tests.support.localstripe_server import app_config, paid_order  # noqa: F401  (fixture)
from tests.support.openapi import OpenAPI
from tests.support.stripe_events import deliver, event
from tests.support.web import csrf_token

pytestmark = pytest.mark.filterwarnings("ignore:Bare functions are deprecated")

TIPPED_CERTS = {"product": "gift-certificate", "amount_cents": 10_000, "quantity": 2,
                "gratuity": {"percent": 20}}  # 2 × ($100 + $20)
TIPPED_PACK = {"product": "pain-management-4-pack", "gratuity": {"amount_cents": 6_000}}


def vouchers_of(order_id):
    db.session.expire_all()
    return db.session.scalars(select(Voucher).where(Voucher.order_id == order_id)
                              .order_by(Voucher.id)).all()


def desk_staff(owner=False) -> Staff:
    return create_staff("owner@example.com" if owner else "desk@example.com",
                        PASSWORD, role="owner" if owner else "staff")


def test_a_full_refund_of_an_unused_order_returns_the_gratuity_too(app, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_CERTS])
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.total_cents == 24_000
        refund = refund_order(order_id, full_allocation(order), request_key="all")
        assert refund.amount_cents == 24_000
        at_stripe = localstripe.refunds_for(order.payment_intent_id)
        assert [r["amount"] for r in at_stripe] == [24_000]
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 24_000)
        assert [(v.status, v.remaining, v.gratuity_status, v.gratuity_refund_id)
                for v in vouchers_of(order_id)] == [("refunded", 0, "refunded", refund.id)] * 2
        assert reports.gratuities() == reports.Gratuities(
            collected_cents=4_000, paid_out_cents=0, refunded_cents=4_000, held_cents=0,
            held_vouchers=0)


def test_a_partial_refund_leaves_the_gratuity_held_and_a_used_voucher_keeps_it(
        app, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_PACK])
    with app.app_context():
        [pack] = vouchers_of(order_id)
        part = refund_order(order_id, {pack.id: 1}, request_key="one")
        assert part.amount_cents == 10_000  # one session's value; the gratuity stays
        [pack] = vouchers_of(order_id)
        assert (pack.remaining, pack.gratuity_status) == (3, "held")
        ledger.redeem(pack.code, staff=desk_staff(), sessions=1)  # the first session
        [pack] = vouchers_of(order_id)
        assert pack.gratuity_status == "paid" and pack.gratuity_paid_at is not None
        rest = refund_order(order_id, {pack.id: 2}, request_key="rest")
        assert rest.amount_cents == 20_000  # the paid-out gratuity is the therapist's
        [pack] = vouchers_of(order_id)
        assert (pack.status, pack.gratuity_status) == ("refunded", "paid")
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents, order.total_cents) == (
            "partially_refunded", 30_000, 46_000)


def test_a_dashboard_refund_of_everything_returns_the_gratuities(app, client, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_CERTS])
    with app.app_context():
        intent = db.session.get(Order, order_id).payment_intent_id
    # One voucher and its gratuity: $120 of the $240.
    first = localstripe.refund(intent, 12_000)
    assert deliver(client, event("refund.created", first)).json["outcome"] == "processed"
    with app.app_context():
        assert [(v.status, v.gratuity_status) for v in vouchers_of(order_id)] == [
            ("refunded", "refunded"), ("active", "held")]
    rest = localstripe.refund(intent, 12_000)
    assert deliver(client, event("refund.created", rest)).json["outcome"] == "processed"
    with app.app_context():
        assert [(v.status, v.gratuity_status) for v in vouchers_of(order_id)] == [
            ("refunded", "refunded")] * 2
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 24_000)


def test_a_refund_stripe_fails_makes_the_gratuity_held_again(app, client, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_PACK])
    with app.app_context():
        order = db.session.get(Order, order_id)
        refund_order(order_id, full_allocation(order), request_key="k")
        stripe_refund = localstripe.refunds_for(order.payment_intent_id)[0]
        assert stripe_refund["amount"] == 46_000
    failed = {**stripe_refund, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    assert deliver(client, event("refund.updated", failed)).status_code == 200
    with app.app_context():
        [pack] = vouchers_of(order_id)
        assert (pack.status, pack.remaining, pack.gratuity_status) == ("active", 4, "held")
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("paid", 0)
        audit = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "refund.failed")).one()
        assert audit.after["gratuities_held_again"] == {pack.code: 6_000}


def test_first_redemption_pays_out_undo_holds_again_and_value_never_includes_it(
        app, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_CERTS])
    with app.app_context():
        staff = desk_staff()
        first, second = vouchers_of(order_id)
        before = reports.liability()
        assert before.money_cents == 20_000  # the gifts alone, never the $40 of gratuities
        outcome = ledger.redeem(first.code, staff=staff, amount_cents=9_600)
        first, _ = vouchers_of(order_id)
        assert first.gratuity_status == "paid"
        assert first.gratuity_paid_at == outcome.entry.created_at
        paid_at = first.gratuity_paid_at
        ledger.redeem(first.code, staff=staff, amount_cents=100)  # a later use changes nothing
        first, _ = vouchers_of(order_id)
        assert first.gratuity_paid_at == paid_at and first.remaining == 300
        # Cash-out of the small balance pays the balance only (the gratuity is not in it).
        cashed = ledger.cash_out(first.code, staff=staff)
        assert cashed.entry.delta == -300
        assert reports.liability().money_cents == 10_000
        # Undo the first redemption of the other voucher: its gratuity is held again.
        used = ledger.redeem(second.code, staff=staff, amount_cents=1_000)
        ledger.reverse(used.entry.id, staff=staff)
        _, second = vouchers_of(order_id)
        assert (second.gratuity_status, second.gratuity_paid_at) == ("held", None)
        audit = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "voucher.reverse")).one()
        assert audit.after["gratuity"] == "held"
        assert reports.gratuities() == reports.Gratuities(
            collected_cents=4_000, paid_out_cents=2_000, refunded_cents=0, held_cents=2_000,
            held_vouchers=1)


def test_the_desk_shows_the_gratuity_until_and_at_the_first_redemption(app, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_PACK])
    with app.app_context():
        staff_id = desk_staff().id
        [pack] = vouchers_of(order_id)
        code = pack.code
    client = app.test_client()
    sign_in(client, staff_id)
    screen = client.get(f"/desk/v/{code}").get_data(as_text=True)
    assert 'data-gratuity="held"' in screen
    assert "Prepaid gratuity <strong>$60.00</strong> for the therapist" in screen
    assert "4 of 4 sessions left" in screen
    token = csrf_token(client, f"/desk/v/{code}")
    key = re.search(r'name="redeem-idempotency_key"[^>]*value="([^"]+)"', screen).group(1)
    done = client.post(f"/desk/v/{code}/redeem", data={
        "csrf_token": token, "redeem-csrf_token": token, "redeem-idempotency_key": key,
        "redeem-sessions": "1"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200, page
    assert "Prepaid gratuity for you: <strong>$60.00</strong>" in page
    assert "3 of 4 sessions left" in page
    again = client.get(f"/desk/v/{code}").get_data(as_text=True)
    assert 'data-gratuity="paid"' in again and "paid out" in again


def test_the_staff_api_voucher_view_has_the_gratuity(app, client, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_PACK])
    with app.app_context():
        desk_staff()
        token = issue_token("desk@example.com")
        code = vouchers_of(order_id)[0].code
    spec = OpenAPI(client.get("/api/v1/openapi.json").get_json())
    headers = {"Authorization": f"Bearer {token}"}
    view = client.get(f"/api/v1/vouchers/{code}", headers=headers)
    spec.validate("/vouchers/{code}", "get", view)
    assert view.json["gratuity"] == {"cents": 6_000, "status": "held", "paid_at": None}
    assert view.json["remaining"] == 4
    redeemed = client.post(f"/api/v1/vouchers/{code}/redemptions", json={"sessions": 1},
                           headers={**headers, "Idempotency-Key": "first"})
    assert redeemed.status_code == 201
    view = client.get(f"/api/v1/vouchers/{code}", headers=headers)
    spec.validate("/vouchers/{code}", "get", view)
    assert view.json["gratuity"]["status"] == "paid" and view.json["gratuity"]["paid_at"]


def test_the_reports_page_and_csv_show_gratuities(app, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_CERTS, TIPPED_PACK])
    with app.app_context():
        first, second, pack = vouchers_of(order_id)
        ledger.redeem(pack.code, staff=desk_staff(owner=True), sessions=1)
        refund_order(order_id, {first.id: 10_000}, request_key="one")
    client = owner_client(app)
    order_page = client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert order_page.count('data-gratuity="refunded">+ gratuity $20.00 (refunded)') == 1
    assert order_page.count('data-gratuity="held">+ gratuity $20.00 (held)') == 1
    assert order_page.count('data-gratuity="paid">+ gratuity $60.00 (paid)') == 1
    assert "+ gratuity $20.00 each" in order_page
    page = client.get("/admin/reports").get_data(as_text=True)
    assert 'id="gratuity-collected">$100.00' in page
    assert 'id="gratuity-paid">$60.00' in page
    assert 'id="gratuity-refunded">$20.00' in page
    assert 'id="gratuity-held"><strong>$20.00' in page
    # The liability: $100 left on one certificate, 3 sessions at $100; no gratuity.
    assert 'id="liability-total"><strong>$400.00' in page
    rows = list(csv.DictReader(io.StringIO(
        client.get("/admin/reports/gratuities.csv").get_data(as_text=True))))
    assert [(r["collected_dollars"], r["paid_out_dollars"], r["refunded_dollars"])
            for r in rows] == [("100.00", "60.00", "20.00")]
    with app.app_context():
        assert rows[0]["month"] == reports.sales_by_month()[0]["month"]


def test_a_voided_vouchers_gratuity_is_not_counted_as_held(app, localstripe):
    order_id = paid_order(app, localstripe, [TIPPED_CERTS])
    with app.app_context():
        first, _ = vouchers_of(order_id)
        ledger.void_voucher(first.code, staff=desk_staff(owner=True), reason="lost dispute")
        totals = reports.gratuities()
        assert totals == reports.Gratuities(
            collected_cents=4_000, paid_out_cents=0, refunded_cents=0, held_cents=2_000,
            held_vouchers=1, voided_cents=2_000)
        assert totals.collected_cents == (totals.paid_out_cents + totals.refunded_cents
                                          + totals.held_cents + totals.voided_cents)
    page = owner_client(app).get("/admin/reports").get_data(as_text=True)
    assert 'id="gratuity-voided">$20.00' in page and 'id="gratuity-held"><strong>$20.00' in page
