"""Bonus campaigns in a real Chromium: the owner starts one in the back office, a buyer's
qualifying purchase shows the bonus with its expiry on the order page."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from giftshop.localtime import local_date, today_local
from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import DESKTOP, PHONE, launch, screenshots

pytestmark = pytest.mark.browser

screenshot = screenshots("CAMPAIGN_SCREENSHOTS")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_owner_starts_a_campaign_and_a_buyer_gets_the_bonus(app, live_server, viewport):
    make_staff(app, OWNER_EMAIL, "owner")
    today = today_local()
    expires = today + timedelta(days=90)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=viewport).new_page()
        browser_sign_in(page, live_server, OWNER_EMAIL)
        page.goto(live_server + "/admin")
        page.get_by_role("link", name="Campaigns").click()
        page.get_by_label("Name").fill("Holiday bonus")
        page.get_by_label("First day").fill(today.isoformat())
        page.get_by_label("Last day").fill((today + timedelta(days=20)).isoformat())
        page.get_by_label("Purchase of at least ($)").fill("100")
        page.get_by_label("Bonus voucher ($)").fill("25")
        page.get_by_label("Bonus expires on").fill(expires.isoformat())
        page.get_by_role("button", name="Start campaign").click()
        expect(page.locator("#campaigns")).to_contain_text("Holiday bonus (running)")
        screenshot(page, f"campaigns-{viewport['width']}")

        buyer = browser.new_context(viewport=viewport).new_page()
        buyer.goto(live_server + "/p/pain-management-4-pack")
        buyer.fill("#purchaser_name", "Ana Buyer")
        buyer.fill("#purchaser_email", "ana@example.com")
        buyer.check("input[name=delivery][value=me]")
        buyer.get_by_role("button", name="Review my order").click()
        buyer.click("#pay")
        buyer.get_by_role("button", name="Pay $400.00 (demo)").click()
        buyer.wait_for_url(f"{live_server}/orders/*")
        bonus = buyer.locator("li.voucher", has=buyer.locator(".bonus-note"))
        expect(bonus).to_contain_text("$25.00 of $25.00")
        expect(bonus).to_contain_text(f"EXPIRES ON {local_date(expires).upper()}")
        screenshot(buyer, f"order-bonus-{viewport['width']}")

        page.reload()
        expect(page.locator("#campaigns")).to_contain_text("$25.00")
        browser.close()
