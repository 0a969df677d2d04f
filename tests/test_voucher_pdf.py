"""The printable voucher: real WeasyPrint PDFs, read back with poppler and zxing."""
import os
import re
import subprocess
from datetime import date, datetime, timezone

import pytest
from weasyprint.urls import URLFetcher

from giftshop.extensions import db
from giftshop.vouchers import pdf
from giftshop.vouchers.codes import format_code
from tests.support.factories import demo_paid_order, printable_voucher
from tests.support.pdf import decode_qr_codes, page_count, pdf_text


def test_a_money_voucher_prints_amount_code_names_and_practice(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher()
        fetcher = pdf.new_fetcher()
        data = pdf.voucher_pdf(voucher, fetcher=fetcher, use_cache=False)
        text = pdf_text(data, tmp_path)
        assert page_count(data, tmp_path) == 1
        for printed in ("$150 gift certificate", format_code(voucher.code), "Ben Holder",
                        "Ana Buyer", "Feel better soon!", "West Hills Massage",
                        "1675 SW Marlow Ave, Suite 210F, Portland, OR 97225", "(971) 336-6028",
                        "Oregon License #19165", "Mon 10–8", "No expiration date. No fees.",
                        "ORS 646A.276", "under $5"):
            assert printed in " ".join(text.split()), printed
        assert "EXPIRES" not in text
        assert fetcher.refused == []


def test_the_qr_code_decodes_to_the_vouchers_url(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher()
        data = pdf.voucher_pdf(voucher)
        assert decode_qr_codes(data, tmp_path) == [f"http://shop.test/v/{voucher.code}"]


def test_a_sessions_package_prints_its_sessions(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher(kind="sessions", initial=4, value_cents=40_000,
                                    service="60-min Pain Management Massage", recipient_name=None,
                                    recipient_email=None, message="")
        text = " ".join(pdf_text(pdf.voucher_pdf(voucher), tmp_path).split())
        assert "4 × 60-min Pain Management Massage" in text
        assert format_code(voucher.code) in text and "Ana Buyer" in text


def test_a_promotional_voucher_prints_expires_on_in_large_type(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher(promotional=True, expires_on=date(2031, 12, 31))
        data = pdf.voucher_pdf(voucher)
        text = " ".join(pdf_text(data, tmp_path).split())
        assert "EXPIRES ON DECEMBER 31, 2031" in text
        assert "No expiration date" not in text
        path = tmp_path / "e.pdf"
        path.write_bytes(data)
        # pdftotext -bbox gives each word's box: the height is the type size in points.
        boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                               capture_output=True, text=True).stdout
        line = next(line for line in boxes.splitlines() if ">EXPIRES<" in line)
        box = {k: float(v) for k, v in re.findall(r'(\w+)="([\d.]+)"', line)}
        height = box["yMax"] - box["yMin"]
        assert height >= 10, height


def test_the_issue_date_is_pacific_time(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher()
        # 03:00 UTC on Jan 1 is still Dec 31 in Portland.
        voucher.created_at = datetime(2027, 1, 1, 3, 0, tzinfo=timezone.utc)
        db.session.commit()
        text = " ".join(pdf_text(pdf.voucher_pdf(voucher), tmp_path).split())
        assert "Issued December 31, 2026" in text


@pytest.mark.parametrize("message", [
    '<img src="file:///etc/passwd">',
    "<link rel=stylesheet href=http://x>",
    '<style>@import url("http://evil.test/x.css");</style>',
])
def test_html_in_a_message_prints_as_text_and_loads_nothing(app, tmp_path, message):
    with app.app_context():
        voucher = printable_voucher(message=message, recipient_name='<b>Ben</b> "Holder"')
        fetcher = pdf.new_fetcher()
        text = " ".join(pdf_text(pdf.voucher_pdf(voucher, fetcher=fetcher, use_cache=False),
                                 tmp_path).split())
        assert message in text and '<b>Ben</b> "Holder"' in text
        assert fetcher.refused == []
        static = "file://" + app.static_folder + "/"
        assert fetcher.requested and all(
            url.startswith(static) or url.startswith("data:image/svg+xml;base64,")
            for url in fetcher.requested), fetcher.requested


def test_the_fetcher_refuses_and_records_anything_outside_static(app, tmp_path):
    with app.app_context():
        fetcher = pdf.new_fetcher()
        html = ('<link rel="stylesheet" href="http://example.test/x.css">'
                '<img src="file:///etc/passwd"><img src="../../config.py">'
                '<img src="css/../../__init__.py"><img src="data:image/png;base64,AAAA">'
                '<p>hello</p>')
        data = pdf.html_to_pdf(html, fetcher)
        assert "hello" in pdf_text(data, tmp_path)
        assert sorted(fetcher.refused) == sorted(fetcher.requested)
        assert len(fetcher.refused) == 5
        assert isinstance(fetcher, URLFetcher)  # WeasyPrint's own fetcher API, restricted
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch("file:///etc/passwd")
        assert fetcher.refused[-1] == "file:///etc/passwd"


def test_a_multi_voucher_order_gets_one_combined_pdf_with_a_page_each(app, tmp_path):
    with app.app_context():
        vouchers = [printable_voucher(),
                    printable_voucher(kind="sessions", initial=1, value_cents=11_000,
                                      service="60-min Pain Management Massage")]
        data = pdf.render_pdf(vouchers)
        assert page_count(data, tmp_path) == 2
        assert sorted(decode_qr_codes(data, tmp_path)) == sorted(
            f"http://shop.test/v/{v.code}" for v in vouchers)


def test_rendered_pdfs_are_cached_and_an_edit_invalidates_the_cache(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher(recipient_name="Ben Holdr")
        first = pdf.voucher_pdf(voucher)
        cache_dir = app.config["PDF_CACHE_DIR"]
        cached = [f for _, _, files in os.walk(cache_dir) for f in files]
        assert len(cached) == 1
        fetcher = pdf.new_fetcher()
        assert pdf.voucher_pdf(voucher, fetcher=fetcher) == first
        assert fetcher.requested == []  # served from disk, not rendered
        voucher.recipient_name = "Ben Holder"
        db.session.commit()
        corrected = pdf.voucher_pdf(voucher)
        assert corrected != first and "Ben Holder" in pdf_text(corrected, tmp_path)
        assert len([f for _, _, files in os.walk(cache_dir) for f in files]) == 2


def test_the_holders_pdf_and_the_orders_combined_pdf_are_served(app, client, tmp_path):
    with app.app_context():
        public_id, codes = demo_paid_order(quantity=2)
    response = client.get(f"/v/{format_code(codes[0])}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert format_code(codes[0]) in pdf_text(response.data, tmp_path)
    combined = client.get(f"/orders/{public_id}/vouchers.pdf")
    assert combined.status_code == 200 and combined.mimetype == "application/pdf"
    assert page_count(combined.data, tmp_path) == 2
    assert client.get("/orders/nope/vouchers.pdf").status_code == 404
    assert client.get("/v/WHM-0000-0000-0000.pdf").status_code == 404


def test_a_voided_vouchers_pdf_is_gone(app, client):
    with app.app_context():
        voucher = printable_voucher()
        voucher.status = "voided"
        db.session.commit()
        code = voucher.code
    response = client.get(f"/v/{code}.pdf")
    assert response.status_code == 410 and "voided" in response.get_data(as_text=True)
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Voided" in page and f"/v/{code}.pdf" not in page
