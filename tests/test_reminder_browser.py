"""The reminder email and its unsubscribe link in a real Chromium on a phone (390×844): the
email's HTML (as received by the SMTP sink) fits the screen with its booking button, and
the link's confirm page unsubscribes with one tap."""
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import EmailOptOut
from giftshop.vouchers import outbox
from giftshop.localtime import LOCAL_TZ
from tests.support.browser import DESKTOP, PHONE, launch, screenshots, serious_violations
from tests.support.factories import demo_paid_order
from tests.support.smtp import mail_settings

pytestmark = pytest.mark.browser

BOOKING = "https://book.example/west-hills"
T0 = (datetime.now(LOCAL_TZ) + timedelta(days=1)).replace(hour=12, minute=0, second=0,
                                                            microsecond=0)


app_config = mail_settings(BOOKING_URL=BOOKING, REMINDER_AFTER_DAYS=30)
shoot = screenshots("REMINDER_SCREENSHOTS")


def test_the_reminder_reads_well_on_a_phone_and_its_link_unsubscribes(app, live_server,
                                                                      smtp_server):
    app.config["SHOP_BASE_URL"] = live_server  # links in the email point at this server
    with app.app_context():
        demo_paid_order(slug="pain-management-4-pack", recipient=("Rosa Holder", "rosa@example.com"))
        outbox.send_due(T0)
        outbox.run_pass(T0 + timedelta(days=31))
    (mail,) = [m for m in smtp_server.messages if m["List-Unsubscribe"]]
    html = mail.get_body(("html",)).get_content()
    link = mail["List-Unsubscribe"].strip("<>")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE).new_page()
        page.set_content(html)
        book = page.get_by_role("link", name="Book your next session")
        expect(book).to_have_attribute("href", BOOKING)
        box = book.bounding_box()
        assert box and box["y"] + box["height"] <= PHONE["height"]  # on the first screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        expect(page.get_by_role("link", name="Unsubscribe from reminders")).to_have_attribute(
            "href", link)
        shoot(page, "reminder-email-390")
        page.set_viewport_size(DESKTOP)
        shoot(page, "reminder-email-1280")
        page.set_viewport_size(PHONE)

        page.goto(link)
        expect(page.locator("h1")).to_have_text("Stop reminder emails?")
        expect(page.locator(".email")).to_have_text("rosa@example.com")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious_violations(page) == []
        shoot(page, "unsubscribe-confirm-390")
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.locator("h1")).to_have_text("You are unsubscribed")
        expect(page.locator("#unsubscribe-result")).to_contain_text("rosa@example.com")
        assert serious_violations(page) == []
        shoot(page, "unsubscribe-done-390")
        browser.close()
    with app.app_context():
        assert db.session.scalars(select(EmailOptOut.email)).all() == ["rosa@example.com"]
