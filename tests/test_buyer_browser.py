"""A gift buyer in a real Chromium, on a 390×844 phone and a 1280×800 desktop: choosing how
the gift is given, paying (demo), the order page, the holder page and the desk history,
checking what each shows and that no table cell breaks a word in the middle."""
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.auth import STAFF_EMAIL, browser_sign_in
from tests.support.browser import SCREENS, broken_words, fits_width, launch, screenshots

pytestmark = pytest.mark.browser

BOOKING = "https://book.example.com/west-hills"

shoot = screenshots("BUYER_SCREENSHOTS")


@pytest.mark.parametrize("app_config", [{"BOOKING_URL": BOOKING}])
@pytest.mark.parametrize("screen", SCREENS)
def test_a_buyer_gives_a_certificate_to_hand_over_and_the_holder_books_it(
        live_server, staff, screen):
    with sync_playwright() as p:
        browser = launch(p)
        phone = screen == "phone"
        context = browser.new_context(viewport=SCREENS[screen], is_mobile=phone, has_touch=phone)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(live_server + "/")
        expect(page.locator("main")).not_to_contain_text("1675 SW Marlow")  # once, in the footer
        page.goto(live_server + "/p/gift-certificate")
        # Emailing is the default: every recipient field shows, the date picker is bounded.
        expect(page.locator("#recipient_email")).to_be_visible()
        expect(page.locator("#deliver_on")).to_be_visible()
        assert page.locator("#deliver_on").get_attribute("min")
        page.check("input[name=delivery][value=me]")
        expect(page.locator("#recipient_name")).to_be_hidden()
        expect(page.locator("#message")).to_be_hidden()
        page.check("input[name=delivery][value=print]")
        expect(page.locator("#recipient_name")).to_be_visible()
        expect(page.locator("#message")).to_be_visible()
        expect(page.locator("#recipient_email")).to_be_hidden()
        expect(page.locator("#deliver_on")).to_be_hidden()
        expect(page.locator("[data-show=print].hint")).to_contain_text("comes to your email")
        assert fits_width(page)
        shoot(page, f"product-{screen}")

        # Preset amounts and a running total.
        page.click(".preset[data-amount='150']")
        expect(page.locator("#amount")).to_have_value("150")
        expect(page.locator("#running-total")).to_have_text("$150")
        page.fill("#quantity", "2")
        expect(page.locator("#running-total")).to_have_text("$300")
        page.fill("#quantity", "1")
        page.click(".preset[data-amount='']")  # Other
        expect(page.locator("#amount")).to_be_focused()
        page.fill("#amount", "75.50")
        page.fill("#purchaser_name", "Ana Buyer")
        page.fill("#purchaser_email", "ana@example.com")
        page.fill("#recipient_name", "Ben Holder")
        page.fill("#message", "Happy birthday, Ben!")
        page.click("button[type=submit]")
        expect(page.locator("#amount ~ .error")).to_have_text(
            "Enter whole dollars, like 75 (no cents).")
        # The choice survives the round trip: still "hand over", still only its fields.
        assert page.locator("input[name=delivery][value=print]").is_checked()
        expect(page.locator("#recipient_email")).to_be_hidden()
        page.fill("#amount", "75")
        expect(page.locator("#running-total")).to_have_text("$75")
        # A design, previewed live: the real certificate with what was typed.
        page.check("input[name=design][value=birthday]")
        expect(page.locator("#preview")).to_have_attribute("src", re.compile(
            r"design=birthday.*amount=75.*recipient_name=Ben\+Holder"))
        page.wait_for_function("() => { const i = document.getElementById('preview');"
                               " return i.complete && i.naturalWidth === 600; }")
        page.locator("#preview").scroll_into_view_if_needed()
        shoot(page, f"product-preview-{screen}")
        page.click("button[type=submit]")

        # Review: every detail of the gift, the total, the order number; then a second gift.
        expect(page.locator("h1")).to_have_text("Review your order")
        expect(page.locator("#order-number")).to_have_text(re.compile(r"^\d+$"))
        expect(page.locator(".gift-delivery")).to_contain_text("You print it or hand it over")
        expect(page.locator(".gift-design")).to_have_text("Birthday")
        expect(page.locator("#order-total")).to_have_text("$75.00")
        page.click(".add-gift summary")
        page.click(".add-gift >> text=60-min Pain Management Massage")
        expect(page.locator("button[type=submit]")).to_have_text("Add to my order")
        expect(page.locator("#purchaser_name")).to_be_hidden()  # the buyer is known already
        page.check("input[name=delivery][value=me]")
        page.click("button[type=submit]")
        expect(page.locator(".gift")).to_have_count(2)
        expect(page.locator("#order-total")).to_have_text("$185.00")
        page.locator(".gift").first.locator("text=Edit").click()
        expect(page.locator("#message")).to_have_value("Happy birthday, Ben!")
        page.fill("#message", "Happy birthday, Ben! Enjoy.")
        page.click("button[type=submit]")
        expect(page.locator(".gift-message")).to_have_text("Happy birthday, Ben! Enjoy.")
        assert fits_width(page)
        shoot(page, f"review-{screen}")
        page.click("#pay")
        page.click("button[type=submit]")  # the demo pay page
        expect(page.locator("#order-status")).to_have_text("paid")
        expect(page.locator("#order-number")).to_be_visible()
        expect(page.locator("main")).to_contain_text("For Ben Holder: print it or forward it")
        assert broken_words(page, ".outbox-table td") == []
        assert fits_width(page)
        shoot(page, f"order-{screen}")

        page.locator(".voucher", has_text="gift certificate").locator(
            "text=Balance and history").click()
        expect(page.locator(".holder-kind")).to_have_text("Gift certificate")
        expect(page.locator("#book-online")).to_have_attribute("href", BOOKING)
        expect(page.locator("#book-online")).to_have_text("Book your session")
        expect(page.locator("#book-phone")).to_have_attribute("href", "tel:+19713366028")
        assert broken_words(page, "table.history td") == []
        assert fits_width(page)
        shoot(page, f"holder-{screen}")
        holder_url = page.url

        browser_sign_in(page, live_server, STAFF_EMAIL)
        page.goto(holder_url)  # staff scanning the QR land on the desk's voucher page
        expect(page.locator("table.history")).to_contain_text("Issued")
        assert broken_words(page, "table.history td") == []
        assert fits_width(page)
        shoot(page, f"desk-history-{screen}")
        assert errors == []
        browser.close()
