"""The "Buy a gift" button on another website, in a real Chromium: the practice's page
(another loopback origin) embeds the snippet, a buyer completes a demo purchase through the
dialog and pays top-level; a site that is not allowed cannot frame the shop."""
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from giftshop.embed.snippet import website_snippet
from giftshop.extensions import db
from giftshop.models import Order, Voucher
from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff
from tests.support.browser import DESKTOP, PHONE, launch, screenshots
from tests.support.static_site import static_site

pytestmark = pytest.mark.browser
screenshot = screenshots("EMBED_SCREENSHOTS", full_page=False)


@pytest.fixture
def sites(tmp_path):
    """Two other websites: the practice's (allowed to embed) and a stranger's."""
    (tmp_path / "practice").mkdir()
    (tmp_path / "stranger").mkdir()
    with static_site(tmp_path / "practice") as practice, static_site(tmp_path / "stranger") as other:
        # localhost vs 127.0.0.1: a different *site*, so the frame gets no shop cookies.
        yield {"dir": tmp_path, "practice": f"http://localhost:{practice}",
               "stranger": f"http://127.0.0.1:{other}"}


@pytest.fixture
def app_config(sites):
    return {"EMBED_ORIGINS": [sites["practice"]]}


def write_page(sites, site: str, body: str) -> str:
    (sites["dir"] / site / "gifts.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>West Hills Massage</title></head><body><h1>Gift Certificates Available</h1>"
        f"{body}</body></html>")
    return f"{sites[site]}/gifts.html"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_buyer_buys_a_4_pack_through_the_button_on_the_practice_site(app, live_server, sites,
                                                                     viewport):
    url = write_page(sites, "practice", website_snippet(live_server))
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=viewport).new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        button = page.get_by_role("link", name="Buy a gift certificate")
        expect(button).to_have_css("border-radius", "999px")  # styled by button.js
        button.click()
        dialog = page.locator("dialog.giftshop-dialog")
        expect(dialog).to_be_visible()
        shop = page.frame_locator("dialog.giftshop-dialog iframe")
        expect(shop.get_by_text("Pain Management 4-pack").first).to_be_visible()
        screenshot(page, f"embed-products-{viewport['width']}")
        shop.locator("a.button[href$='/embed/p/pain-management-4-pack']").click()
        shop.locator("#purchaser_name").fill("Ana Buyer")
        shop.locator("#purchaser_email").fill("ana@example.com")
        shop.locator("#recipient_name").fill("Ben Holder")
        shop.locator("#recipient_email").fill("ben@example.com")
        screenshot(page, f"embed-form-{viewport['width']}")
        shop.get_by_role("button", name="Continue to payment").click()
        # Payment is never framed: the practice's page itself goes to the pay page.
        page.wait_for_url(f"{live_server}/checkout/demo/*")
        assert page.main_frame.url.startswith(live_server)
        screenshot(page, f"embed-pay-{viewport['width']}")
        page.get_by_role("button", name="Pay $400.00 (demo)").click()
        page.wait_for_url(f"{live_server}/orders/*")
        expect(page.locator("body")).to_contain_text("4 of 4 sessions left")
        browser.close()
    assert errors == []
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents, order.purchaser_email) == \
            ("paid", 40_000, "ana@example.com")
        voucher = db.session.scalars(select(Voucher)).one()
        assert (voucher.kind, voucher.remaining, voucher.recipient_name) == \
            ("sessions", 4, "Ben Holder")


def test_a_mistake_in_the_embedded_form_is_shown_in_the_dialog(app, live_server, sites):
    url = write_page(sites, "practice", website_snippet(live_server, "gift-certificate"))
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(url)
        page.get_by_role("link", name="Buy a gift certificate").click()
        shop = page.frame_locator("dialog.giftshop-dialog iframe")
        shop.locator("#amount").fill("5000")
        shop.get_by_role("button", name="Continue to payment").click()
        expect(shop.get_by_role("alert")).to_contain_text("Please correct the highlighted fields")
        assert page.url == url  # still on the practice's page
        screenshot(page, "embed-error-390")
        browser.close()
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def _shop_text_in_frame(page, selector: str) -> str:
    frame = page.locator(selector).element_handle().content_frame()
    return frame.evaluate("() => document.body ? document.body.innerText : ''") if frame else ""


def test_a_site_not_allowed_cannot_frame_the_shop(app, live_server, sites):
    frames = (f"<iframe id='embed' src='{live_server}/embed'></iframe>"
              f"<iframe id='home' src='{live_server}/'></iframe>")
    stranger = write_page(sites, "stranger", frames + website_snippet(live_server))
    practice_page = write_page(sites, "practice", f"<iframe id='home' src='{live_server}/'></iframe>")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=DESKTOP).new_page()
        refusals = []
        page.on("console", lambda msg: "frame-ancestors" in msg.text and refusals.append(msg.text))
        page.goto(stranger, wait_until="load")
        assert "Give relief" not in _shop_text_in_frame(page, "#embed")
        assert "Give relief" not in _shop_text_in_frame(page, "#home")
        assert len(refusals) == 2
        # The button there stays a plain link: it takes the buyer to the shop itself.
        page.get_by_role("link", name="Buy a gift certificate").click()
        page.wait_for_url(f"{live_server}/")
        expect(page.locator("h1")).to_contain_text("Give relief")
        # Even the allowed site may frame only the embed pages.
        refusals.clear()
        page.goto(practice_page, wait_until="load")
        assert "Give relief" not in _shop_text_in_frame(page, "#home")
        assert len(refusals) == 1
        browser.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_owner_finds_the_snippet_in_the_back_office(app, live_server, viewport):
    make_staff(app, OWNER_EMAIL, "owner")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=viewport).new_page()
        browser_sign_in(page, live_server, OWNER_EMAIL)
        page.goto(live_server + "/admin")
        page.get_by_role("link", name="Website button").click()
        snippet = page.get_by_label("Snippet")
        expect(snippet).to_have_value(website_snippet("http://shop.test"))
        preview = page.locator(".snippet-preview a[data-giftshop-button]")
        expect(preview).to_have_css("border-radius", "999px")
        screenshot(page, f"admin-website-{viewport['width']}")
        browser.close()
