"""The staff API's hot routes (lookup, redemption) send no token query for a token this
process already knows; revoking the token or disabling its owner in another process
still stops it on the very next request, and nothing is written by a dead token."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import event, func, select

from giftshop.desk import token_cache
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher
from giftshop.vouchers.service import issue_voucher
from tests.support.auth import api_token, bearer

EMAIL = "desk@example.com"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def token(app):
    token_cache.clear()
    token = api_token(app, EMAIL)
    yield token
    token_cache.clear()


@pytest.fixture
def code(app):
    with app.app_context():
        voucher = issue_voucher(kind="money", initial=10_000, value_cents=10_000)
        db.session.commit()
        return voucher.code


def statements(app, call) -> tuple[int, object]:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), response


def other_process(app, *args: str) -> None:
    """Run `flask --app giftshop …` in a separate process on the same database."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "GIFTSHOP_ENV": "development", "OUTBOX_THREAD": "0"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "giftshop", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def remaining(app, code) -> tuple[int, int]:
    with app.app_context():
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        entries = db.session.scalar(select(func.count(LedgerEntry.id))
                                    .where(LedgerEntry.voucher_id == voucher.id))
        db.session.remove()
    return voucher.remaining, entries


def test_a_known_token_costs_no_query_on_a_lookup(app, client, token, code):
    assert client.get(f"/api/v1/vouchers/{code}", headers=bearer(token)).status_code == 200
    count, response = statements(app, lambda: client.get(f"/api/v1/vouchers/{code}",
                                                          headers=bearer(token)))
    assert response.status_code == 200 and response.get_json()["remaining"] == 10_000
    assert count == 1  # the voucher, its history and the token's liveness together
    assert "set-cookie" not in {k.lower() for k in response.headers.keys()}


@pytest.mark.parametrize("how", [("staff", "revoke-tokens", EMAIL), ("staff", "disable", EMAIL)],
                         ids=["revoked", "disabled"])
def test_a_token_killed_by_another_process_fails_on_the_very_next_request(app, client, token,
                                                                          code, how):
    assert client.get(f"/api/v1/vouchers/{code}", headers=bearer(token)).status_code == 200
    redeemed = client.post(f"/api/v1/vouchers/{code}/redemptions", json={"amount_cents": 100},
                           headers=bearer(token, "k1"))
    assert redeemed.status_code == 201
    assert token_cache.cached(token) is not None  # this process knows the token
    other_process(app, *how)
    lookup = client.get(f"/api/v1/vouchers/{code}", headers=bearer(token))
    assert lookup.status_code == 401 and lookup.get_json()["error"] == "unauthorized"
    assert "history" not in lookup.get_json()
    assert token_cache.cached(token) is None
    again = client.post(f"/api/v1/vouchers/{code}/redemptions", json={"amount_cents": 100},
                        headers=bearer(token, "k2"))
    assert again.status_code == 401
    assert remaining(app, code) == (9_900, 2)  # the issue and the first redemption only


def test_a_redemption_with_a_cached_token_that_died_writes_nothing(app, client, token, code):
    assert client.get(f"/api/v1/vouchers/{code}", headers=bearer(token)).status_code == 200
    other_process(app, "staff", "revoke-tokens", EMAIL)
    assert token_cache.cached(token) is not None  # still cached: the statement must refuse
    refused = client.post(f"/api/v1/vouchers/{code}/redemptions", json={"amount_cents": 100},
                          headers=bearer(token, "k1"))
    assert refused.status_code == 401
    assert remaining(app, code) == (10_000, 1)


def test_an_unknown_code_is_404_for_a_live_token_and_401_for_a_dead_one(app, client, token):
    missing = "WHM-0000-0000-0000"
    assert client.get(f"/api/v1/vouchers/{missing}", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/vouchers/{missing}", headers=bearer(token)).status_code == 404
    other_process(app, "staff", "revoke-tokens", EMAIL)
    assert client.get(f"/api/v1/vouchers/{missing}", headers=bearer(token)).status_code == 401
    bad = client.post(f"/api/v1/vouchers/{missing}/redemptions", json={"amount_cents": 1},
                      headers=bearer(token, "k"))
    assert bad.status_code == 401


def test_a_cached_entry_is_checked_afresh_after_the_refresh_period(app, client, token, code,
                                                                    monkeypatch):
    assert client.get(f"/api/v1/vouchers/{code}", headers=bearer(token)).status_code == 200
    monkeypatch.setattr(token_cache, "REFRESH", -1.0)
    assert token_cache.cached(token) is None
    count, response = statements(app, lambda: client.get(f"/api/v1/vouchers/{code}",
                                                          headers=bearer(token)))
    assert response.status_code == 200 and count == 2  # the token query, then the lookup
