"""The rate-limit page in a real Chromium on a phone (390×844): after ten wrong codes the
next one shows, without scrolling, when to try again and how to reach the practice."""
import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import DESKTOP, PHONE, launch, serious_violations

pytestmark = pytest.mark.browser


def test_too_many_wrong_codes_say_when_and_whom_to_call_on_a_phone(app, live_server):
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server}/balance")
        for i in range(10):  # typed on the form the last answer showed again
            page.fill("input[name=code]", f"WHM-0000-0000-{i:04d}")
            with page.expect_response(lambda r: "/balance?" in r.url) as answer:
                page.keyboard.press("Enter")
            assert answer.value.status == 404
            expect(page.locator("#code-error")).to_be_visible()
        page.fill("input[name=code]", "WHM-0000-0000-0010")
        with page.expect_response(lambda r: "/balance?" in r.url) as answer:
            page.keyboard.press("Enter")
        assert answer.value.status == 429
        assert 1 <= int(answer.value.headers["retry-after"]) <= 61
        expect(page.locator("h1")).to_have_text("Too many tries")
        message = page.locator("#rate-limit-message")
        expect(message).to_contain_text("Please try again in about")
        phone = page.locator("#rate-limit-phone")
        expect(phone).to_have_attribute("href", "tel:+19713366028")
        expect(page.locator("#rate-limit-address")).to_have_text(
            "1675 SW Marlow Ave, Suite 210F, Portland, OR 97225")
        # What to do is on the first screen, and nothing is wider than the phone.
        for thing in (message, phone):
            box = thing.bounding_box()
            assert box and box["y"] + box["height"] <= PHONE["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert "per 1 minute" not in page.content()
        assert serious_violations(page) == []  # axe-core, and nothing wider than the phone
        if shots := os.environ.get("RATE_LIMIT_SCREENSHOTS"):  # for a person to look at
            page.screenshot(path=os.path.join(shots, "rate-limit-390.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=os.path.join(shots, "rate-limit-1280.png"), full_page=True)
        browser.close()
