"""Stripe Checkout: the SDK talks real HTTP to a local stub; webhooks are signed like Stripe's."""
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from giftshop.checkout import webhooks
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Order, StripeEvent, Voucher
from tests.support.concurrency import run_concurrently
from tests.support.factories import count
from tests.support.stripe_events import deliver, event, signed


@pytest.fixture
def app_config(stripe_stub):
    return {"STRIPE_SECRET_KEY": "sk_test_local", "STRIPE_API_BASE": stripe_stub.url}


def place(client, items, purchaser=None):
    body = {"purchaser": purchaser or {"name": "Ana Buyer", "email": "ana@example.com"},
            "items": items}
    return client.post("/api/v1/orders", json=body)


def pay(app, stripe_stub, client, items):
    """Place an order over the API and have the stub mark its session paid."""
    created = place(client, items)
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        session = stripe_stub.mark_paid(order.stripe_session_id)
    return order, session


def test_checkout_session_is_created_with_catalog_prices(app, client, stripe_stub):
    response = place(client, [
        {"product": "pain-management-4-pack", "quantity": 1, "amount_cents": 1,
         "price_cents": 1, "recipient": {"name": "Ben", "email": "ben@example.com"}},
        {"product": "gift-certificate", "quantity": 2, "amount_cents": 5000},
    ])
    # A price on a fixed-price product is refused, not trusted.
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"items.0.amount_cents": "This product has a fixed price."}
    response = place(client, [
        {"product": "pain-management-4-pack", "quantity": 1, "price_cents": 1,
         "unit_amount": 1, "recipient": {"name": "Ben", "email": "ben@example.com"}},
        {"product": "gift-certificate", "quantity": 2, "amount_cents": 5000},
    ])
    assert response.status_code == 201
    body = response.get_json()
    assert body["checkout_url"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    [params] = stripe_stub.created()
    assert params["mode"] == "payment"
    assert params["customer_email"] == "ana@example.com"
    assert params["client_reference_id"] == body["order_id"]
    assert params["metadata"] == {"order_id": body["order_id"]}
    assert params["success_url"] == "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == f"http://shop.test/checkout/cancel/{body['order_id']}"
    assert params["line_items"] == [
        {"quantity": "1", "price_data": {"currency": "usd", "unit_amount": "40000",
                                         "product_data": {"name": "Pain Management 4-pack"}}},
        {"quantity": "2", "price_data": {"currency": "usd", "unit_amount": "5000",
                                         "product_data": {"name": "Gift certificate"}}},
    ]
    key = [r for r in stripe_stub.requests if r["path"] == "/v1/checkout/sessions"][0]
    assert key["idempotency_key"] == f"order-{body['order_id']}-checkout"
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents) == ("pending", 50_000)


def test_product_form_redirects_to_stripe_checkout(client, stripe_stub):
    from tests.support.web import post_form

    from tests.support.web import pay_from_review

    response = post_form(client, "/p/pain-management-60", "/p/pain-management-60/buy", {
        "quantity": "1", "purchaser_name": "Ana", "purchaser_email": "ana@example.com",
        "delivery": "me"})
    assert response.status_code == 303
    response = pay_from_review(client, response.headers["Location"])
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.test/")
    assert stripe_stub.created()[0]["line_items"][0]["price_data"]["unit_amount"] == "11000"


def test_completed_event_fulfils_and_quantity_3_gives_3_vouchers(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client,
                         [{"product": "gift-certificate", "quantity": 3, "amount_cents": 2500}])
    response = deliver(client, event("checkout.session.completed", session))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "processed"
    with app.app_context():
        order = db.session.get(Order, order.id)
        assert order.status == "paid" and order.payment_intent_id == session["payment_intent"]
        assert [(v.initial, v.remaining) for v in order.vouchers] == [(2500, 2500)] * 3
    status = client.get(f"/api/v1/orders/{order.public_id}").get_json()
    assert status["status"] == "paid" and len(status["vouchers"]) == 3


def test_duplicate_webhook_issues_one_set_of_vouchers(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-6-pack"}])
    payload = event("checkout.session.completed", session)
    assert deliver(client, payload).get_json()["outcome"] == "processed"
    assert deliver(client, payload).get_json()["outcome"] == "duplicate"
    # A different event for the same session (e.g. async_payment_succeeded) changes nothing.
    assert deliver(client, event("checkout.session.async_payment_succeeded", session)).status_code == 200
    with app.app_context():
        assert count(Voucher) == 1 and count(LedgerEntry) == 1 and count(StripeEvent) == 2


def test_bad_or_missing_signature_is_refused_and_writes_nothing(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-60"}])
    payload = event("checkout.session.completed", session)
    body, _ = signed(payload)
    _, wrong = signed(payload, secret="whsec_someone_else")
    for headers in ({}, {"Stripe-Signature": wrong}, {"Stripe-Signature": "t=1,v1=deadbeef"}):
        response = client.post("/stripe/webhook", data=body, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["error"] == "bad_signature"
    # A valid signature over a different body (tampered amount) is refused too.
    tampered = json.dumps(payload).replace('"amount_total": 11000', '"amount_total": 1')
    _, header = signed(payload)
    assert client.post("/stripe/webhook", data=tampered,
                       headers={"Stripe-Signature": header}).status_code == 400
    with app.app_context():
        assert count(StripeEvent) == 0 and count(Voucher) == 0
        assert db.session.get(Order, order.id).status == "pending"


def test_amount_mismatch_is_not_fulfilled(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-90"}])
    stripe_stub.mark_paid(session["id"], amount_total=100)
    assert deliver(client, event("checkout.session.completed", session)).status_code == 200
    with app.app_context():
        assert db.session.get(Order, order.id).status == "pending" and count(Voucher) == 0


def test_currency_mismatch_is_not_fulfilled(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-90"}])
    stripe_stub.mark_paid(session["id"], currency="eur")
    deliver(client, event("checkout.session.completed", session))
    with app.app_context():
        assert db.session.get(Order, order.id).status == "pending" and count(Voucher) == 0


def test_event_claiming_paid_is_checked_against_stripe(app, client, stripe_stub):
    """The event body says paid, but Stripe (re-read) says unpaid: nothing is issued."""
    place(client, [{"product": "pain-management-60"}])
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        forged = dict(stripe_stub.sessions[order.stripe_session_id], payment_status="paid")
    deliver(client, event("checkout.session.completed", forged))
    with app.app_context():
        assert count(Voucher) == 0


def test_unknown_event_type_is_acknowledged(app, client):
    response = deliver(client, event("customer.created", {"id": "cus_123"}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"


@pytest.mark.parametrize("event_type", webhooks.SUBSCRIBED_EVENTS)
def test_every_subscribed_event_type_reaches_a_handler(app, client, event_type):
    """The explicit dispatch table covers every event the README subscribes: none is
    acknowledged as "ignored" (an object matching no order is handled and logged)."""
    obj = {"id": "obj_unknown", "object": event_type.split(".")[-2], "payment_intent": "pi_none",
           "amount": 100, "status": "succeeded", "refunds": {"data": []}}
    response = deliver(client, event(event_type, obj))
    assert response.status_code == 200 and response.get_json()["outcome"] == "processed"


def test_the_readme_subscribes_the_endpoint_to_exactly_the_handled_events():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Going live with Stripe", 1)[1].split("## ", 1)[0]
    listed = set(re.findall(r"`((?:checkout|charge|refund)\.[a-z_.]+)`", section))
    assert listed == set(webhooks.SUBSCRIBED_EVENTS)
    assert set(webhooks.SUBSCRIBED_EVENTS) <= set(webhooks.HANDLERS)


def test_expired_and_failed_sessions_mark_the_order(app, client, stripe_stub):
    place(client, [{"product": "pain-management-60"}])
    place(client, [{"product": "pain-management-90"}])
    with app.app_context():
        first, second = db.session.scalars(select(Order).order_by(Order.id)).all()
        s1, s2 = stripe_stub.sessions[first.stripe_session_id], stripe_stub.sessions[second.stripe_session_id]
    deliver(client, event("checkout.session.expired", s1))
    deliver(client, event("checkout.session.async_payment_failed", s2))
    with app.app_context():
        assert [o.status for o in db.session.scalars(select(Order).order_by(Order.id))] == [
            "expired", "failed"]


def test_stripe_error_while_rereading_answers_5xx_so_stripe_retries(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-60"}])
    stripe_stub.fail_retrievals = 10  # more than the SDK's own retries
    payload = event("checkout.session.completed", session)
    response = deliver(client, payload)
    assert response.status_code >= 500
    with app.app_context():
        assert count(StripeEvent) == 0 and count(Voucher) == 0
    stripe_stub.fail_retrievals = 0
    assert deliver(client, payload).get_json()["outcome"] == "processed"
    with app.app_context():
        assert count(Voucher) == 1


def test_success_redirect_fulfils_when_it_beats_the_webhook(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-4-pack"}])
    response = client.get(f"/checkout/success?session_id={session['id']}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.public_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 of 4 sessions left" in page
    assert deliver(client, event("checkout.session.completed", session)).status_code == 200
    with app.app_context():
        assert count(Voucher) == 1


def test_unpaid_success_page_shows_pending_and_refreshes(app, client, stripe_stub):
    place(client, [{"product": "pain-management-60"}])
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
    response = client.get(f"/checkout/success?session_id={order.stripe_session_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "pending" in page and 'http-equiv="refresh"' in page


def test_cancel_returns_to_the_order_offering_pay_now_or_start_again(app, client, stripe_stub):
    body = place(client, [{"product": "pain-management-90"}]).get_json()
    response = client.get(f"/checkout/cancel/{body['order_id']}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{body['order_id']}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Payment cancelled: nothing was charged." in page
    assert 'id="pay"' in page and "Pay now" in page and 'id="start-again"' in page
    assert 'http-equiv="refresh"' not in page


@pytest.mark.postgresql_only
def test_same_event_delivered_20_times_concurrently_issues_one_set(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client,
                         [{"product": "gift-certificate", "quantity": 2, "amount_cents": 10_000}])
    payload = event("checkout.session.completed", session)
    results = run_concurrently(app, 20, lambda c, i: deliver(c, payload).status_code)
    assert results == [200] * 20
    with app.app_context():
        assert count(Voucher) == 2 and count(LedgerEntry) == 2 and count(StripeEvent) == 1


@pytest.mark.postgresql_only
def test_event_and_success_redirect_racing_issue_one_set(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-6-pack"}])
    payload = event("checkout.session.completed", session)

    def hit(c, i):
        if i % 2:
            return deliver(c, payload).status_code
        return c.get(f"/checkout/success?session_id={session['id']}").status_code

    assert sorted(set(run_concurrently(app, 10, hit))) == [200, 303]
    with app.app_context():
        assert count(Voucher) == 1 and count(LedgerEntry) == 1


def test_success_page_for_unknown_session_is_404(client):
    assert client.get("/checkout/success?session_id=cs_nope").status_code == 404
    assert client.get("/checkout/success").status_code == 404


def test_success_page_when_stripe_is_down_shows_the_pending_order(app, client, stripe_stub):
    order, session = pay(app, stripe_stub, client, [{"product": "pain-management-60"}])
    stripe_stub.fail_retrievals = 10
    response = client.get(f"/checkout/success?session_id={session['id']}")
    assert response.status_code == 303
    assert "pending" in client.get(response.headers["Location"]).get_data(as_text=True)
    stripe_stub.fail_retrievals = 0
    assert deliver(client, event("checkout.session.completed", session)).status_code == 200
    with app.app_context():
        assert db.session.get(Order, order.id).status == "paid" and count(Voucher) == 1


@pytest.mark.parametrize("offset, status", [(-200, 200), (200, 200), (-600, 400), (600, 400),
                                            (10**9, 400)])
def test_webhook_signatures_more_than_five_minutes_off_either_way_are_refused(client, offset,
                                                                              status):
    import time

    import stripe

    body = json.dumps(event("customer.created", {"id": "cus_1", "object": "customer"}))
    header = stripe.WebhookSignature.generate_signature_header(
        body, "whsec_test_secret", timestamp=int(time.time()) + offset)
    response = client.post("/stripe/webhook", data=body.encode(),
                           headers={"Stripe-Signature": header, "Content-Type": "application/json"})
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"] == "bad_signature"


def test_a_fulfilment_commits_once_with_its_event_id(app, client, stripe_stub):
    from sqlalchemy import event as sa_event

    order, session = pay(app, stripe_stub, client,
                         [{"product": "gift-certificate", "quantity": 2, "amount_cents": 2500}])
    with app.app_context():
        engine = db.engine
    commits = []
    listener = lambda conn: commits.append(conn)  # noqa: E731
    sa_event.listen(engine, "commit", listener)
    try:
        response = deliver(client, event("checkout.session.completed", session))
    finally:
        sa_event.remove(engine, "commit", listener)
    assert response.get_json()["outcome"] == "processed"
    assert len(commits) == 1  # vouchers, entries, emails and the event id together
    with app.app_context():
        assert count(Voucher) == 2 and count(LedgerEntry) == 2 and count(StripeEvent) == 1
