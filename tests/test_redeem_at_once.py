"""PostgreSQL's one-statement redemption (`vouchers.ledger.redeem_at_once`): it writes
only what the general path would write, and writes nothing whenever a rule stands in
the way, so the general path can say why."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, update

from giftshop.desk import ledger as desk
from giftshop.desk import token_cache
from giftshop.desk.staff import issue_token
from giftshop.extensions import db
from giftshop.models import ApiToken, AuditLog, LedgerEntry, Voucher
from giftshop.vouchers.ledger import redeem_at_once
from giftshop.localtime import today_local
from tests.support.auth import make_staff
from tests.support.factories import make_voucher

pytestmark = pytest.mark.postgresql_only
EMAIL = "desk@example.com"


@pytest.fixture
def staff_id(app):
    return make_staff(app, EMAIL)


def voucher_in_state(app, **state) -> str:
    """A $100 voucher (promotional when `expires_on` is given) with `state`'s columns set
    straight in the database, past the lifecycle."""
    expires_on = state.pop("expires_on", None)
    code = make_voucher(app=app, promotional=expires_on is not None, expires_on=expires_on)
    if state:
        with app.app_context():
            db.session.execute(update(Voucher).where(Voucher.code == code).values(**state))
            db.session.commit()
            db.session.remove()
    return code


def written(app, code) -> tuple[int, int, int]:
    """(remaining, ledger entries, audit rows) of the voucher."""
    with app.app_context():
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        entries = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                    .where(LedgerEntry.voucher_id == voucher.id))
        audits = db.session.scalar(select(func.count()).select_from(AuditLog)
                                   .where(AuditLog.target_type == "voucher",
                                          AuditLog.target_id == str(voucher.id)))
        db.session.remove()
        return voucher.remaining, entries, audits


def attempt(app, code, *, kind="money", quantity=100, key="k", today=None, token_id=None,
            staff_id=None):
    with app.app_context():
        done = redeem_at_once(code, kind, quantity, key, staff_id=staff_id, actor=EMAIL,
                              note="", today=today or today_local(), token_id=token_id)
        db.session.commit()
        db.session.remove()
        return done


def test_a_redemption_writes_the_entry_the_balance_and_the_audit_row(app, staff_id):
    code = make_voucher(app=app)
    with app.app_context():
        outcome = desk.redeem(code, staff=db.session.get(desk.Staff, staff_id),
                              amount_cents=2_500, idempotency_key="once", note="lunch")
        assert outcome.created and outcome.voucher.remaining == 7_500
        entry = db.session.get(LedgerEntry, outcome.entry.id)
        assert (entry.kind, entry.delta, entry.balance_after, entry.staff_id, entry.note,
                entry.idempotency_key) == ("redeem", -2_500, 7_500, staff_id, "lunch", "once")
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "voucher.redeem")
                                   ).one()
        assert (audit.staff_id, audit.actor, audit.target_id) == (
            staff_id, EMAIL, str(entry.voucher_id))
        assert audit.before == {"remaining": 10_000, "status": "active"}
        assert audit.after == {"remaining": 7_500, "status": "active", "entry_id": entry.id,
                               "delta": -2_500}
        db.session.remove()
    assert written(app, code) == (7_500, 2, 1)


def test_an_api_redemption_with_a_known_token_is_one_statement(app, client, staff_id):
    code = make_voucher(app=app)
    with app.app_context():
        token = issue_token(EMAIL)
        engine = db.engine
        db.session.remove()
    token_cache.clear()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/vouchers/{code}", headers=headers).status_code == 200
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.post(f"/api/v1/vouchers/{code}/redemptions", json={"amount_cents": 300},
                               headers={**headers, "Idempotency-Key": "one"})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    token_cache.clear()
    assert response.status_code == 201 and response.get_json()["remaining"] == 9_700
    assert len(seen) == 1 and seen[0].lstrip().startswith("WITH v AS")
    assert written(app, code) == (9_700, 2, 1)


@pytest.mark.parametrize("state,kind,quantity", [
    ({"status": "voided"}, "money", 100),
    ({"status": "refunded"}, "money", 100),
    ({"frozen": True}, "money", 100),
    ({"expires_on": date(2020, 1, 1)}, "money", 100),
    ({}, "money", 10_001),          # more than is left
    ({}, "sessions", 1),            # a money voucher redeemed in sessions
], ids=["voided", "refunded", "frozen", "expired", "overdraw", "wrong-kind"])
def test_anything_a_rule_refuses_writes_nothing(app, staff_id, state, kind, quantity):
    code = voucher_in_state(app, **state)
    before = written(app, code)
    assert attempt(app, code, kind=kind, quantity=quantity, staff_id=staff_id) is None
    assert written(app, code) == before


def test_a_promotional_voucher_is_good_through_its_last_day_only(app, staff_id):
    last_day = date(2026, 6, 30)
    code = voucher_in_state(app, expires_on=last_day)
    assert attempt(app, code, today=last_day + timedelta(days=1), key="late") is None
    assert attempt(app, code, today=last_day, key="in time") is not None
    assert written(app, code)[:2] == (9_900, 2)


def test_a_used_key_an_unknown_code_or_a_dead_token_write_nothing(app, staff_id):
    code = make_voucher(app=app)
    assert attempt(app, code, key="used", staff_id=staff_id) is not None
    assert attempt(app, code, key="used", staff_id=staff_id) is None
    assert attempt(app, "WHM00000000000000", key="x") is None
    with app.app_context():
        issue_token(EMAIL)
        token_id = db.session.scalar(select(ApiToken.id))
        db.session.remove()
    assert attempt(app, code, key="live", token_id=token_id) is not None
    with app.app_context():
        db.session.execute(update(ApiToken).values(revoked_at=func.now()))
        db.session.commit()
    assert attempt(app, code, key="dead", token_id=token_id) is None
    assert written(app, code) == (9_800, 3, 2)
