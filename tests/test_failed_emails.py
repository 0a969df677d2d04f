"""Undelivered emails reach the owner: on the dashboard, and in one daily digest."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import OutboxMessage, Voucher
from giftshop.vouchers import outbox
from giftshop.vouchers.failed_mail import queue_owner_digest
from giftshop.localtime import LOCAL_TZ
from tests.support.auth import OWNER_EMAIL, owner_client
from tests.support.factories import demo_paid_order
from tests.support.smtp import mail_settings

# The injected clock: deliveries are due at 9:00 Pacific, the digest from 8:00.
DAY_ONE = datetime(2031, 3, 4, 10, 0, tzinfo=LOCAL_TZ)


app_config = mail_settings()


def bounced_delivery(smtp_server, address="ben@typo.example"):
    smtp_server.refuse[address] = "550 5.1.1 No such mailbox"
    demo_paid_order(recipient=("Ben Holder", address))
    report = outbox.send_due(DAY_ONE)
    assert len(report.failed) == 1
    return db.session.get(OutboxMessage, report.failed[0])


def digests(smtp_server):
    return [m for m in smtp_server.messages if "could not be delivered" in m["Subject"]]


def test_a_bounced_delivery_shows_on_the_dashboard_with_reason_and_fix(app, smtp_server):
    client = owner_client(app)
    assert "Emails not delivered" not in client.get("/admin").get_data(as_text=True)
    with app.app_context():
        failed = bounced_delivery(smtp_server)
        voucher_id = failed.voucher_id
    page = client.get("/admin").get_data(as_text=True)
    assert "Emails not delivered (1)" in page and "ben@typo.example" in page
    assert "550 5.1.1 No such mailbox" in page
    assert f"/admin/vouchers/{voucher_id}/email" in page and f"/admin/vouchers/{voucher_id}/resend" in page

    # Fixing the address queues the voucher again; the failure is resolved.
    form = client.get(f"/admin/vouchers/{voucher_id}/email").get_data(as_text=True)
    token = form.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"/admin/vouchers/{voucher_id}/email",
                           data={"csrf_token": token, "recipient_email": "ben@example.com"})
    assert response.status_code == 303
    assert "Emails not delivered" not in client.get("/admin").get_data(as_text=True)
    with app.app_context():
        outbox.send_due(DAY_ONE + timedelta(minutes=1))
        assert db.session.get(Voucher, voucher_id).delivered_at is not None
    assert any(m["To"] == "ben@example.com" for m in smtp_server.messages)


def test_the_owner_gets_one_digest_a_day_and_never_about_the_digest(app, smtp_server):
    owner_client(app)
    with app.app_context():
        bounced_delivery(smtp_server)
        assert queue_owner_digest(DAY_ONE.replace(hour=7)) == []  # before 8:00 Pacific
        for minutes in (0, 15, 30):  # the worker's passes all day: one digest
            outbox.run_pass(DAY_ONE + timedelta(minutes=minutes))
        (digest,) = digests(smtp_server)
        assert digest["To"] == OWNER_EMAIL
        body = digest.get_body(("plain",)).get_content()
        assert "ben@typo.example" in body and "550 5.1.1 No such mailbox" in body

        # The owner's own mailbox bounces the next day's digest ...
        smtp_server.refuse[OWNER_EMAIL] = "550 Mailbox full"
        day_two = DAY_ONE + timedelta(days=1)
        outbox.run_pass(day_two)
        bounced = db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == "digest", OutboxMessage.status == "failed"))
        assert bounced is not None
        # ... and the day after, the digest still lists the voucher, never the digest.
        del smtp_server.refuse[OWNER_EMAIL]
        outbox.run_pass(day_two + timedelta(days=1))
        latest = digests(smtp_server)[-1].get_body(("plain",)).get_content()
        assert len(digests(smtp_server)) == 2
        assert "ben@typo.example" in latest and OWNER_EMAIL not in latest
        assert "Mailbox full" not in latest


def test_no_digest_when_nothing_failed(app, smtp_server):
    owner_client(app)
    with app.app_context():
        demo_paid_order()
        outbox.run_pass(DAY_ONE)
        assert digests(smtp_server) == [] and len(smtp_server.messages) == 2


@pytest.mark.browser
def test_the_dashboard_section_reads_well_on_a_phone_and_a_laptop(app, smtp_server, tmp_path):
    import os

    from playwright.sync_api import sync_playwright

    from tests.support.auth import browser_sign_in, make_staff
    from tests.support.browser import launch, serious_violations
    from tests.support.live_server import serve

    make_staff(app, OWNER_EMAIL, "owner")
    with app.app_context():
        bounced_delivery(smtp_server, "a-very-long-address.for-a-gift@typo-domain.example")
    shots = os.environ.get("GIFTSHOP_SCREENSHOTS", str(tmp_path))
    with serve(app) as base, sync_playwright() as p:
        browser = launch(p)
        for width, height in ((390, 844), (1280, 800)):
            page = browser.new_page(viewport={"width": width, "height": height})
            browser_sign_in(page, base, OWNER_EMAIL)
            page.goto(base + "/admin")
            section = page.locator("#failed-emails")
            assert "550 5.1.1 No such mailbox" in section.inner_text()
            assert section.get_by_role("button", name="Resend").is_visible()
            assert serious_violations(page, phone=width == 390) == []
            page.screenshot(path=f"{shots}/admin-attention-{width}.png", full_page=True)
            page.close()
        browser.close()
