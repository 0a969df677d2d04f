"""Bonus campaigns: set up by the owner (audited), a qualifying purchase earns the buyer a
promotional voucher with its printed expiry in the receipt, and the report adds it up."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from giftshop.desk import ledger
from giftshop.extensions import db
from giftshop.models import AuditLog, BonusCampaign, OutboxMessage, Voucher
from giftshop.vouchers.outbox import attachments_for
from giftshop.vouchers.pdf import voucher_html
from giftshop.localtime import today_local
from tests.support.auth import owner_client
from tests.support.web import buy, post_form


def campaign_form(**changes) -> dict:
    today = today_local()
    data = {"name": "Spring bonus", "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(), "min_purchase": "100",
            "bonus": "20", "bonus_expires_on": (today + timedelta(days=120)).isoformat()}
    data.update(changes)
    return data


@pytest.fixture
def owner(app):
    return owner_client(app)


def start_campaign(owner, **changes):
    response = post_form(owner, "/admin/campaigns", data=campaign_form(**changes))
    assert response.status_code == 303, response.get_data(as_text=True)


def pay(client, response):
    assert response.status_code == 303
    post_form(client, response.headers["Location"], data={})


def test_owner_starts_a_campaign_and_it_is_audited(app, owner):
    client = owner
    response = post_form(client, "/admin/campaigns", data=campaign_form())
    assert response.status_code == 303
    page = client.get("/admin/campaigns").get_data(as_text=True)
    assert "Spring bonus" in page and "(running)" in page and "$100+ → $20" in page
    with app.app_context():
        campaign = db.session.scalars(select(BonusCampaign)).one()
        audit = db.session.scalars(
            select(AuditLog).where(AuditLog.target_type == "bonus_campaign")).one()
        assert (audit.action, audit.target_id, audit.actor) == \
            ("bonus_campaign.create", str(campaign.id), "owner@westhillsmassage.test")
        assert audit.after["bonus_cents"] == 2000 and audit.after["min_purchase_cents"] == 10_000


def test_bad_campaign_input_is_shown_and_nothing_is_written(app, owner):
    today = today_local()
    response = post_form(owner, "/admin/campaigns", data=campaign_form(
        name="", bonus="0", ends_on=(today - timedelta(days=5)).isoformat(),
        bonus_expires_on=(today - timedelta(days=1)).isoformat()))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Give the campaign a name", "The last day must be on or after the first",
                    "Give an amount from $1 to $10,000"):
        assert message in page, message
    early = post_form(owner, "/admin/campaigns", data=campaign_form(
        bonus_expires_on=today.isoformat()))
    assert "Bonus vouchers must expire after the campaign ends" in early.get_data(as_text=True)
    garbled = post_form(owner, "/admin/campaigns", data=campaign_form(bonus="lots"))
    assert garbled.status_code == 422
    assert "Enter dollars and cents" in garbled.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(BonusCampaign)).all() == []
        assert db.session.scalars(
            select(AuditLog).where(AuditLog.target_type == "bonus_campaign")).all() == []


def test_a_qualifying_purchase_earns_a_bonus_with_its_printed_expiry(app, client, owner):
    start_campaign(owner)
    pay(client, buy(client, "pain-management-4-pack"))  # $400 ≥ $100
    with app.app_context():
        bonus = db.session.scalars(select(Voucher).where(Voucher.promotional)).one()
        assert (bonus.kind, bonus.initial, bonus.remaining, bonus.value_cents) == \
            ("money", 2000, 2000, 0)
        assert bonus.expires_on == today_local() + timedelta(days=120)
        assert bonus.recipient_name == "Ana Buyer" and bonus.recipient_email is None
        receipt = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "receipt")).one()
        assert bonus in attachments_for(receipt)  # the bonus PDF travels with the gift
        assert "EXPIRES ON" in voucher_html([bonus])
        # Delivery emails go to the gift's recipient only; the bonus is the buyer's.
        deliveries = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "delivery")).all()
        assert [m.to_email for m in deliveries] == ["ben@example.com"]


def test_no_bonus_below_the_minimum_or_outside_the_dates(app, client, owner):
    start_campaign(owner, min_purchase="500")
    today = today_local()
    start_campaign(owner, name="Next month", starts_on=(today + timedelta(days=30)).isoformat(),
                   ends_on=(today + timedelta(days=60)).isoformat(),
                   bonus_expires_on=(today + timedelta(days=200)).isoformat(), min_purchase="25")
    pay(client, buy(client, "pain-management-4-pack"))  # $400 < $500, next month not begun
    with app.app_context():
        assert db.session.scalars(select(Voucher).where(Voucher.promotional)).all() == []


def test_the_biggest_running_bonus_applies_once(app, client, owner):
    start_campaign(owner, bonus="10")
    start_campaign(owner, name="Bigger", bonus="30")
    pay(client, buy(client, "pain-management-6-pack"))
    with app.app_context():
        bonuses = db.session.scalars(select(Voucher).where(Voucher.promotional)).all()
        assert [b.initial for b in bonuses] == [3000]


def test_report_shows_bonus_value_issued_and_redeemed(app, client, owner):
    start_campaign(owner)
    pay(client, buy(client, "pain-management-4-pack"))
    pay(client, buy(client, "gift-certificate", amount="150"))
    with app.app_context():
        code = db.session.scalars(select(Voucher.code).where(Voucher.promotional)).first()
        ledger.redeem(code, staff=None, amount_cents=1250)
    page = owner.get("/admin/campaigns").get_data(as_text=True)
    row = page.split('<table id="campaigns">', 1)[1].split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "Spring bonus" in row
    assert "<td>2</td><td>$40.00</td><td>$12.50</td>" in row
