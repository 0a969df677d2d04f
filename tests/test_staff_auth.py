"""Staff accounts, sign-in, tokens and who may open what."""
import hashlib

import pytest
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import ApiToken, Staff
from giftshop.vouchers.service import issue_voucher
from tests.support.auth import PASSWORD
from tests.support.web import csrf_token, post_form


def create(runner, email, *args, password=PASSWORD):
    return runner.invoke(args=["staff", "create", email, *args], input=password + "\n")


def token_for(runner, email) -> str:
    result = runner.invoke(args=["staff", "token", email])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture
def voucher_code(app):
    with app.app_context():
        voucher = issue_voucher(kind="sessions", initial=6, value_cents=57_000,
                                service="60-min Pain Management Massage")
        db.session.commit()
        return voucher.code


def sign_in(client, email=" Desk@Example.com", password=PASSWORD, next_url=None):
    url = "/desk/login" + (f"?next={next_url}" if next_url else "")
    return post_form(client, url, "/desk/login",
                     {"email": email, "password": password, "next": next_url or ""})


def test_cli_creates_staff_with_a_scrypt_password_read_from_stdin(app, runner):
    result = create(runner, "Desk@Example.com", "--name", "Dana")
    assert result.exit_code == 0, result.output
    owner = create(runner, "owner@example.com", "--owner")
    assert owner.exit_code == 0, owner.output
    with app.app_context():
        staff = db.session.scalar(select(Staff).where(Staff.email == "desk@example.com"))
        assert (staff.role, staff.name, staff.active) == ("staff", "Dana", True)
        assert staff.password_hash.startswith("scrypt:") and PASSWORD not in staff.password_hash
        assert db.session.scalar(select(Staff.role).where(Staff.email == "owner@example.com")) \
            == "owner"


def test_cli_refuses_duplicates_and_short_passwords(runner):
    assert create(runner, "desk@example.com").exit_code == 0
    again = create(runner, "DESK@example.com")
    assert again.exit_code == 1 and "already has an account" in again.output
    short = create(runner, "new@example.com", password="short")
    assert short.exit_code == 1 and "at least" in short.output
    assert runner.invoke(args=["staff", "token", "nobody@example.com"]).exit_code == 1


def test_token_is_printed_alone_and_stored_only_as_its_sha256(app, runner, voucher_code):
    create(runner, "desk@example.com")
    token = token_for(runner, "desk@example.com")
    assert len(token) >= 40 and "\n" not in token and " " not in token
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    client = app.test_client()
    ok = client.get(f"/api/v1/vouchers/{voucher_code}",
                    headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.get_json()["remaining"] == 6


def test_revoked_tokens_stop_working(app, runner, voucher_code):
    create(runner, "desk@example.com")
    first, second = token_for(runner, "desk@example.com"), token_for(runner, "desk@example.com")
    result = runner.invoke(args=["staff", "revoke-tokens", "desk@example.com"])
    assert result.exit_code == 0 and "Revoked 2 token(s)" in result.output
    client = app.test_client()
    for token in (first, second):
        response = client.get(f"/api/v1/vouchers/{voucher_code}",
                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_the_api_without_a_valid_token_is_401(client, voucher_code):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        response = client.get(f"/api/v1/vouchers/{voucher_code}", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post(f"/api/v1/vouchers/{voucher_code}/redemptions",
                           json={"sessions": 1}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 401


def test_a_staff_token_on_an_owner_action_is_403(app, runner, voucher_code):
    create(runner, "desk@example.com")
    token = token_for(runner, "desk@example.com")
    response = app.test_client().post(f"/api/v1/vouchers/{voucher_code}/void",
                                      json={"reason": "test"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_staff_sign_in_and_out(client, runner):
    create(runner, "desk@example.com", "--name", "Dana")
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/desk"
    page = client.get("/desk")
    assert page.status_code == 200 and "Sign out Dana" in page.get_data(as_text=True)
    assert client.post("/desk/logout").status_code == 400  # no CSRF token
    out = post_form(client, "/desk", "/desk/logout")
    assert out.status_code == 302
    assert client.get("/desk").status_code == 302


def test_a_wrong_password_is_refused_with_a_clear_message(client, runner):
    create(runner, "desk@example.com")
    response = sign_in(client, password="wrong password here")
    assert response.status_code == 401
    assert "do not match an active staff account" in response.get_data(as_text=True)
    assert client.get("/desk").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, runner):
    create(runner, "desk@example.com")
    assert sign_in(client, next_url="/desk/lookup?code=x").headers["Location"] == \
        "/desk/lookup?code=x"
    post_form(client, "/desk", "/desk/logout")
    assert sign_in(client, next_url="//evil.example/x").headers["Location"] == "/desk"


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/%0A/x", "/%0D%0ALocation:%20//evil.example", "//evil.example",
    "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "%2F%2Fevil.example",
    "/%E2%80%A8/x",
])
def test_hostile_next_targets_go_to_the_desk_before_and_after_sign_in(client, runner, target):
    create(runner, "desk@example.com")
    # The raw query string, as a link would carry it (the form echoes it back decoded).
    page = client.get(f"/desk/login?next={target}")
    assert page.status_code == 200
    next_value = page.request.args["next"]
    signed = post_form(client, f"/desk/login?next={target}", "/desk/login",
                       {"email": "desk@example.com", "password": PASSWORD, "next": next_value})
    assert signed.status_code == 302 and signed.headers["Location"] == "/desk", target
    again = client.get(f"/desk/login?next={target}")
    assert again.status_code == 302 and again.headers["Location"] == "/desk", target


def test_repeated_failed_sign_ins_are_locked_out_with_a_retry_time(client, runner):
    create(runner, "desk@example.com")
    for _ in range(5):
        assert sign_in(client, password="guess guess guess").status_code == 401
    locked = sign_in(client, password=PASSWORD)
    body = locked.get_data(as_text=True)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in body and "Try again after" in body
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    # Another account from the same desk is not locked out by someone else's typos.
    create(runner, "other@example.com")
    assert sign_in(client, email="other@example.com").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_page(client, voucher_code):
    pages = ["/desk", "/desk/lookup?code=abc", f"/desk/v/{voucher_code}",
             f"/desk/v/{voucher_code}/done/1", "/desk/entries/1/reverse"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/desk/login?next="), url
    token = csrf_token(client, "/desk/login")
    for url in [f"/desk/v/{voucher_code}/redeem", f"/desk/v/{voucher_code}/cashout",
                f"/desk/v/{voucher_code}/void", "/desk/entries/1/reverse"]:
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and "/desk/login" in response.headers["Location"]
    scan = client.post("/desk/scan", data=b"x", headers={"X-CSRFToken": token})
    assert scan.status_code == 302


def test_staff_on_an_owner_page_get_403(client, runner, voucher_code):
    create(runner, "desk@example.com")
    sign_in(client)
    response = post_form(client, f"/desk/v/{voucher_code}", f"/desk/v/{voucher_code}/void",
                         {"void-reason": "x", "void-confirm": "y",
                          "void-idempotency_key": "12345678-aaaa"})
    assert response.status_code == 403
    assert "Void this voucher" not in client.get(f"/desk/v/{voucher_code}").get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_400(client, runner, voucher_code):
    create(runner, "desk@example.com")
    sign_in(client)
    response = client.post(f"/desk/v/{voucher_code}/redeem",
                           data={"redeem-sessions": "1", "redeem-confirm": "y",
                                 "redeem-idempotency_key": "12345678-aaaa"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert client.post("/desk/login", data={"email": "desk@example.com",
                                            "password": PASSWORD}).status_code == 400


def test_a_sign_in_with_unstorable_characters_is_just_a_failed_sign_in(client, runner):
    create(runner, "desk@example.com")
    response = sign_in(client, email="desk\u0000@example.com")
    assert response.status_code in (401, 422)  # refused (app-wide text check or ours), no 500
    assert client.get("/desk").status_code == 302
    bad = create(runner, "x\u0000y@example.com")
    assert bad.exit_code == 1 and "valid email" in bad.output
