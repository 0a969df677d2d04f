"""Past the public lookup limit, people are told in words when to try again and how to reach
the practice; API clients get JSON with a clear message and Retry-After."""
import pytest

from giftshop.attempts import retry_words
from tests.support.openapi import OpenAPI

PHONE, ADDRESS = "(971) 336-6028", "1675 SW Marlow Ave, Suite 210F, Portland, OR 97225"


def miss_ten_times(client):
    for i in range(10):
        assert client.get(f"/v/WHM-0000-0000-{i:04d}").status_code == 404


@pytest.mark.parametrize("seconds, words", [
    (1, "in a few seconds"), (10, "in a few seconds"), (30, "in about half a minute"),
    (59, "in about a minute"), (61, "in about a minute"), (150, "in about 2 minutes"),
    (600, "in about 10 minutes"), (3600, "in about an hour"), (4 * 3600, "in about 4 hours"),
])
def test_waits_are_said_in_words(seconds, words):
    assert retry_words(seconds) == words


@pytest.mark.parametrize("url", ["/v/WHM-9999-9999-9999", "/balance?code=WHM-9999-9999-9999",
                                 "/v/WHM-9999-9999-9999.pdf"])
def test_the_eleventh_wrong_code_gets_a_page_with_when_and_how_to_reach_the_practice(client, url):
    miss_ten_times(client)
    response = client.get(url)
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 61
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "Too many tries" in page
    assert "Please try again in about a minute." in page or \
        "Please try again in about half a minute." in page
    assert PHONE in page and ADDRESS in page and 'href="tel:+19713366028"' in page
    assert "per 1 minute" not in page and "10 per" not in page


def test_a_real_voucher_page_is_also_refused_while_the_client_is_locked_out(app, client):
    from giftshop.extensions import db
    from giftshop.vouchers.service import issue_voucher

    with app.app_context():
        code = issue_voucher(kind="money", initial=5_000, value_cents=5_000).code
        db.session.commit()
    miss_ten_times(client)
    assert client.get(f"/v/{code}").status_code == 429
    # Another client is not affected.
    other = app.test_client()
    assert other.get(f"/v/{code}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_the_api_order_lookup_counts_misses_and_answers_429_in_json(client):
    for i in range(10):
        miss = client.get(f"/api/v1/orders/no-such-order-{i}")
        assert miss.status_code == 404 and miss.get_json()["error"] == "not_found"
    response = client.get("/api/v1/orders/no-such-order-10")
    assert response.status_code == 429 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "rate_limited"
    assert body["message"].startswith("Too many wrong codes were tried from your connection.")
    assert "Please try again in about" in body["message"]
    assert body["retry_after"] == int(response.headers["Retry-After"]) and body["retry_after"] >= 1
    OpenAPI(client.get("/api/v1/openapi.json").get_json()).validate(
        "/orders/{order_id}", "get", response)
    # The holder pages share the count: this client is refused there too.
    assert client.get("/v/WHM-1234-1234-1234").status_code == 429


def test_found_orders_do_not_use_up_the_api_limit(app, client):
    from giftshop.checkout.service import place_order
    from giftshop.localtime import today_local

    with app.test_request_context():
        public_id = place_order({"purchaser": {"name": "Ana", "email": "ana@example.com"},
                                 "items": [{"product": "gift-certificate",
                                            "amount_cents": 5_000}]},
                                today=today_local()).public_id
    for _ in range(15):
        assert client.get(f"/api/v1/orders/{public_id}").status_code == 200


def test_a_flask_limiter_limit_also_says_when_in_words(client):
    statuses = [client.get("/p/no-such-product/preview.png").status_code for _ in range(60)]
    assert set(statuses) == {404}
    response = client.get("/p/no-such-product/preview.png")
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 61
    page = response.get_data(as_text=True)
    assert "Too many requests from your connection. Please try again in about" in page
    assert "per 1 minute" not in page and PHONE in page
