"""The embed routes' framing rules, the no-cookie purchase entry and the back-office snippet."""
import pytest
from sqlalchemy import select

from config import Config, parse_origins
from giftshop.extensions import db
from giftshop.models import Order
from tests.support.auth import owner_client, staff_client

PRACTICE = "https://www.westhillsmassage.com"


@pytest.fixture
def app_config():
    return {"EMBED_ORIGINS": [PRACTICE, "http://localhost:8080"]}


@pytest.mark.parametrize("path", ["/embed", "/embed/p/pain-management-4-pack", "/embed/button.js"])
def test_embed_routes_may_be_framed_by_the_embed_origins_only(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {PRACTICE} http://localhost:8080;" in csp
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/", "/p/pain-management-4-pack", "/balance", "/desk/login"])
def test_every_other_page_keeps_frame_ancestors_none(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("app_config", [{"EMBED_ORIGINS": []}])
def test_without_embed_origins_nothing_may_frame_the_embed_pages(client):
    response = client.get("/embed")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_button_script_knows_the_allowed_origins(client):
    response = client.get("/embed/button.js")
    assert response.mimetype == "text/javascript"
    script = response.get_data(as_text=True)
    assert f'["{PRACTICE}", "http://localhost:8080"]' in script
    assert "window.location.assign" in script  # payment opens top-level


def test_embedded_order_is_placed_without_a_session_cookie(app, client):
    response = client.post("/embed/p/pain-management-4-pack/buy", data={
        "quantity": "1", "purchaser_name": "Ana Buyer", "purchaser_email": "ana@example.com",
        "recipient_name": "Ben Holder", "recipient_email": "ben@example.com"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents) == ("pending", 40_000)
    pay_url = f"http://localhost/checkout/demo/{order.public_id}"
    assert f'data-checkout-url="{pay_url}"' in page
    assert f'href="{pay_url}" target="_top"' in page  # the no-JavaScript way out of the frame


def test_bad_embedded_order_is_shown_in_the_frame_and_nothing_is_written(app, client):
    response = client.post("/embed/p/gift-certificate/buy", data={
        "amount": "5000", "quantity": "1", "purchaser_name": "", "purchaser_email": "x"})
    assert response.status_code == 422
    assert "Choose an amount from $25 to $1,000." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_owner_sees_the_snippet_for_the_practice_site(app):
    page = owner_client(app).get("/admin/website").get_data(as_text=True)
    assert ("&lt;a href=&#34;http://shop.test/&#34; data-giftshop-button&gt;"
            "Buy a gift certificate&lt;/a&gt;") in page
    assert "&lt;script src=&#34;http://shop.test/embed/button.js&#34; async&gt;" in page
    assert "data-product=&#34;pain-management-6-pack&#34;" in page  # one per product
    assert staff_client(app).get("/admin/website").status_code == 403


@pytest.mark.parametrize("value", ["https://example.com/gifts", "*", "example.com",
                                   "https://*.example.com", "ftp://example.com"])
def test_an_embed_origin_that_is_not_an_origin_stops_the_shop(monkeypatch, value):
    monkeypatch.setenv("EMBED_ORIGINS", value)
    with pytest.raises(ValueError, match="is not an origin"):
        Config()


def test_embed_origins_accept_commas_spaces_and_a_trailing_slash():
    assert parse_origins("https://A.example/, http://localhost:8080  https://a.example") == \
        ["https://a.example", "http://localhost:8080"]
