"""axe-core (installed from npm by make) audits the pages people use, in real Chromium:
no serious or critical violations on the shop, holder, desk and back-office pages."""
import pytest
from playwright.sync_api import sync_playwright

from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import AXE, PHONE, launch, serious_violations
from tests.support.factories import make_voucher

pytestmark = pytest.mark.browser


@pytest.fixture
def data(app):
    make_staff(app, OWNER_EMAIL, "owner", name="Owner")
    return make_voucher(recipient_name="Rosa", recipient_email=None, purchaser_name="Ana",
                        message="Enjoy!", app=app)


def test_public_and_staff_pages_have_no_serious_accessibility_violations(live_server, data):
    assert AXE.exists(), "run `make dev-deps` (npm ci) first"
    public = ["/", "/p/gift-certificate", "/p/pain-management-4-pack", f"/v/{data}",
              "/balance", "/desk/login", "/embed", "/embed/p/gift-certificate"]
    staff = ["/desk", f"/desk/v/{data}", "/admin/", "/admin/vouchers", "/admin/orders",
             "/admin/website", "/admin/campaigns", "/admin/audit", "/admin/catalog/new",
             "/admin/orders?q=rosa"]
    problems = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=PHONE)
        for path in public:
            page.goto(live_server + path)
            problems[path] = serious_violations(page)
        # A form shown with its errors, too.
        page.goto(live_server + "/p/gift-certificate")
        page.fill("#amount", "5")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        problems["/p/gift-certificate (errors)"] = serious_violations(page)
        browser_sign_in(page, live_server, OWNER_EMAIL)
        for path in staff:
            page.goto(live_server + path)
            assert "/desk/login" not in page.url, path
            # The back office is a desktop tool: its wide tables may scroll on a phone.
            problems[path] = serious_violations(page, phone=not path.startswith("/admin"))
        browser.close()
    assert {path: found for path, found in problems.items() if found} == {}
