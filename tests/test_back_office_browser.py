"""The owner's morning in a real Chromium at 1280×800: from the desk to the back office,
the dashboard's figures and chart, finding an order by its recipient, renaming a product
whose old address then redirects, the new-product form by kind (with and without
JavaScript), the change in the audit log, and signing out. Screenshots at 1280×800 and
390×844 when BACK_OFFICE_SCREENSHOTS names a folder."""
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import Product, Voucher
from giftshop.vouchers.ledger import record_entry
from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import (DESKTOP, PHONE, inside_viewport_without_scrolling, launch,
                                   screenshots)
from tests.support.factories import placed_order

pytestmark = pytest.mark.browser
screenshot = screenshots("BACK_OFFICE_SCREENSHOTS")


@pytest.fixture
def day_of_sales(app):
    """A paid $50 certificate for José Álvarez, one session of a paid 4-pack redeemed, and
    an unpaid 6-pack order."""
    make_staff(app, OWNER_EMAIL, "owner")
    with app.app_context():
        def order(buyer, item, pay=True):
            return placed_order([item], purchaser={"name": buyer, "email": "buyer@example.com"},
                                paid=pay).id
        order("Ann Buyer", {"product": "gift-certificate", "amount_cents": 5_000,
                            "recipient": {"name": "José Álvarez", "email": "jose@example.org"}})
        pack = order("Bob Buyer", {"product": "pain-management-4-pack"})
        order("Cy Buyer", {"product": "pain-management-6-pack"}, pay=False)
        pack_voucher = db.session.scalars(select(Voucher).where(Voucher.order_id == pack)).one()
        record_entry(pack_voucher, "redeem", -1)
        db.session.commit()
        sixty = db.session.scalar(select(Product.id).where(Product.slug == "pain-management-60"))
        code = pack_voucher.code
        db.session.remove()
    return sixty, code


def shoot(page, name: str) -> None:
    screenshot(page, f"{name}-{page.viewport_size['width']}")


def test_the_owners_morning_in_the_back_office(app, live_server, day_of_sales):
    sixty, _ = day_of_sales
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=DESKTOP).new_page()
        browser_sign_in(page, live_server, OWNER_EMAIL)
        page.get_by_role("link", name="Back office").click()
        page.wait_for_url(live_server + "/admin")

        # The dashboard: this month's sales and redemptions, what is owed, the chart.
        expect(page.locator("#sold td").first).to_contain_text("$450.00")
        expect(page.locator("#sold td").first).to_contain_text("2 orders")
        expect(page.locator("#redeemed td").first).to_contain_text("$100.00")
        expect(page.locator("#liability-total")).to_have_text("$350.00")
        expect(page.locator("#prepaid-weeks")).to_contain_text("0.1 weeks")  # 3 ÷ 20
        chart = page.get_by_role("img", name="Sold and redeemed per month")
        expect(chart).to_be_visible()
        assert page.locator("svg.chart rect.bar").count() == 24
        box = chart.bounding_box()
        assert box["width"] > 600 and box["y"] + box["height"] < 2 * DESKTOP["height"]
        shoot(page, "admin")

        # Search finds the order by its recipient, accents or not.
        page.get_by_role("navigation").get_by_role("link", name="Orders").click()
        page.get_by_label("Code, name, email or product").fill("alvarez")
        page.get_by_role("button", name="Search").click()
        rows = page.locator("tr.order-row")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("for José Álvarez")
        shoot(page, "search")

        # Renaming a product keeps its old address working (a permanent redirect).
        page.goto(f"{live_server}/admin/catalog/{sixty}")
        page.get_by_label("Page address (slug)").fill("massage-60")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flash")).to_contain_text("saved")
        response = page.goto(live_server + "/p/pain-management-60")
        assert page.url == live_server + "/p/massage-60"
        assert response.request.redirected_from.url.endswith("/p/pain-management-60")
        assert response.request.redirected_from.response().status == 301
        expect(page.locator("h1")).to_contain_text("60-min Pain Management Massage")

        # The new-product form shows the chosen kind's fields only.
        page.goto(live_server + "/admin/catalog/new")
        sessions, money = page.locator("fieldset[data-kind=sessions]"), \
            page.locator("fieldset[data-kind=money]")
        expect(sessions).to_be_visible()
        expect(money).to_be_hidden()
        page.get_by_label("Kind").select_option("money")
        expect(money).to_be_visible()
        expect(sessions).to_be_hidden()
        expect(page.get_by_label("Smallest amount ($)")).to_be_visible()
        shoot(page, "product-form")

        # The audit log says what changed, by whom, with the recorded data one click away.
        page.get_by_role("navigation").get_by_role("link", name="Audit log").click()
        newest = page.locator("tr.audit-row").first
        expect(newest.locator(".audit-changes li")).to_have_text(
            "slug: pain-management-60 → massage-60")
        expect(newest.locator(".audit-who")).to_have_text(OWNER_EMAIL)
        raw = newest.locator("details.raw pre").first
        expect(raw).to_be_hidden()
        newest.get_by_text("Recorded data").click()
        expect(raw).to_contain_text('"slug": "pain-management-60"')
        shoot(page, "audit")

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(live_server + "/desk/login")
        page.goto(live_server + "/admin")
        assert "/desk/login" in page.url

        # Without JavaScript the form shows both kinds' fields.
        no_js = browser.new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
        browser_sign_in(no_js, live_server, OWNER_EMAIL)
        no_js.goto(live_server + "/admin/catalog/new")
        expect(no_js.locator("fieldset[data-kind=sessions]")).to_be_visible()
        expect(no_js.locator("fieldset[data-kind=money]")).to_be_visible()
        browser.close()


def test_the_back_office_pages_fit_a_phone(app, live_server, day_of_sales):
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE).new_page()
        browser_sign_in(page, live_server, OWNER_EMAIL)
        for path, name in (("/admin", "admin"), ("/admin/orders?q=buyer", "search"),
                           ("/admin/catalog/new", "product-form"), ("/admin/audit", "audit")):
            page.goto(live_server + path)
            if page.locator("details.chart-figures").count():
                page.get_by_text("The figures as a table").click()
                expect(page.locator("#chart-table")).to_be_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width}px wide"
            shoot(page, name)
        page.goto(live_server + "/admin")
        expect(page.locator("#sold")).to_be_visible()
        expect(page.get_by_role("img", name="Sold and redeemed per month")).to_be_attached()
        # The owner is often the therapist: the desk's extra "Back office" link must not
        # push the Redeem button below a phone's fold.
        _, code = day_of_sales
        page.get_by_role("link", name="Front desk").click()
        expect(page.get_by_role("link", name="Back office")).to_be_visible()
        page.goto(f"{live_server}/desk/v/{code}")
        assert inside_viewport_without_scrolling(page, "#redeem-submit")
        browser.close()
