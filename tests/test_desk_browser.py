"""The front desk in a real Chromium on a phone-sized screen: sign in, find a voucher by
typing, by a USB scanner's typed URL, and by the camera reading a real voucher's QR."""
import subprocess
from pathlib import Path

import pytest
import qrcode
import zxingcpp
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from giftshop.vouchers.codes import format_code
from tests.support.auth import STAFF_EMAIL, browser_sign_in
from tests.support.browser import PHONE, inside_viewport_without_scrolling, launch, screenshots
from tests.support.factories import make_voucher

pytestmark = pytest.mark.browser

FRAME_SIZE = (640, 480)
shoot = screenshots("DESK_SCREENSHOTS")


@pytest.fixture
def voucher(app, staff):
    """Rosa Holder's 6-pack; Dana (`staff`) works the desk."""
    return make_voucher("sessions", 6, app=app)


def sign_in(page, base_url: str) -> None:
    page.goto(base_url + "/desk")
    assert "/desk/login" in page.url  # anonymous → sign-in first
    browser_sign_in(page, base_url, STAFF_EMAIL)


def test_the_therapist_redeems_and_undoes_a_session_in_two_taps_on_a_phone(live_server,
                                                                           voucher):
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, live_server)
        field = page.locator("#code")
        expect(field).to_be_focused()
        field.type(format_code(voucher).lower())  # printed form, any case
        field.press("Enter")
        page.wait_for_url(f"{live_server}/desk/v/{voucher}")
        shoot(page, "desk-voucher-phone")
        expect(page.locator(".demo-banner")).to_be_visible()  # the test shop is in demo mode
        expect(page.locator("#remaining")).to_have_text("6 of 6 sessions left")
        expect(page.locator("body")).to_contain_text("Rosa Holder")
        for part in ("#remaining", "#redeem-sessions", "#redeem-submit"):
            assert inside_viewport_without_scrolling(page, part), part
        expect(page.locator("#redeem-submit")).to_have_value("Redeem 1 session")
        assert page.locator("input[type=checkbox]").count() == 0  # no tick box to forget

        page.locator("#redeem-submit").tap()  # tap 1
        expect(page.locator("#done-what")).to_have_text("Redeemed 1 session")
        expect(page.locator("#remaining")).to_have_text("5 of 6 sessions left")
        size = page.locator("#remaining").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 32  # large type
        assert inside_viewport_without_scrolling(page, "#undo-submit")
        shoot(page, "desk-redeemed-phone")
        page.locator("#undo-submit").tap()  # tap 2
        expect(page.locator("#done-what")).to_have_text("Reversed 1 session")
        expect(page.locator("#remaining")).to_have_text("6 of 6 sessions left")
        expect(page.locator("#undo-submit")).to_have_count(0)
        shoot(page, "desk-undone-phone")

        page.click("text=Back to this voucher")
        expect(page.locator("table.history")).to_contain_text("Dana")
        expect(page.locator("table.history")).to_contain_text("Reversed 1 session")
        page.fill("#redeem-sessions", "7")  # the label follows the field…
        expect(page.locator("#redeem-submit")).to_have_value("Redeem 7 sessions")
        page.locator("#redeem-submit").tap()  # …and the refusal says what is left
        expect(page.locator("#action-error")).to_have_text("Only 6 sessions left.")
        shoot(page, "desk-refused-phone")
        assert errors == []
        browser.close()


def test_the_therapist_finds_a_client_by_name_without_the_code(live_server, voucher):
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        sign_in(page, live_server)
        page.fill("#code", "rosa hold")
        page.press("#code", "Enter")
        expect(page.locator(".results li")).to_have_count(1)
        expect(page.locator(".results")).to_contain_text("6 of 6 sessions left")
        shoot(page, "desk-search-phone")
        page.locator(".results a").tap()
        page.wait_for_url(f"{live_server}/desk/v/{voucher}")
        browser.close()


def test_a_usb_scanner_typing_the_full_qr_url_or_the_qr_link_opens_the_voucher(live_server,
                                                                              voucher):
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE).new_page()
        sign_in(page, live_server)
        page.keyboard.type(f"http://shop.test/v/{format_code(voucher)}")  # autofocused
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}/desk/v/{voucher}")
        expect(page.locator("#voucher-code")).to_have_text(format_code(voucher))
        page.goto(live_server + "/desk")
        page.fill("#code", "WHM-0000-0000-0000")
        page.press("#code", "Enter")
        expect(page.locator("#lookup-error")).to_have_text(
            "No voucher has that code. Check it and try again. Read: WHM-0000-0000-0000")
        # The field comes back empty and focused: the next scan's keys start afresh (a
        # scanner types at once; text left in the field would be prefixed to them).
        expect(page.locator("#code")).to_have_value("")
        expect(page.locator("#code")).to_be_focused()
        page.keyboard.type(f"{format_code(voucher)}\n")
        page.wait_for_url(f"{live_server}/desk/v/{voucher}")
        # A phone camera opening the QR's URL takes signed-in staff to the same screen.
        page.goto(f"{live_server}/v/{format_code(voucher)}")
        page.wait_for_url(f"{live_server}/desk/v/{voucher}")
        browser.close()


def voucher_frame(app, code: str, workdir: Path) -> Image.Image:
    """A camera frame showing the voucher's QR: cut from the real rendered PDF when the
    PDF module exists, else drawn with the qrcode package."""
    try:
        from giftshop.vouchers.pdf import voucher_pdf
    except ImportError:
        voucher_pdf = None
    if voucher_pdf is None:
        qr = qrcode.make(f"{app.config['SHOP_BASE_URL']}/v/{code}").convert("L")
    else:
        with app.app_context():
            from giftshop.vouchers.lookup import find_by_code

            pdf = voucher_pdf(find_by_code(code))
        (workdir / "voucher.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile",
                        str(workdir / "voucher.pdf"), str(workdir / "voucher")], check=True)
        page = Image.open(workdir / "voucher.png").convert("L")
        found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
        assert found, "the rendered voucher has no readable QR"
        corners = found[0].position
        xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x,
              corners.bottom_right.x]
        ys = [corners.top_left.y, corners.top_right.y, corners.bottom_left.y,
              corners.bottom_right.y]
        margin = (max(xs) - min(xs)) // 3
        qr = page.crop((min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin))
    side = FRAME_SIZE[1] - 60
    frame = Image.new("L", FRAME_SIZE, 235)
    frame.paste(qr.resize((side, side)), ((FRAME_SIZE[0] - side) // 2, 30))
    return frame.convert("RGB")


def write_y4m(path: Path, image: Image.Image, frames: int = 10) -> None:
    """A raw YUV 4:2:0 video Chromium's fake camera can play in a loop."""
    width, height = image.size
    y, cb, cr = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    payload = (b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes())
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(payload)


def test_the_camera_scanner_reads_a_real_voucher_qr_and_opens_it(app, live_server, voucher,
                                                                 tmp_path):
    video = tmp_path / "camera.y4m"
    write_y4m(video, voucher_frame(app, voucher, tmp_path))
    with sync_playwright() as p:
        browser = launch(p, "--use-fake-device-for-media-stream",
                         "--use-fake-ui-for-media-stream",
                         f"--use-file-for-fake-video-capture={video}")
        context = browser.new_context(viewport=PHONE)
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, live_server)
        page.click("#scan-start")
        page.wait_for_url(f"{live_server}/desk/v/{voucher}", timeout=30_000)
        expect(page.locator("#remaining")).to_have_text("6 of 6 sessions left")
        assert errors == []
        browser.close()
