"""The public JSON API, validated against its own OpenAPI document."""
from datetime import timedelta

import jsonschema
import pytest
from sqlalchemy import func, select

from giftshop.extensions import db
from giftshop.models import Order, OrderItem
from giftshop.localtime import today_local
from tests.support.openapi import OpenAPI


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    return OpenAPI(document)


def order_body(**item):
    item = {"product": "gift-certificate", "amount_cents": 7500, **item}
    return {"purchaser": {"name": "Ana Buyer", "email": "ana@example.com"}, "items": [item]}


def test_catalog_lists_seed_products_in_order(client, spec):
    response = client.get("/api/v1/catalog")
    spec.validate("/catalog", "get", response)
    products = response.get_json()["products"]
    assert [p["slug"] for p in products] == [
        "gift-certificate", "pain-management-60", "pain-management-90",
        "pain-management-4-pack", "pain-management-6-pack"]
    money, _, _, four_pack, _ = products
    assert (money["kind"], money["min_cents"], money["max_cents"]) == ("money", 2500, 100000)
    assert (four_pack["price_cents"], four_pack["sessions"], four_pack["service"]) == (
        40000, 4, "60-min Pain Management Massage")


def test_create_order_returns_links_and_snapshots_prices(app, client, spec):
    response = client.post("/api/v1/orders", json=order_body(
        quantity=2, recipient={"name": "Ben", "email": "ben@example.com"},
        message="Happy birthday", deliver_on=(today_local() + timedelta(days=30)).isoformat()))
    assert response.status_code == 201
    spec.validate("/orders", "post", response)
    body = response.get_json()
    assert body["order_url"].endswith(f"/orders/{body['order_id']}")
    assert f"/checkout/demo/{body['order_id']}" in body["checkout_url"]
    got = client.get(f"/api/v1/orders/{body['order_id']}")
    spec.validate("/orders/{order_id}", "get", got)
    assert got.get_json() == {"order_id": body["order_id"], "status": "pending",
                              "total_cents": 15000, "discount_cents": 0, "promo_code": None,
                              "vouchers": []}
    with app.app_context():
        item = db.session.scalars(select(OrderItem)).one()
        assert (item.unit_price_cents, item.quantity, item.recipient_email) == (
            7500, 2, "ben@example.com")


@pytest.mark.parametrize("body, field", [
    (order_body(amount_cents=2499), "items.0.amount_cents"),
    (order_body(amount_cents=100001), "items.0.amount_cents"),
    (order_body(amount_cents=5050), "items.0.amount_cents"),
    (order_body(amount_cents="5000"), "items.0.amount_cents"),
    (order_body(amount_cents=None), "items.0.amount_cents"),
    (order_body(quantity=0), "items.0.quantity"),
    (order_body(quantity=11), "items.0.quantity"),
    (order_body(product="nope"), "items.0.product"),
    (order_body(message="x" * 501), "items.0.message"),
    (order_body(deliver_on="2020-01-01"), "items.0.deliver_on"),
    (order_body(deliver_on="tomorrow"), "items.0.deliver_on"),
    (order_body(recipient={"email": "ben@example.com"}), "items.0.recipient.name"),
    (order_body(message="bell \x07 rings"), "items.0.message"),  # cannot be printed
    (order_body(recipient={"name": "Ben \ue000"}), "items.0.recipient.name"),  # private use
    (order_body(recipient={"name": "Ben", "email": "not-an-email"}), "items.0.recipient.email"),
    ({"purchaser": {"name": "", "email": "a@b.co"}, "items": [{"product": "gift-certificate",
                                                                 "amount_cents": 5000}]},
     "purchaser.name"),
    ({"purchaser": {"name": "A", "email": "a@b.co"}, "items": []}, "items"),
    ({"items": [{"product": "gift-certificate", "amount_cents": 5000}]}, "purchaser"),
])
def test_invalid_orders_get_422_with_field_errors_and_write_nothing(app, client, spec, body, field):
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    spec.validate("/orders", "post", response)
    assert field in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_recipient_with_a_name_only_is_a_gift_the_buyer_hands_over(app, client, spec):
    response = client.post("/api/v1/orders", json=order_body(recipient={"name": "Ben Holder"}))
    assert response.status_code == 201
    spec.validate("/orders", "post", response)
    with app.app_context():
        item = db.session.scalars(select(OrderItem)).one()
        assert (item.recipient_name, item.recipient_email) == ("Ben Holder", None)


def test_deliver_on_a_year_ahead_is_allowed_but_not_a_day_more(client):
    ok = (today_local() + timedelta(days=365)).isoformat()
    late = (today_local() + timedelta(days=366)).isoformat()
    assert client.post("/api/v1/orders", json=order_body(deliver_on=ok)).status_code == 201
    assert client.post("/api/v1/orders", json=order_body(deliver_on=late)).status_code == 422


def test_non_json_order_body_is_422_not_500(client):
    for data in ("not json", "[1, 2]", "null"):
        response = client.post("/api/v1/orders", data=data, content_type="application/json")
        assert response.status_code == 422, data
        assert response.get_json()["error"] == "invalid"


def test_unknown_order_is_404_json(client, spec):
    response = client.get("/api/v1/orders/does-not-exist")
    assert response.status_code == 404
    spec.validate("/orders/{order_id}", "get", response)


def test_openapi_document_is_itself_valid_schema(spec):
    for name, schema in spec.document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_deliver_on_accepts_iso_calendar_dates_only(client):
    day = today_local() + timedelta(days=10)
    year, week, weekday = day.isocalendar()
    odd = [f"{year}-W{week:02d}-{weekday}", f"{year}W{week:02d}{weekday}", day.strftime("%Y%m%d"),
           day.isoformat() + "T00:00", " " + day.isoformat()]
    for text in odd:
        response = client.post("/api/v1/orders", json=order_body(deliver_on=text))
        assert response.status_code == 422, text
        assert "items.0.deliver_on" in response.get_json()["errors"], text
    assert client.post("/api/v1/orders",
                       json=order_body(deliver_on=day.isoformat())).status_code == 201


def test_the_order_and_its_voucher_codes_are_never_cached_or_indexed(client):
    created = client.post("/api/v1/orders", json=order_body()).get_json()
    for url in (f"/api/v1/orders/{created['order_id']}", f"/orders/{created['order_id']}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers["X-Robots-Tag"] == "noindex", url
