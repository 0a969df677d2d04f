"""axe-core (installed from npm by make) audits the pages people use, in real Chromium:
no serious or critical violations on the shop, holder, desk and back-office pages."""
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from giftshop.desk.staff import create_staff
from giftshop.extensions import db
from giftshop.vouchers.service import issue_voucher
from tests.support.live_server import live_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
OWNER, PASSWORD = "owner@example.com", "correct horse battery"


def serious_violations(page, *, phone: bool = True) -> list[str]:
    """axe's serious/critical findings, plus (for pages made for phones) a page wider
    than the phone it is shown on."""
    width = page.evaluate("document.documentElement.scrollWidth")
    too_wide = [f"page is {width}px wide on a 390px phone"] if phone and width > 390 else []
    page.evaluate(AXE.read_text())  # through DevTools, so the page's CSP does not apply
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return too_wide + [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def data(app):
    with app.app_context():
        create_staff(OWNER, PASSWORD, role="owner", name="Owner")
        voucher = issue_voucher(kind="money", initial=10_000, value_cents=10_000,
                                recipient_name="Rosa", purchaser_name="Ana",
                                message="Enjoy!")
        db.session.commit()
        code = voucher.code
        db.session.remove()
    return code


def test_public_and_staff_pages_have_no_serious_accessibility_violations(live_server, data):
    assert AXE.exists(), "run `make dev-deps` (npm ci) first"
    public = ["/", "/p/gift-certificate", "/p/pain-management-4-pack", f"/v/{data}",
              "/balance", "/desk/login", "/embed", "/embed/p/gift-certificate"]
    staff = ["/desk", f"/desk/v/{data}", "/admin/", "/admin/vouchers", "/admin/orders",
             "/admin/website", "/admin/campaigns", "/admin/audit", "/admin/catalog/new",
             "/admin/orders?q=rosa"]
    problems = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        for path in public:
            page.goto(live_server + path)
            problems[path] = serious_violations(page)
        # A form shown with its errors, too.
        page.goto(live_server + "/p/gift-certificate")
        page.fill("#amount", "5")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        problems["/p/gift-certificate (errors)"] = serious_violations(page)
        page.goto(live_server + "/desk/login")
        page.fill("input[name=email]", OWNER)
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(live_server + "/desk")
        for path in staff:
            page.goto(live_server + path)
            assert "/desk/login" not in page.url, path
            # The back office is a desktop tool: its wide tables may scroll on a phone.
            problems[path] = serious_violations(page, phone=not path.startswith("/admin"))
        browser.close()
    assert {path: found for path, found in problems.items() if found} == {}
