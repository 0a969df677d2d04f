"""A buyer adds a 20% gratuity in a real Chromium (390×844 phone, 1280×800 desktop): the
running total, the review page, the paid order; then the desk sees it at the first session."""
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.auth import STAFF_EMAIL, browser_sign_in
from tests.support.browser import SCREENS, fits_width, launch, screenshots

pytestmark = pytest.mark.browser

shoot = screenshots("GRATUITY_SCREENSHOTS")


def inside_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("screen", SCREENS)
def test_a_buyer_adds_a_20_percent_gratuity_and_sees_it_to_the_first_session(
        live_server, staff, screen):
    with sync_playwright() as p:
        browser = launch(p)
        phone = screen == "phone"
        context = browser.new_context(viewport=SCREENS[screen], is_mobile=phone, has_touch=phone)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(live_server + "/p/gift-certificate")
        # None by default; the amount field shows only for "Other amount".
        assert page.locator("input[name=gratuity][value=none]").is_checked()
        expect(page.locator("#gratuity_amount")).to_be_hidden()
        expect(page.locator("#gratuity-note")).to_be_hidden()
        page.click(".preset[data-amount='150']")
        expect(page.locator("#running-total")).to_have_text("$150")
        page.locator(".gratuity-option", has_text="20%").click()
        expect(page.locator("#running-total")).to_have_text("$180")
        expect(page.locator("#gratuity-note")).to_have_text("(includes $30 gratuity)")
        page.fill("#quantity", "2")
        expect(page.locator("#running-total")).to_have_text("$360")
        expect(page.locator("#gratuity-total")).to_have_text("$60")
        page.fill("#quantity", "1")
        page.locator(".gratuity-option", has_text="Other amount").click()
        expect(page.locator("#gratuity_amount")).to_be_visible()
        expect(page.locator("#gratuity_amount")).to_be_focused()
        page.fill("#gratuity_amount", "25")
        expect(page.locator("#running-total")).to_have_text("$175")
        assert fits_width(page)
        shoot(page, f"product-gratuity-amount-{screen}", full_page=False)
        page.locator(".gratuity-option", has_text="20%").click()
        expect(page.locator("#gratuity_amount")).to_be_hidden()
        expect(page.locator("#running-total")).to_have_text("$180")
        # The preview is the certificate with its gratuity line.
        expect(page.locator("#preview")).to_have_attribute("src", re.compile(r"gratuity=20"))
        for option in ("None", "15%", "20%", "25%", "Other amount"):
            assert inside_viewport(page, f".gratuity-option:has-text('{option}')"), option
        assert fits_width(page)
        page.locator(".gratuity-choice").scroll_into_view_if_needed()
        shoot(page, f"product-gratuity-{screen}", full_page=False)
        shoot(page, f"product-gratuity-{screen}-full")

        page.fill("#purchaser_name", "Ana Buyer")
        page.fill("#purchaser_email", "ana@example.com")
        page.check("input[name=delivery][value=print]")
        page.fill("#recipient_name", "Ben Holder")
        page.click("button[type=submit]")

        expect(page.locator("h1")).to_have_text("Review your order")
        expect(page.locator(".gift-gratuity")).to_have_text(
            "20% · $30.00, for your therapist, printed on the certificate")
        expect(page.locator("#order-total")).to_have_text("$180.00")
        expect(page.locator("#order-gratuity")).to_have_text("(includes $30.00 gratuity)")
        expect(page.locator("#pay")).to_have_text("Pay $180.00")
        assert fits_width(page)
        shoot(page, f"review-gratuity-{screen}")
        page.click("#pay")
        page.click("button[type=submit]")  # the demo pay page
        expect(page.locator("#order-status")).to_have_text("paid")
        expect(page.locator(".gratuity-line")).to_have_text(
            "Gratuity of $30.00 included for your therapist")
        code = page.locator(".voucher").get_attribute("data-code")

        browser_sign_in(page, live_server, STAFF_EMAIL)
        page.goto(f"{live_server}/desk/v/{code}")
        expect(page.locator("#gratuity")).to_contain_text("Prepaid gratuity $30.00 for the therapist")
        expect(page.locator("#remaining")).to_have_text("$150.00 of $150.00")
        # The note sits above the fold with Redeem still inside a phone's screen.
        redeem_box = page.locator(".redeem-button").bounding_box()
        assert redeem_box["y"] + redeem_box["height"] <= SCREENS[screen]["height"]
        shoot(page, f"desk-voucher-gratuity-{screen}", full_page=False)
        page.fill("#redeem-amount", "150")
        page.locator(".redeem-button").click()
        expect(page.locator("#gratuity-paid-now")).to_contain_text(
            "Prepaid gratuity for you: $30.00")
        assert fits_width(page)
        shoot(page, f"desk-done-gratuity-{screen}")
        assert errors == []
        browser.close()
