"""Demo mode shows everything: in a real Chromium a buyer pays on the demo pay page, the
owner refunds the order from the back office (1280×800), and the holder's page then says
the voucher was refunded."""
import pytest
from playwright.sync_api import expect, sync_playwright

from giftshop.extensions import db
from giftshop.models import Order, Voucher
from giftshop.vouchers.codes import format_code
from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import DESKTOP, PHONE, launch, screenshots
from tests.support.factories import placed_order

pytestmark = pytest.mark.browser

shoot = screenshots("DEMO_REFUND_SCREENSHOTS")


def test_owner_refunds_a_demo_order_and_the_voucher_shows_refunded(app, live_server):
    make_staff(app, OWNER_EMAIL, "owner")
    with app.test_request_context():
        order = placed_order([{"product": "pain-management-4-pack",
                               "recipient": {"name": "Ben Holder", "email": "ben@example.com"}}],
                             paid=False)
        public_id, order_id = order.public_id, order.id
        db.session.remove()
    with sync_playwright() as p:
        browser = launch(p)
        buyer = browser.new_context(viewport=DESKTOP).new_page()
        buyer.goto(f"{live_server}/checkout/demo/{public_id}")
        buyer.get_by_role("button", name="Pay $400.00 (demo)").click()
        buyer.wait_for_url(f"{live_server}/orders/{public_id}")
        with app.app_context():
            code = db.session.scalars(select_code(order_id)).one()

        owner = browser.new_context(viewport=DESKTOP).new_page()
        browser_sign_in(owner, live_server, OWNER_EMAIL)
        owner.goto(f"{live_server}/admin/orders/{order_id}")
        expect(owner.locator("#demo-refund-note")).to_contain_text("no money moves")
        expect(owner.get_by_text("Paid at the desk")).to_have_count(0)
        owner.get_by_label("Refund everything that remains on this order").check()
        owner.get_by_label("Yes, make this refund (demo payment: no money moves)").check()
        shoot(owner, "demo-refund-order-1280")
        owner.get_by_role("button", name="Refund").click()
        expect(owner.locator(".flash")).to_contain_text(
            "Refunded $400.00 (demo payment: no money moved")
        expect(owner.locator("#order-status")).to_have_text("refunded")
        expect(owner.locator(f"#voucher-{code}")).to_contain_text("refunded")
        expect(owner.locator(".refund-row")).to_contain_text("$400.00")
        expect(owner.locator("#nothing-to-refund")).to_be_visible()
        assert owner.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        shoot(owner, "demo-refund-done-1280")

        holder = browser.new_context(viewport=PHONE).new_page()
        holder.goto(f"{live_server}/v/{format_code(code)}")
        expect(holder.locator("#voucher-status")).to_have_text("Refunded — no longer valid")
        expect(holder.locator("#remaining")).to_have_text("0 of 4 sessions left")
        shoot(holder, "demo-refund-holder-390")
        browser.close()
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 40_000)


def select_code(order_id):
    return db.select(Voucher.code).where(Voucher.order_id == order_id)
