"""Promo codes in a real Chromium: the owner creates one in the back office; a buyer types a
wrong code (told why), then the right one in lower case, sees the discount line and the new
total on the review page, and pays the discounted total."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import Order
from giftshop.localtime import today_local
from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import DESKTOP, PHONE, launch, screenshots, serious_violations

pytestmark = pytest.mark.browser

screenshot = screenshots("PROMO_SCREENSHOTS")


def create_code(page, base_url: str) -> None:
    today = today_local()
    page.goto(base_url + "/admin")
    page.get_by_role("link", name="Promo codes").click()
    page.get_by_label("Code").fill("spring20")
    page.get_by_label("Percent off").fill("20")
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("Uses at most (empty: no limit)").fill("50")
    page.get_by_role("button", name="Create code").click()
    expect(page.locator("#promo-codes")).to_contain_text("SPRING20")
    expect(page.locator("#promo-codes")).to_contain_text("20% off")


def code_and_buyer(browser, base_url: str, viewport: dict, *, gratuity: str | None = None):
    """The owner creates SPRING20; a buyer at `viewport` fills in the 4-pack for
    themselves (with the gratuity option labelled `gratuity`, if any) and opens the review.
    Returns (owner page, buyer page)."""
    owner = browser.new_context(viewport=DESKTOP).new_page()
    browser_sign_in(owner, base_url, OWNER_EMAIL)
    create_code(owner, base_url)
    buyer = browser.new_context(viewport=viewport).new_page()
    buyer.goto(base_url + "/p/pain-management-4-pack")
    buyer.fill("#purchaser_name", "Ana Buyer")
    buyer.fill("#purchaser_email", "ana@example.com")
    buyer.check("input[name=delivery][value=me]")
    if gratuity:
        buyer.locator(".gratuity-option", has_text=gratuity).click()
    buyer.get_by_role("button", name="Review my order").click()
    return owner, buyer


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_buyer_applies_a_code_on_the_review_page_and_pays_the_discounted_total(
        app, live_server, viewport):
    make_staff(app, OWNER_EMAIL, "owner")
    width = viewport["width"]
    with sync_playwright() as p:
        browser = launch(p)
        owner, buyer = code_and_buyer(browser, live_server, viewport)
        expect(buyer.locator("#order-total")).to_have_text("$400.00")

        buyer.get_by_label("Promo code").fill("sprnig20")
        buyer.get_by_role("button", name="Apply").click()
        expect(buyer.locator("#promo-error")).to_have_text(
            "We don't know the code “SPRNIG20”. Check the spelling.")
        expect(buyer.get_by_label("Promo code")).to_have_value("sprnig20")
        assert serious_violations(buyer, phone=width == 390) == []
        screenshot(buyer, f"review-promo-error-{width}")

        buyer.get_by_label("Promo code").fill("spring20")
        buyer.get_by_role("button", name="Apply").click()
        expect(buyer.locator("#order-subtotal")).to_have_text("$400.00")
        expect(buyer.locator("#order-discount")).to_have_text("−$80.00")
        expect(buyer.locator("#promo-name")).to_have_text("SPRING20")
        expect(buyer.locator("#order-total")).to_have_text("$320.00")
        pay = buyer.locator("#pay")
        expect(pay).to_have_text("Pay $320.00")
        # The page opens at the sums: the new total and Pay are on screen without scrolling.
        assert buyer.url.endswith("#order-sums")
        for shown in ("#order-discount", "#order-total", "#pay"):
            box = buyer.locator(shown).bounding_box()
            assert 0 <= box["y"] and box["y"] + box["height"] <= buyer.viewport_size["height"], \
                shown
        # Nothing is wider than the screen, and axe finds nothing serious.
        assert buyer.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(buyer, phone=width == 390) == []
        screenshot(buyer, f"review-promo-{width}")

        pay.click()
        buyer.get_by_role("button", name="Pay $320.00 (demo)").click()
        buyer.wait_for_url(f"{live_server}/orders/*")
        expect(buyer.locator("#order-status")).to_have_text("paid")
        expect(buyer.locator("#order-discount")).to_have_text("−$80.00")
        screenshot(buyer, f"order-paid-promo-{width}")

        owner.reload()
        row = owner.locator('#promo-codes tr[data-code="SPRING20"]')
        expect(row).to_contain_text("1 of 50")
        expect(row).to_contain_text("$80.00")
        screenshot(owner, "admin-promo-codes-1280")
        browser.close()
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents, order.discount_cents) == ("paid", 32_000, 8_000)
        assert [v.value_cents for v in order.vouchers] == [32_000]


def test_a_code_discounts_the_gifts_but_never_the_gratuity(app, live_server):
    """Both at once, at 390×844: a 20% gratuity on the 4-pack ($80) and a 20% code. The
    gifts are discounted ($400 → $320), the gratuity is not: $400 charged, and the
    voucher is worth what was paid for the gift."""
    make_staff(app, OWNER_EMAIL, "owner")
    with sync_playwright() as p:
        browser = launch(p)
        _, buyer = code_and_buyer(browser, live_server, PHONE, gratuity="20%")
        expect(buyer.locator("#order-total")).to_have_text("$480.00")

        buyer.get_by_label("Promo code").fill("spring20")
        buyer.get_by_role("button", name="Apply").click()
        expect(buyer.locator("#order-subtotal")).to_have_text("$400.00")
        expect(buyer.locator("#order-discount")).to_have_text("−$80.00")
        expect(buyer.locator("#order-gratuity-line")).to_have_text("+$80.00")
        expect(buyer.locator("#order-total")).to_have_text("$400.00")
        expect(buyer.locator("#order-gratuity")).to_have_text("(includes $80.00 gratuity)")
        assert buyer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(buyer, "review-promo-gratuity-390")

        buyer.locator("#pay").click()
        buyer.get_by_role("button", name="Pay $400.00 (demo)").click()
        buyer.wait_for_url(f"{live_server}/orders/*")
        expect(buyer.locator("#order-status")).to_have_text("paid")
        browser.close()
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents, order.discount_cents) == ("paid", 40_000, 8_000)
        assert [(v.value_cents, v.gratuity_cents) for v in order.vouchers] == [(32_000, 8_000)]
