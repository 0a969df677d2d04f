"""The staff JSON API (bearer token), validated against the served OpenAPI document."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import ApiToken, Staff
from giftshop.vouchers.service import issue_voucher
from tests.support.auth import api_token, bearer, sign_in
from tests.support.openapi import OpenAPI


@pytest.fixture
def spec(client):
    return OpenAPI(client.get("/api/v1/openapi.json").get_json())


@pytest.fixture
def tokens(app):
    return {"staff": api_token(app, "desk@example.com"),
            "owner": api_token(app, "owner@example.com", "owner")}


@pytest.fixture
def issue(app):
    def make(kind="money", initial=10_000) -> str:
        with app.app_context():
            voucher = issue_voucher(kind=kind, initial=initial, value_cents=10_000,
                                    service="60-min Pain Management Massage")
            db.session.commit()
            return voucher.code
    return make


def redeem(client, code, token, body, key="key-1"):
    return client.post(f"/api/v1/vouchers/{code}/redemptions", json=body, headers=bearer(token, key))


def test_staff_paths_are_in_the_openapi_document(spec):
    paths = spec.document["paths"]
    for path in ("/vouchers/{code}", "/vouchers/{code}/redemptions",
                 "/redemptions/{id}/reversal", "/vouchers/{code}/void"):
        assert path in paths
    assert "StaffVoucher" in spec.document["components"]["schemas"]
    assert paths["/catalog"]  # the public paths are still there


def test_get_voucher_shows_what_remains_and_its_history(client, spec, tokens, issue):
    code = issue("money", 10_000)
    redeem(client, code, tokens["staff"], {"amount_cents": 3_750, "note": "facial add-on"})
    printed = f"whm-{code[:4]}-{code[4:8]}-{code[8:]}"
    response = client.get(f"/api/v1/vouchers/{printed}", headers=bearer(tokens["staff"]))
    spec.validate("/vouchers/{code}", "get", response)
    body = response.get_json()
    assert (body["code"], body["kind"], body["status"]) == (code, "money", "active")
    assert (body["initial"], body["remaining"]) == (10_000, 6_250)
    issue_row, redeem_row = body["history"]
    assert (issue_row["kind"], issue_row["delta"], issue_row["staff"]) == ("issue", 10_000, None)
    assert (redeem_row["kind"], redeem_row["delta"], redeem_row["balance_after"]) == (
        "redeem", -3_750, 6_250)
    assert (redeem_row["staff"], redeem_row["note"]) == ("desk@example.com", "facial add-on")
    assert redeem_row["at"].endswith("+00:00")


def test_redeeming_sessions_answers_201_with_what_remains(client, spec, tokens, issue):
    code = issue("sessions", 6)
    response = redeem(client, code, tokens["staff"], {"sessions": 2})
    spec.validate("/vouchers/{code}/redemptions", "post", response)
    assert response.status_code == 201 and response.get_json()["remaining"] == 4
    assert "Idempotent-Replayed" not in response.headers


def test_a_retried_idempotency_key_returns_the_same_redemption(client, tokens, issue):
    code = issue("sessions", 6)
    first = redeem(client, code, tokens["staff"], {"sessions": 1}, key="retry-me")
    again = redeem(client, code, tokens["staff"], {"sessions": 1}, key="retry-me")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() == {"id": first.get_json()["id"], "remaining": 5}
    other = redeem(client, code, tokens["staff"], {"sessions": 3}, key="retry-me")
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"


def test_a_redemption_without_an_idempotency_key_is_422(client, spec, tokens, issue):
    code = issue("sessions", 6)
    response = client.post(f"/api/v1/vouchers/{code}/redemptions", json={"sessions": 1},
                           headers=bearer(tokens["staff"]))
    spec.validate("/vouchers/{code}/redemptions", "post", response)
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]


@pytest.mark.parametrize("body", [None, [], {}, {"sessions": 1, "amount_cents": 100},
                                  {"sessions": "1"}, {"sessions": 0}, {"sessions": -2},
                                  {"sessions": 1.5}, {"amount_cents": 100}, {"sessions": True},
                                  {"sessions": 1, "price": 5}, {"sessions": 1, "note": 7}])
def test_malformed_redemptions_are_422_and_write_nothing(client, spec, tokens, issue, body):
    code = issue("sessions", 6)
    response = client.post(f"/api/v1/vouchers/{code}/redemptions", json=body,
                           headers=bearer(tokens["staff"], "k-malformed"))
    spec.validate("/vouchers/{code}/redemptions", "post", response)
    assert response.status_code == 422, response.get_json()
    after = client.get(f"/api/v1/vouchers/{code}", headers=bearer(tokens["staff"])).get_json()
    assert after["remaining"] == 6 and len(after["history"]) == 1


def test_overdrawing_is_409_and_unknown_codes_404(client, spec, tokens, issue):
    money, package = issue("money", 2_500), issue("sessions", 1)
    over = redeem(client, money, tokens["staff"], {"amount_cents": 2_501})
    spec.validate("/vouchers/{code}/redemptions", "post", over)
    assert (over.status_code, over.get_json()["error"]) == (409, "insufficient_balance")
    redeem(client, package, tokens["staff"], {"sessions": 1}, key="a")
    none_left = redeem(client, package, tokens["staff"], {"sessions": 1}, key="b")
    assert (none_left.status_code, none_left.get_json()["error"]) == (409, "no_sessions_left")
    unknown = redeem(client, "WHM-0000-0000-0000", tokens["staff"], {"sessions": 1})
    spec.validate("/vouchers/{code}/redemptions", "post", unknown)
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "unknown_code")
    missing = client.get("/api/v1/vouchers/nope", headers=bearer(tokens["staff"]))
    assert missing.status_code == 404 and missing.get_json()["error"] == "unknown_code"


def test_a_voided_voucher_is_410(client, spec, tokens, issue):
    code = issue("money", 10_000)
    void = client.post(f"/api/v1/vouchers/{code}/void", json={"reason": "Chargeback lost"},
                       headers=bearer(tokens["owner"]))
    spec.validate("/vouchers/{code}/void", "post", void)
    assert void.status_code == 201 and void.get_json()["remaining"] == 0
    response = redeem(client, code, tokens["staff"], {"amount_cents": 100})
    spec.validate("/vouchers/{code}/redemptions", "post", response)
    assert (response.status_code, response.get_json()["error"]) == (410, "voided")
    status = client.get(f"/api/v1/vouchers/{code}", headers=bearer(tokens["staff"])).get_json()
    assert status["status"] == "voided"


def test_a_reversal_is_201_and_only_once(client, spec, tokens, issue):
    code = issue("money", 10_000)
    entry_id = redeem(client, code, tokens["staff"], {"amount_cents": 4_000}).get_json()["id"]
    response = client.post(f"/api/v1/redemptions/{entry_id}/reversal",
                           headers=bearer(tokens["staff"]))
    spec.validate("/redemptions/{id}/reversal", "post", response)
    assert response.status_code == 201
    assert response.get_json()["remaining"] == 10_000
    assert response.get_json()["reverses"] == entry_id
    again = client.post(f"/api/v1/redemptions/{entry_id}/reversal", headers=bearer(tokens["owner"]))
    spec.validate("/redemptions/{id}/reversal", "post", again)
    assert (again.status_code, again.get_json()["error"]) == (409, "already_reversed")
    unknown = client.post("/api/v1/redemptions/999999/reversal", headers=bearer(tokens["staff"]))
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "unknown_entry")


def test_void_needs_the_owner_and_a_reason(client, spec, tokens, issue):
    code = issue("sessions", 4)
    staff = client.post(f"/api/v1/vouchers/{code}/void", json={"reason": "x"},
                        headers=bearer(tokens["staff"]))
    spec.validate("/vouchers/{code}/void", "post", staff)
    assert (staff.status_code, staff.get_json()["error"]) == (403, "forbidden")
    no_reason = client.post(f"/api/v1/vouchers/{code}/void", json={},
                            headers=bearer(tokens["owner"]))
    assert no_reason.status_code == 422
    anonymous = client.post(f"/api/v1/vouchers/{code}/void", json={"reason": "x"})
    spec.validate("/vouchers/{code}/void", "post", anonymous)
    assert anonymous.status_code == 401


def test_a_session_cookie_does_not_authorize_the_api(client, tokens, issue):
    code = issue("sessions", 4)
    with client.application.app_context():
        staff_id = db.session.scalar(select(Staff.id).where(Staff.email == "owner@example.com"))
    sign_in(client, staff_id)
    assert client.get("/desk").status_code == 200
    assert client.get(f"/api/v1/vouchers/{code}").status_code == 401


@pytest.mark.parametrize("entry_id, error", [("0", "unknown_entry"), (str(2**31), "not_found"),
                                             (str(2**63), "not_found"),
                                             (str(10**30), "not_found")])
def test_reversing_an_impossible_entry_id_is_404(client, tokens, entry_id, error):
    # Ids no database integer can hold do not even match the route.
    response = client.post(f"/api/v1/redemptions/{entry_id}/reversal",
                           headers=bearer(tokens["staff"]))
    assert (response.status_code, response.get_json()["error"]) == (404, error)


def test_an_absurd_amount_is_refused_without_a_server_error(client, tokens, issue):
    code = issue("money", 10_000)
    for amount in (2**63, 10**30):
        response = redeem(client, code, tokens["staff"], {"amount_cents": amount}, key=str(amount))
        assert response.status_code == 422, response.get_json()


def test_text_postgresql_cannot_store_is_refused_as_422(client, tokens, issue):
    code = issue("sessions", 6)
    response = redeem(client, code, tokens["staff"], {"sessions": 1, "note": "a\u0000b"})
    assert response.status_code == 422
    history = client.get(f"/api/v1/vouchers/{code}", headers=bearer(tokens["staff"])).get_json()
    assert history["remaining"] == 6


def test_a_tokens_use_is_recorded_after_the_request_at_most_every_few_minutes(
        app, client, tokens):
    """Authorizing commits nothing; the use is written after the answer, once per window."""
    headers = bearer(tokens["staff"])
    assert client.get("/api/v1/vouchers?q=nobody", headers=headers).status_code == 200
    with app.app_context():
        first = staff_token_row().last_used_at
    assert first is not None
    client.get("/api/v1/vouchers?q=nobody", headers=headers)
    with app.app_context():
        row = staff_token_row()
        assert row.last_used_at == first  # within the window: no write
        row.last_used_at = first - timedelta(minutes=6)
        db.session.commit()
    client.get("/api/v1/vouchers/WHMXXXXXXXXXXXX", headers=headers)  # a 404 counts too
    with app.app_context():
        assert staff_token_row().last_used_at > first


def staff_token_row() -> ApiToken:
    return db.session.scalar(select(ApiToken).join(Staff).where(Staff.email == "desk@example.com"))
