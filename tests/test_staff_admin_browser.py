"""/admin/staff in a real Chromium, on a laptop and a phone: the owner disables a member,
who is signed out at once in their own browser."""
import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import DESKTOP, PHONE, launch

pytestmark = pytest.mark.browser

DESK_EMAIL = "dana@example.com"
SIZES = {"laptop": DESKTOP, "phone": PHONE}


@pytest.mark.parametrize("size", SIZES)
def test_the_owner_disables_a_member_who_is_signed_out_at_once(app, live_server, size):
    make_staff(app, OWNER_EMAIL, "owner")
    make_staff(app, DESK_EMAIL, "staff")
    with sync_playwright() as p:
        browser = launch(p)
        owner = browser.new_context(viewport=SIZES[size]).new_page()
        desk = browser.new_context(viewport=SIZES[size]).new_page()
        browser_sign_in(owner, live_server, OWNER_EMAIL)
        browser_sign_in(desk, live_server, DESK_EMAIL)
        owner.goto(live_server + "/admin/staff")
        member = owner.locator("li.staff-member", has_text=DESK_EMAIL)
        expect(member).to_contain_text("active")
        # Nothing on the page is wider than the screen.
        assert owner.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        if shots := os.environ.get("ADMIN_SCREENSHOTS"):  # for a person to look at
            owner.screenshot(path=os.path.join(shots, f"admin-staff-{size}.png"), full_page=True)
        member.get_by_role("button", name=f"Disable {DESK_EMAIL}").click()
        expect(owner.locator(".flash")).to_contain_text("signed out everywhere")
        expect(owner.locator("li.staff-member", has_text=DESK_EMAIL)).to_contain_text("disabled")
        if shots:
            owner.screenshot(path=os.path.join(shots, f"admin-staff-disabled-{size}.png"),
                             full_page=True)
        desk.goto(live_server + "/desk")
        assert "/desk/login" in desk.url
        browser.close()
