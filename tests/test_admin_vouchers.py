"""The owner's voucher list with filters, email corrections and resends."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from giftshop.extensions import db
from giftshop.localtime import today_local
from giftshop.models import AuditLog, OutboxMessage, Voucher, utcnow
from giftshop.vouchers import lifecycle
from giftshop.vouchers.ledger import lock_voucher, record_entry
from giftshop.vouchers.service import issue_voucher
from tests.support import factories
from tests.support.auth import owner_client
from tests.support.factories import demo_paid_order
from tests.support.web import csrf_token, post_form


@pytest.fixture
def five_states(app):
    """One voucher in each state the list can filter on; returns code by state."""
    with app.app_context():
        made = {}
        for state in ("active", "used_up", "voided", "refunded", "frozen"):
            voucher = issue_voucher(kind="money", initial=5_000, value_cents=5_000,
                                    recipient_name=f"{state} holder",
                                    recipient_email=f"{state}@example.com")
            made[state] = voucher
        db.session.commit()
        # Each state the way the app reaches it: the desk, the lifecycle, a refund entry.
        factories.redeem(made["used_up"].code, 5_000)
        lifecycle.void(lock_voucher(made["voided"].id), reason="sold by mistake")
        refunded = lock_voucher(made["refunded"].id)
        record_entry(refunded, "refund", -5_000)
        lifecycle.close_refunded(refunded)
        lifecycle.freeze(lock_voucher(made["frozen"].id), actor="stripe", reason={})
        db.session.commit()
        codes = {state: v.code for state, v in made.items()}
        db.session.remove()
    return codes


@pytest.mark.parametrize("state", ["active", "used_up", "voided", "refunded", "frozen"])
def test_voucher_list_filters_by_state(app, five_states, state):
    page = owner_client(app).get(f"/admin/vouchers?state={state}").get_data(as_text=True)
    shown = [code for code in five_states.values() if f'data-code="{code}"' in page]
    assert shown == [five_states[state]]


def test_voucher_list_shows_everything_and_searches_by_name(app, five_states):
    client = owner_client(app)
    page = client.get("/admin/vouchers").get_data(as_text=True)
    assert all(f'data-code="{code}"' in page for code in five_states.values())
    page = client.get("/admin/vouchers?q=frozen+holder").get_data(as_text=True)
    assert [c for c in five_states.values() if f'data-code="{c}"' in page] == [
        five_states["frozen"]]
    assert client.get("/admin/vouchers?state=bogus&page=-3").status_code == 200


def test_owner_changes_a_delivered_vouchers_email_and_it_is_sent_again(app, five_states):
    with app.app_context():
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == five_states["active"]))
        voucher.delivered_at = utcnow()
        db.session.commit()
        voucher_id = voucher.id
    client = owner_client(app)
    page = f"/admin/vouchers/{voucher_id}/email"
    response = post_form(client, page, data={"recipient_email": "right@example.com"})
    assert response.status_code == 303
    with app.app_context():
        voucher = db.session.get(Voucher, voucher_id)
        assert voucher.recipient_email == "right@example.com"
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert (mail.to_email, mail.kind, mail.status) == ("right@example.com", "resend",
                                                           "pending")
        audit = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "voucher.recipient_email_changed")).one()
        assert audit.before == {"recipient_email": "active@example.com"}
        assert audit.actor.startswith("owner@")


def test_bad_email_is_refused_inline_and_nothing_changes(app, five_states):
    with app.app_context():
        voucher_id = db.session.scalar(select(Voucher.id).where(
            Voucher.code == five_states["active"]))
    client = owner_client(app)
    page = f"/admin/vouchers/{voucher_id}/email"
    response = post_form(client, page, data={"recipient_email": "no at sign"})
    assert response.status_code == 422
    assert "valid email" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Voucher, voucher_id).recipient_email == "active@example.com"
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_resend_queues_the_voucher_email_now(app, five_states):
    with app.app_context():
        voucher_id = db.session.scalar(select(Voucher.id).where(
            Voucher.code == five_states["frozen"]))
    client = owner_client(app)
    token = csrf_token(client, "/admin/vouchers")
    response = client.post(f"/admin/vouchers/{voucher_id}/resend", data={"csrf_token": token},
                           follow_redirects=True)
    assert "Email queued again to frozen@example.com" in response.get_data(as_text=True)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert (mail.kind, mail.to_email) == ("resend", "frozen@example.com")
        assert db.session.scalars(select(AuditLog.action).where(
            AuditLog.action == "voucher.email_resent")).one()


def test_the_owners_resend_is_the_buyers_one_double_click_and_schedule_rules(app):
    """One resend service: a second click while the resend waits queues nothing more,
    and a voucher whose first delivery is still scheduled is not sent early."""
    with app.app_context():
        _, (later,) = demo_paid_order(deliver_on=today_local() + timedelta(days=3))
        _, (now,) = demo_paid_order()
        ids = {code: db.session.scalar(select(Voucher.id).where(Voucher.code == code))
               for code in (later, now)}
        # the first delivery of `now` went out
        db.session.get(Voucher, ids[now]).delivered_at = utcnow()
        db.session.execute(update(OutboxMessage).where(OutboxMessage.voucher_id == ids[now])
                           .values(status="sent"))
        db.session.commit()
    client = owner_client(app)
    token = csrf_token(client, "/admin/vouchers")
    early = client.post(f"/admin/vouchers/{ids[later]}/resend", data={"csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "still scheduled" in early
    for _ in range(2):
        client.post(f"/admin/vouchers/{ids[now]}/resend", data={"csrf_token": token})
    with app.app_context():
        resends = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "resend")).all()
        assert [(m.voucher_id, m.status) for m in resends] == [(ids[now], "pending")]
        assert len(db.session.scalars(select(AuditLog).where(
            AuditLog.action == "voucher.email_resent")).all()) == 1
