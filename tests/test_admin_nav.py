"""The back office's navigation: its own links (not the shop's), the open section marked."""
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff, owner_client
from tests.support.browser import DESKTOP, PHONE, fits_width, launch, screenshots

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

