"""Promo codes through Stripe: the discount goes to Checkout as a one-use coupon over real
HTTP (the Checkout stub, forwarding payments and refunds to localstripe), the webhook
compares Stripe's total with the discounted one, a refund gives back exactly what was
paid, and the usage limit holds when buyers check out and pay at the same time."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from giftshop import reports
from giftshop.checkout.refunds import full_allocation, refund_order
from giftshop.extensions import db
from giftshop.models import Order, PromoCode, Voucher
from giftshop.promotions.codes import promo_report
from tests.support.concurrency import run_concurrently
from tests.support.factories import make_promo_code
from tests.support.localstripe_server import SECRET_KEY
from tests.support.stripe_events import deliver, event
from tests.support.openapi import OpenAPI
from tests.support.stripe_stub import StripeStub
from tests.support.web import pay_from_review, post_form, review

# localstripe registers plain (non-async) aiohttp handlers, which aiohttp warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Bare functions are deprecated")

BUYER = {"name": "Ana Buyer", "email": "ana@example.com"}
SIX_PACK_AND_CERTS = [{"product": "pain-management-6-pack"},
                      {"product": "gift-certificate", "amount_cents": 3_300, "quantity": 3}]


@pytest.fixture
def stripe_stub(localstripe):
    """Checkout Sessions and coupons here; payment intents and refunds at localstripe."""
    stub = StripeStub(upstream=localstripe.url).start()
    yield stub
    stub.stop()


@pytest.fixture
def app_config(stripe_stub):
    return {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": stripe_stub.url}


def place(client, items, code="spring20"):
    return client.post("/api/v1/orders", json={"purchaser": BUYER, "items": items,
                                               "promo_code": code})


def pay_at_stripe(localstripe, stripe_stub, session_id: str, amount: int | None = None) -> dict:
    """The buyer pays the session: a real localstripe charge of Stripe's total."""
    total = stripe_stub.sessions[session_id]["amount_total"]
    intent = localstripe.paid_payment_intent(amount or total)
    return stripe_stub.mark_paid(session_id, payment_intent=intent["id"])


def session_of(app, public_id: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Order.stripe_session_id)
                                 .where(Order.public_id == public_id))


def test_discounted_checkout_sends_a_coupon_and_the_webhook_fulfils_it(
        app, client, stripe_stub, localstripe):
    make_promo_code(app, percent=15)
    response = place(client, SIX_PACK_AND_CERTS)
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["order_id"]
    [coupon_request] = [r for r in stripe_stub.requests if r["path"] == "/v1/coupons"]
    assert coupon_request["params"]["amount_off"] == "10035"  # 15% of $669.00
    assert coupon_request["params"]["duration"] == "once"
    assert coupon_request["params"]["max_redemptions"] == "1"
    assert coupon_request["idempotency_key"] == f"order-{public_id}-checkout-coupon"
    [params] = stripe_stub.created()
    coupon_id = params["discounts"][0]["coupon"]
    assert coupon_id in stripe_stub.coupons
    # Line items keep the catalog prices; Stripe shows the discount and charges less.
    assert [li["price_data"]["unit_amount"] for li in params["line_items"]] == ["57000", "3300"]
    session_id = session_of(app, public_id)
    session = stripe_stub.sessions[session_id]
    assert (session["amount_subtotal"], session["amount_total"]) == (66_900, 56_865)
    assert session["total_details"]["amount_discount"] == 10_035
    assert int(params["expires_at"]) > 0

    pay_at_stripe(localstripe, stripe_stub, session_id)
    assert deliver(client, event("checkout.session.completed", {"id": session_id})).status_code == 200
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == public_id))
        assert (order.status, order.total_cents, order.discount_cents) == ("paid", 56_865, 10_035)
        assert sum(v.value_cents for v in order.vouchers) == 56_865
    got = client.get(f"/api/v1/orders/{public_id}")
    OpenAPI(client.get("/api/v1/openapi.json").get_json()).validate(
        "/orders/{order_id}", "get", got)
    assert {key: got.get_json()[key] for key in (
        "total_cents", "status", "discount_cents", "promo_code")} == {
        "total_cents": 56_865, "status": "paid", "discount_cents": 10_035,
        "promo_code": "SPRING20"}


def test_a_session_paid_at_the_undiscounted_total_is_not_fulfilled(
        app, client, stripe_stub, localstripe):
    make_promo_code(app, amount=2_000)
    public_id = place(client, [{"product": "pain-management-60"}]).get_json()["order_id"]
    session_id = session_of(app, public_id)
    pay_at_stripe(localstripe, stripe_stub, session_id)
    stripe_stub.sessions[session_id]["amount_total"] = 11_000  # not what the order charges
    deliver(client, event("checkout.session.completed", {"id": session_id}))
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == public_id))
        assert (order.status, order.total_cents) == ("pending", 9_000)
        assert order.vouchers == []


def test_refunding_a_discounted_order_returns_exactly_what_was_paid(
        app, client, stripe_stub, localstripe):
    make_promo_code(app, percent=15)
    public_id = place(client, SIX_PACK_AND_CERTS).get_json()["order_id"]
    session_id = session_of(app, public_id)
    pay_at_stripe(localstripe, stripe_stub, session_id)
    deliver(client, event("checkout.session.completed", {"id": session_id}))
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == public_id))
        package, *certificates = sorted(order.vouchers, key=lambda v: v.kind, reverse=True)
        assert package.kind == "sessions" and package.value_cents == 48_450
        # Liability at the paid price: 6 sessions worth $484.50, certificates at face.
        owed = reports.liability()
        assert (owed.sessions_cents, owed.money_cents) == (48_450, 9_900)
        # Two sessions first (telescoping: 6→4 of 48,450), then everything else.
        first = refund_order(order.id, {package.id: 2}, request_key="r1")
        assert first.amount_cents == 48_450 - 4 * 48_450 // 6 == 16_150
        second = refund_order(order.id, full_allocation(db.session.get(Order, order.id)),
                              request_key="r2")
        assert first.amount_cents + second.amount_cents == 56_865
        at_stripe = localstripe.refunds_for(order.payment_intent_id)
        assert sum(r["amount"] for r in at_stripe) == 56_865
        db.session.expire_all()
        order = db.session.get(Order, order.id)
        assert (order.status, order.refunded_cents) == ("refunded", 56_865)
        assert reports.liability().total_cents == 0


def test_usage_limit_holds_when_buyers_check_out_and_pay_at_once(
        app, stripe_stub, localstripe):
    promo_id = make_promo_code(app, percent=10, max_uses=2)
    results = run_concurrently(app, 6, lambda c, i: place(c, [{"product": "pain-management-60"}]))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 201, 422, 422, 422, 422], statuses
    refused = [r.get_json() for r in results if r.status_code == 422]
    assert all(body["errors"]["promo_code"] == "The code SPRING20 has been used up."
               for body in refused)
    winners = [r.get_json()["order_id"] for r in results if r.status_code == 201]
    sessions = [session_of(app, public_id) for public_id in winners]
    for session_id in sessions:
        pay_at_stripe(localstripe, stripe_stub, session_id)
    # Each paid session's event three times (a retry, a replay), all at once.
    events = [event("checkout.session.completed", {"id": s}) for s in sessions]
    run_concurrently(app, 6, lambda c, i: deliver(c, events[i % 2]))
    with app.app_context():
        orders = db.session.scalars(select(Order)).all()
        assert sorted((o.status, o.total_cents) for o in orders) == [("paid", 9_900)] * 2
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == 2
        [figures] = promo_report()
        assert (figures.uses, figures.discount_cents) == (2, 2_200)
        assert db.session.get(PromoCode, promo_id).max_uses == 2


def test_a_code_used_up_or_withdrawn_after_checkout_does_not_fail_the_paid_order(
        app, client, stripe_stub, localstripe):
    promo_id = make_promo_code(app, amount=1_000, max_uses=1)
    public_id = place(client, [{"product": "pain-management-60"}]).get_json()["order_id"]
    # While the order holds the only use, nobody else gets the code.
    refused = place(app.test_client(), [{"product": "pain-management-90"}])
    assert refused.get_json()["errors"]["promo_code"] == "The code SPRING20 has been used up."
    with app.app_context():  # the owner withdraws the code before the buyer pays
        promo = db.session.get(PromoCode, promo_id)
        promo.active = False
        promo.ends_on = promo.starts_on
        db.session.commit()
    session_id = session_of(app, public_id)
    pay_at_stripe(localstripe, stripe_stub, session_id)
    deliver(client, event("checkout.session.completed", {"id": session_id}))
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == public_id))
        assert (order.status, order.total_cents, order.discount_cents) == ("paid", 10_000, 1_000)
        assert [v.value_cents for v in order.vouchers] == [10_000]


def test_a_lapsed_hold_frees_the_use_for_the_next_buyer(app, client, stripe_stub):
    make_promo_code(app, percent=10, max_uses=1)
    first = place(client, [{"product": "pain-management-60"}]).get_json()["order_id"]
    with app.app_context():  # the buyer walked away: the session and its hold have lapsed
        order = db.session.scalar(select(Order).where(Order.public_id == first))
        order.promo_held_until = order.promo_held_until - timedelta(days=1)
        db.session.commit()
    second = place(app.test_client(), [{"product": "pain-management-90"}])
    assert second.status_code == 201, second.get_json()


def test_an_expired_session_is_paid_again_at_the_discount_with_a_new_coupon(
        app, client, stripe_stub, localstripe):
    make_promo_code(app, amount=1_500, max_uses=1)
    order_path = review(client, "pain-management-60")
    assert post_form(client, order_path, order_path + "/promo",
                     data={"promo_code": "Spring20"}).status_code == 303
    assert pay_from_review(client, order_path).status_code == 303
    first = session_of(app, order_path.split("/")[-1])
    stripe_stub.sessions[first]["status"] = "expired"
    deliver(client, event("checkout.session.expired", {"id": first}))
    again = post_form(client, order_path, order_path + "/pay", data={})
    assert again.status_code == 303 and "checkout.stripe.test" in again.headers["Location"]
    second = session_of(app, order_path.split("/")[-1])
    assert second != first and stripe_stub.sessions[second]["amount_total"] == 9_500
    coupons = [r["idempotency_key"] for r in stripe_stub.requests if r["path"] == "/v1/coupons"]
    assert len(coupons) == 2 and coupons[1].endswith(f"-after-{first}-coupon")
    pay_at_stripe(localstripe, stripe_stub, second)
    deliver(client, event("checkout.session.completed", {"id": second}))
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents) == ("paid", 9_500)
