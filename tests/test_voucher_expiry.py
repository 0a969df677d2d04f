"""A promotional voucher's printed expiry is enforced from the next Portland day on,
and promotional vouchers are never cashed out (ORS 646A.276/278)."""
from datetime import timedelta

import pytest

from giftshop.vouchers.lookup import find_by_code
from giftshop import reports
from giftshop.desk import ledger
from giftshop.desk.staff import create_staff
from giftshop.errors import DomainError
from giftshop.extensions import db
from giftshop.vouchers.service import issue_voucher
from giftshop.localtime import today_local
from tests.support.auth import PASSWORD, api_token
from tests.support.openapi import OpenAPI


def promo(app, *, expires_in_days: int | None, initial=2_000) -> str:
    with app.app_context():
        expires_on = None if expires_in_days is None else today_local() + timedelta(
            days=expires_in_days)
        voucher = issue_voucher(kind="money", initial=initial, value_cents=0, promotional=True,
                                expires_on=expires_on, recipient_name="Rosa")
        db.session.commit()
        return voucher.code


@pytest.fixture
def token(app):
    return api_token(app, "desk@example.com")


def redeem(client, token, code, cents=500, key="k1"):
    return client.post(f"/api/v1/vouchers/{code}/redemptions", json={"amount_cents": cents},
                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_the_day_after_the_printed_date_the_api_refuses_with_410_expired(app, client, token):
    code = promo(app, expires_in_days=-1)
    response = redeem(client, code=code, token=token)
    assert response.status_code == 410 and response.get_json()["error"] == "expired"
    shown = client.get(f"/api/v1/vouchers/{code}",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert shown["status"] == "expired" and shown["remaining"] == 2_000


def test_the_staff_api_documents_the_expired_status_it_answers(app, client, token):
    """The voucher view and the search say `expired`; both match the served OpenAPI
    document (its enum is generated from VoucherState, which an older list lacked)."""
    promo(app, expires_in_days=-1)
    spec = OpenAPI(client.get("/api/v1/openapi.json").get_json())
    auth = {"Authorization": f"Bearer {token}"}
    found = client.get("/api/v1/vouchers?q=Rosa", headers=auth)
    assert [v["status"] for v in found.get_json()["vouchers"]] == ["expired"]
    spec.validate("/vouchers", "get", found)
    code = found.get_json()["vouchers"][0]["code"]
    shown = client.get(f"/api/v1/vouchers/{code}", headers=auth)
    assert shown.get_json()["status"] == "expired"
    spec.validate("/vouchers/{code}", "get", shown)


def test_on_the_printed_date_itself_it_still_redeems(app, client, token):
    code = promo(app, expires_in_days=0)
    assert redeem(client, code=code, token=token).status_code == 201


def test_the_desk_refuses_redeeming_and_cashing_out_an_expired_voucher(app):
    code = promo(app, expires_in_days=-3)
    with app.app_context():
        staff = create_staff("desk@example.com", PASSWORD, role="staff")
        for action in (lambda: ledger.redeem(code, staff=staff, amount_cents=100),
                       lambda: ledger.cash_out(code, staff=staff)):
            with pytest.raises(DomainError) as refused:
                action()
            db.session.rollback()
            assert (refused.value.code, refused.value.status) == ("expired", 410)


def test_the_holder_page_says_it_expired(app, client):
    code = promo(app, expires_in_days=-1)
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Expired on" in html and "Status: <strong id=\"voucher-status\">Active" not in html
    assert "taken in cash" not in html  # the small-balance cash-out is for sold certificates


def test_the_liability_report_leaves_expired_vouchers_out(app):
    promo(app, expires_in_days=-1, initial=2_000)
    promo(app, expires_in_days=0, initial=3_000)
    with app.app_context():
        report = reports.liability()
        assert (report.money_vouchers, report.money_cents) == (1, 3_000)
        tomorrow = reports.liability(today_local() + timedelta(days=1))
        assert tomorrow.money_cents == 0


def test_a_promotional_voucher_is_never_cashed_out(app):
    code = promo(app, expires_in_days=None, initial=1_000)
    with app.app_context():
        staff = create_staff("desk@example.com", PASSWORD, role="staff")
        ledger.redeem(code, staff=staff, amount_cents=700)
        assert not ledger.cashable(find_by_code(code))
        with pytest.raises(DomainError) as refused:
            ledger.cash_out(code, staff=staff)
        assert refused.value.code == "not_cashable"
