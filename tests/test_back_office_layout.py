"""The back office's layout: its own navigation (not the shop's) with the open section
marked, and its tables readable on a phone."""
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff, owner_client
from giftshop.extensions import db
from tests.support.browser import DESKTOP, PHONE, broken_words, fits_width, launch, screenshots
from tests.support.factories import make_promo_code, placed_order

screenshot = screenshots("BACK_OFFICE_SCREENSHOTS")
CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>')


def test_each_back_office_section_marks_its_link_and_leaves_out_the_shop_links(app):
    client = owner_client(app)
    for path, section in (("/admin", "Back office"), ("/admin/orders", "Orders"),
                          ("/admin/catalog", "Catalog"), ("/admin/catalog/new", "Catalog"),
                          ("/admin/vouchers", "Vouchers"), ("/admin/staff", "Staff"),
                          ("/admin/promo-codes", "Promo codes")):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
        assert [label for _, label in CURRENT.findall(nav)] == [section], path
        assert "Gifts &amp; packages" not in nav and "Check a voucher" not in nav
        assert "Sign out" in nav and "Front desk" in nav


def test_the_shop_keeps_its_own_links(client):
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    assert "Gifts &amp; packages" in nav and "Check a voucher" in nav
    assert "aria-current" not in nav


@pytest.mark.browser
def test_the_nav_keeps_to_one_row_at_1280_and_to_the_width_of_a_phone(app, live_server):
    make_staff(app, OWNER_EMAIL, "owner")
    with sync_playwright() as p:
        browser = launch(p)
        for viewport in (DESKTOP, PHONE):
            page = browser.new_context(viewport=viewport).new_page()
            browser_sign_in(page, live_server, OWNER_EMAIL)
            page.goto(live_server + "/admin/promo-codes")
            items = page.locator('nav[aria-label="Main"] > a, nav[aria-label="Main"] button')
            tops = {round(box["y"]) for box in
                    (items.nth(i).bounding_box() for i in range(items.count()))}
            assert items.count() == 12  # eleven links and Sign out
            if viewport == DESKTOP:
                # one row (the button sits a pixel lower than the links; a second row
                # would be a line height below): Sign out no longer wraps
                assert max(tops) - min(tops) < 8, tops
            assert fits_width(page)
            expect(page.locator('nav a[aria-current="page"]')).to_have_text("Promo codes")
            screenshot(page, f"admin-nav-{viewport['width']}")
        browser.close()


@pytest.mark.browser
def test_the_owners_tables_stack_on_a_phone_and_break_no_word(app, live_server):
    """Vouchers, promo codes, catalog and an order's vouchers and refunds: on a 390 px
    phone each row becomes a card of labelled lines (they were squeezed into columns
    that broke "SPRING20", "$330.00" and voucher codes letter by letter)."""
    make_staff(app, OWNER_EMAIL, "owner")
    make_promo_code(app, percent=20)
    with app.app_context():
        order_id = placed_order([{
            "product": "pain-management-60", "gratuity": {"percent": 20},
            "recipient": {"name": "Ben Holder", "email": "ben.holder@example.com"}}]).id
        db.session.remove()
    with sync_playwright() as p:
        browser = launch(p)
        for viewport in (PHONE, DESKTOP):
            page = browser.new_context(viewport=viewport).new_page()
            browser_sign_in(page, live_server, OWNER_EMAIL)
            for path in ("/admin/vouchers", "/admin/promo-codes", "/admin/catalog",
                         f"/admin/orders/{order_id}"):
                page.goto(live_server + path)
                assert broken_words(page, "main table.stack td") == [], (path, viewport)
                assert fits_width(page), (path, viewport)
                name = path.strip("/").replace("/", "-")
                screenshot(page, f"{name}-{viewport['width']}")
            if viewport == PHONE:  # the labels stand beside the values
                expect(page.locator('#order-vouchers td[data-label="Worth"]')).to_contain_text(
                    "+ gratuity")
                label = page.evaluate("""() => getComputedStyle(document.querySelector(
                    '#order-vouchers td[data-label="Worth"]'), '::before').content""")
                assert label == '"Worth"'
        browser.close()
