"""Bodies past MAX_CONTENT_LENGTH are refused with 413 before they are read or parsed."""
import json

import pytest

from config import Config

BIG = 2 * 1024 * 1024


def big_json() -> bytes:
    return json.dumps({"purchaser": {"name": "x" * BIG, "email": "a@b.co"}, "items": []}).encode()


def test_an_oversized_api_body_is_413_in_json(client):
    response = client.post("/api/v1/orders", data=big_json(), content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == {"error": "too_large",
                                   "message": "The request is too large: send at most "
                                              "1,048,576 bytes."}


def test_the_webhook_refuses_an_oversized_body_before_checking_its_signature(client):
    response = client.post("/stripe/webhook", data=big_json(), content_type="application/json",
                           headers={"Stripe-Signature": "t=1,v1=00"})
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"


def test_an_oversized_form_post_is_413_as_a_page(client):
    response = client.post("/p/pain-management-60/buy", data={"purchaser_name": "x" * BIG})
    assert response.status_code == 413
    assert "The request is too large" in response.get_data(as_text=True)


def test_bodies_under_the_limit_are_read_as_before(client):
    body = json.dumps({"purchaser": {"name": "x" * 1000, "email": "a@b.co"}, "items": []})
    response = client.post("/api/v1/orders", data=body, content_type="application/json")
    assert response.status_code == 422


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 4096}])
def test_the_limit_is_configurable(client, app_config):
    body = json.dumps({"purchaser": {"name": "x" * 5000, "email": "a@b.co"}, "items": []})
    response = client.post("/api/v1/orders", data=body, content_type="application/json")
    assert response.status_code == 413 and "4,096 bytes" in response.get_json()["message"]


def test_max_content_length_is_read_from_the_environment(monkeypatch):
    assert Config().MAX_CONTENT_LENGTH == 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "65536")
    assert Config().MAX_CONTENT_LENGTH == 65536
