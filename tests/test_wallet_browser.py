"""The holder's page in a real Chromium offers "Add to Apple Wallet" when passes are set
up, and the button downloads the signed pass."""
import json
import zipfile

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import DESKTOP, PHONE, launch, screenshots
from tests.support.factories import make_voucher
from tests.support.passkit import make_chain, passkit_settings

pytestmark = pytest.mark.browser
shoot = screenshots("WALLET_SCREENSHOTS")


@pytest.fixture
def app_config(tmp_path):
    return passkit_settings(make_chain(tmp_path))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_holder_adds_the_voucher_to_apple_wallet(app, live_server, tmp_path, viewport):
    code = make_voucher("sessions", 6, value_cents=57_000, app=app)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE).new_page()
        page.goto(f"{live_server}/v/{code}")
        button = page.get_by_role("link", name="Add to Apple Wallet")
        expect(button).to_be_visible()
        shoot(page, f"holder-wallet-{viewport['width']}")
        with page.expect_download() as download:
            button.click()
        saved = tmp_path / "saved.pkpass"
        download.value.save_as(saved)
        assert download.value.suggested_filename == f"{code}.pkpass"
        browser.close()
    with zipfile.ZipFile(saved) as archive:
        content = json.loads(archive.read("pass.json"))
    assert content["storeCard"]["primaryFields"][0]["value"] == "6 of 6"
