"""Prepaid gratuity at purchase: its bounds, its own Checkout line (over the real-HTTP
Stripe stub), fulfilment carrying it onto each voucher, the form and the review page."""
import re

import pytest
from sqlalchemy import select

from giftshop.checkout.gratuity import percent_of
from giftshop.extensions import db
from giftshop.models import Order, OrderItem, Product, Voucher
from tests.support.openapi import OpenAPI
from tests.support.stripe_events import deliver, event
from tests.support.web import pay_from_review, post_form


@pytest.fixture
def app_config(stripe_stub):
    return {"STRIPE_SECRET_KEY": "sk_test_local", "STRIPE_API_BASE": stripe_stub.url}


BUYER = {"name": "Ana Buyer", "email": "ana@example.com"}


def place(client, *items):
    return client.post("/api/v1/orders", json={"purchaser": BUYER, "items": list(items)})


def cert(dollars=150, **extra):
    return {"product": "gift-certificate", "amount_cents": dollars * 100, **extra}


def test_percent_is_of_the_price_in_cents_rounded_half_up():
    assert percent_of(15_000, 20) == 3_000
    assert percent_of(11_010, 15) == 1_652  # 1651.5 → 1652
    assert percent_of(12_345, 15) == 1_852  # 1851.75 → 1852
    assert percent_of(30, 15) == 5 and percent_of(10, 25) == 3  # 4.5 → 5, 2.5 → 3
    assert percent_of(11_003, 25) == 2_751  # 2750.75 → 2751
    assert percent_of(11_001, 25) == 2_750  # 2750.25 → 2750


def test_the_gratuity_is_its_own_checkout_line_and_part_of_the_total(app, client, stripe_stub):
    spec = OpenAPI(client.get("/api/v1/openapi.json").get_json())
    response = place(client, cert(150, quantity=2, gratuity={"percent": 20}),
                     {"product": "pain-management-4-pack", "gratuity": {"amount_cents": 5000}},
                     {"product": "pain-management-60"})
    assert response.status_code == 201, response.get_json()
    spec.validate("/orders", "post", response)
    [params] = stripe_stub.created()
    assert params["line_items"] == [
        {"quantity": "2", "price_data": {"currency": "usd", "unit_amount": "15000",
                                         "product_data": {"name": "Gift certificate"}}},
        {"quantity": "1", "price_data": {"currency": "usd", "unit_amount": "40000",
                                         "product_data": {"name": "Pain Management 4-pack"}}},
        {"quantity": "1", "price_data": {"currency": "usd", "unit_amount": "11000",
                                         "product_data": {"name": "60-min Pain Management Massage"}}},
        {"quantity": "2", "price_data": {"currency": "usd", "unit_amount": "3000", "product_data": {
            "name": "Gratuity for your therapist (Gift certificate)"}}},
        {"quantity": "1", "price_data": {"currency": "usd", "unit_amount": "5000", "product_data": {
            "name": "Gratuity for your therapist (Pain Management 4-pack)"}}},
    ]
    session = stripe_stub.sessions[next(iter(stripe_stub.sessions))]
    assert session["amount_total"] == 30_000 + 40_000 + 11_000 + 6_000 + 5_000
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.total_cents == session["amount_total"]
        items = [(i.gratuity_cents, i.gratuity_percent) for i in order.items]
        assert items == [(3_000, 20), (5_000, None), (0, None)]


def test_an_owner_edited_price_gets_its_percent_rounded_half_up(app, client, stripe_stub):
    with app.app_context():
        product = db.session.scalars(select(Product).where(
            Product.slug == "pain-management-60")).one()
        product.price_cents = 11_010
        db.session.commit()
    assert place(client, {"product": "pain-management-60",
                          "gratuity": {"percent": 15}}).status_code == 201
    gratuity_line = stripe_stub.created()[0]["line_items"][1]
    assert gratuity_line["price_data"]["unit_amount"] == "1652"


@pytest.mark.parametrize("gratuity, message", [
    ({"percent": 0}, "A gratuity is 1% to 100% of the gift's price."),
    ({"percent": 101}, "A gratuity is 1% to 100% of the gift's price."),
    ({"percent": "20"}, "The gratuity must be a whole number."),
    ({"percent": 20.5}, "The gratuity must be a whole number."),
    ({"percent": True}, "The gratuity must be a whole number."),
    ({"amount_cents": 1550}, "Give the gratuity in whole dollars, at least $1."),
    ({"amount_cents": 0}, "Give the gratuity in whole dollars, at least $1."),
    ({"amount_cents": -500}, "Give the gratuity in whole dollars, at least $1."),
    ({"amount_cents": 15_100}, "The gratuity cannot be more than the gift's price."),
    ({"percent": 20, "amount_cents": 100},
     'Give {"percent": 20} or {"amount_cents": 2000}, or leave it out.'),
    ({"tip": 5}, 'Give {"percent": 20} or {"amount_cents": 2000}, or leave it out.'),
    ("20%", 'Give {"percent": 20} or {"amount_cents": 2000}, or leave it out.'),
    ({"amount_cents": 10**30}, "The gratuity cannot be more than the gift's price."),
])
def test_a_bad_gratuity_is_a_clear_422_and_writes_nothing(app, client, stripe_stub,
                                                          gratuity, message):
    response = place(client, cert(150, gratuity=gratuity))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"items.0.gratuity": message}
    assert stripe_stub.created() == []
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_a_gratuity_is_at_most_500_dollars(app, client, stripe_stub):
    over = place(client, cert(1000, gratuity={"percent": 60}))
    assert over.status_code == 422
    assert over.get_json()["errors"] == {"items.0.gratuity": "A gratuity can be at most $500."}
    over = place(client, cert(1000, gratuity={"amount_cents": 50_100}))
    assert over.get_json()["errors"] == {"items.0.gratuity": "A gratuity can be at most $500."}
    assert place(client, cert(1000, gratuity={"amount_cents": 50_000})).status_code == 201
    assert place(client, cert(25, gratuity={"percent": 100})).status_code == 201


def test_the_webhook_fulfilment_gives_each_voucher_its_gratuity(app, client, stripe_stub):
    created = place(client, cert(100, quantity=2, gratuity={"percent": 25}),
                    {"product": "pain-management-60"})
    assert created.status_code == 201
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        session = stripe_stub.mark_paid(order.stripe_session_id)
    assert session["amount_total"] == 20_000 + 5_000 + 11_000
    assert deliver(client, event("checkout.session.completed", session)).json["outcome"] \
        == "processed"
    with app.app_context():
        vouchers = db.session.scalars(select(Voucher).order_by(Voucher.id)).all()
        assert [(v.initial, v.remaining, v.gratuity_cents, v.gratuity_status)
                for v in vouchers] == [(10_000, 10_000, 2_500, "held")] * 2 + [
            (1, 1, 0, "none")]
        # The gratuity never enters the ledger: the value issued is the gift alone.
        assert [sum(e.delta for e in v.entries) for v in vouchers] == [10_000, 10_000, 1]
    page = client.get(f"/orders/{created.json['order_id']}").get_data(as_text=True)
    assert page.count("Gratuity of $25.00 included for your therapist") == 2
    holder = client.get(f"/v/{vouchers[0].code}").get_data(as_text=True)
    assert "Gratuity of $25.00 included for your therapist" in holder
    assert "Gratuity" not in client.get(f"/v/{vouchers[2].code}").get_data(as_text=True)


def test_the_form_takes_a_percent_and_the_review_page_shows_it(app, client, stripe_stub):
    response = post_form(client, "/p/gift-certificate", "/p/gift-certificate/buy", {
        "amount": "150", "quantity": "1", "purchaser_name": "Ana",
        "purchaser_email": "ana@example.com", "delivery": "me", "gratuity": "20"})
    assert response.status_code == 303, response.get_data(as_text=True)
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "20% · $30.00, for your therapist" in review
    assert 'id="order-total">$180.00<' in review and "(includes $30.00 gratuity)" in review
    assert 'id="pay" type="submit">Pay $180.00<' in review
    paid = pay_from_review(client, response.headers["Location"])
    assert paid.status_code == 303
    lines = stripe_stub.created()[0]["line_items"]
    assert [li["price_data"]["unit_amount"] for li in lines] == ["15000", "3000"]


def test_the_form_takes_an_amount_and_asks_for_one_when_empty(app, client, stripe_stub):
    data = {"quantity": "2", "purchaser_name": "Ana", "purchaser_email": "ana@example.com",
            "delivery": "me", "gratuity": "amount", "gratuity_amount": ""}
    empty = post_form(client, "/p/pain-management-60", "/p/pain-management-60/buy", data)
    assert empty.status_code == 422
    assert "Give the gratuity in whole dollars, at least $1." in empty.get_data(as_text=True)
    cents = post_form(client, "/p/pain-management-60", "/p/pain-management-60/buy",
                      {**data, "gratuity_amount": "12.50"})
    assert cents.status_code == 422
    assert "Enter whole dollars, like 75 (no cents)." in cents.get_data(as_text=True)
    ok = post_form(client, "/p/pain-management-60", "/p/pain-management-60/buy",
                   {**data, "gratuity_amount": "20"})
    assert ok.status_code == 303
    with app.app_context():
        item = db.session.scalars(select(OrderItem)).one()
        assert (item.gratuity_cents, item.gratuity_percent, item.quantity) == (2_000, None, 2)
        assert db.session.scalars(select(Order)).one().total_cents == 2 * (11_000 + 2_000)
    review = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "$20.00 each ($40.00), for your therapist" in review


def test_editing_a_gift_keeps_or_changes_its_gratuity(app, client, stripe_stub):
    first = post_form(client, "/p/gift-certificate", "/p/gift-certificate/buy", {
        "amount": "100", "purchaser_name": "Ana", "purchaser_email": "ana@example.com",
        "delivery": "me", "gratuity": "15"})
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        item_id, public_id = order.items[0].id, order.public_id
    edit_url = f"/orders/{public_id}/items/{item_id}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    checked = re.findall(r'<input checked[^>]*name="gratuity"[^>]*value="([^"]+)"', form)
    assert checked == ["15"]
    post_form(client, edit_url, "/p/gift-certificate/buy", {
        "amount": "100", "purchaser_name": "Ana", "purchaser_email": "ana@example.com",
        "delivery": "me", "gratuity": "none", "order_ref": public_id,
        "item_ref": str(item_id)})
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.items[0].gratuity_cents, order.total_cents) == (0, 10_000)
    assert first.status_code == 303


def test_the_preview_prints_the_gratuity_line_and_refuses_a_bad_one(client):
    good = client.get("/p/gift-certificate/preview.png?amount=150&gratuity=20")
    assert good.status_code == 200 and good.mimetype == "image/png"
    bad = client.get("/p/gift-certificate/preview.png?amount=150&gratuity=amount"
                     "&gratuity_amount=900")
    assert bad.status_code == 422
