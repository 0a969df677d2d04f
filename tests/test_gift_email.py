"""The emails a buyer is glad to forward: HTML in the practice's look with a plain-text
part, the certificate's picture inline (its QR still readable), a "View your gift" button,
the practice's address and hours; read in a real Chromium at 390 px."""
import base64
import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import sync_playwright

from giftshop.vouchers import outbox
from tests.support.browser import launch, screenshots
from tests.support.factories import demo_paid_order
from tests.support.outbox import tomorrow
from tests.support.smtp import mail_settings

BOOKING = "https://book.example.com/west-hills"
app_config = mail_settings(BOOKING_URL=BOOKING)
shoot = screenshots("BUYER_SCREENSHOTS")


def sent_emails(app, smtp_server, **order) -> dict:
    with app.app_context():
        _, codes = demo_paid_order(**order)
        report = outbox.send_due(tomorrow())
        assert report.sent and not report.failed
    return {m["To"]: m for m in smtp_server.messages}, codes


def html_and_pictures(message) -> tuple[str, dict[str, bytes]]:
    html = message.get_body(preferencelist=("html",))
    pictures = {}
    for part in message.walk():
        if part.get_content_type() == "image/png":
            pictures[part["Content-ID"].strip("<>")] = part.get_content()
    return html.get_content(), pictures


def test_the_recipients_email_shows_the_certificate_and_a_view_button(app, smtp_server):
    emails, (code,) = sent_emails(app, smtp_server)
    delivery = emails["ben@example.com"]
    assert "View your gift" not in delivery.get_body(preferencelist=("plain",)).get_content()
    html, pictures = html_and_pictures(delivery)
    assert f'href="http://shop.test/v/{code}"' in html and "View your gift" in html
    assert f'href="{BOOKING}"' in html and "Book your session" in html
    assert "1675 SW Marlow Ave" in html and "Hours: Mon 10–8" in html
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert cids and set(cids) == set(pictures)
    image = Image.open(io.BytesIO(pictures[cids[0]]))
    assert image.width == 600 and image.height > 700  # a whole Letter page
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [f"http://shop.test/v/{code}"]  # it is the certificate itself
    assert any(p.get_content_type() == "application/pdf" for p in delivery.iter_attachments())


def test_the_receipt_shows_every_certificate_with_its_own_button(app, smtp_server):
    emails, codes = sent_emails(app, smtp_server, quantity=2)
    html, pictures = html_and_pictures(emails["ana@example.com"])
    assert len(pictures) == 2 and all(f"/v/{c}" in html for c in codes)
    assert html.count("View your gift") == 2 and "order number" in html
    plain = emails["ana@example.com"].get_body(preferencelist=("plain",)).get_content()
    assert "(order number " in plain


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_email_reads_well_on_a_phone_and_a_desktop(app, smtp_server, width):
    emails, _ = sent_emails(app, smtp_server)
    html, pictures = html_and_pictures(emails["ben@example.com"])
    for cid, png in pictures.items():  # as a mail client shows related parts
        html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(png).decode())
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": width, "height": 844})
        page.set_content(html)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        picture = page.locator("img").bounding_box()
        assert picture["width"] <= width and picture["width"] >= min(width - 60, 560)
        button = page.locator("text=View your gift").bounding_box()
        assert button["height"] >= 40 and button["x"] + button["width"] <= width
        shoot(page, f"email-{width}")
        browser.close()
