"""Every certificate the shop accepts prints on one Letter page, in fonts that have its
characters: tested at the limits (500-character messages, 120-character names, the widest
glyphs, CJK, emoji, a line break per character), the QR still decoding on each."""
import shutil
import subprocess
from datetime import date

import pytest

from giftshop.checkout.validation import MAX_MESSAGE, MAX_NAME
from giftshop.vouchers import pdf
from giftshop.vouchers.qr import voucher_url
from tests.support.factories import printable_voucher
from tests.support.pdf import (MESSAGES, decode_qr_codes, keep_for_a_person, page_count,
                               pdf_text)

WIDE = "W" * MAX_NAME


def fonts_used(data: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.parametrize("app_config", [{"BOOKING_URL": "https://book.example.com/" + "w" * 60}])
@pytest.mark.parametrize("name", MESSAGES)
def test_the_longest_inputs_fit_one_page_with_a_readable_qr(app, tmp_path, name):
    with app.app_context():
        voucher = printable_voucher(kind="sessions", initial=50, value_cents=500_000,
                                    service="W" * MAX_NAME, recipient_name=WIDE,
                                    purchaser_name=WIDE, message=MESSAGES[name], promotional=True,
                                    expires_on=date(2031, 12, 31))
        fetcher = pdf.new_fetcher()
        data = pdf.voucher_pdf(voucher, fetcher=fetcher, use_cache=False)
        keep_for_a_person(data, tmp_path, f"fit-{name}")
        assert page_count(data, tmp_path) == 1
        assert decode_qr_codes(data, tmp_path) == [voucher_url(voucher.code)]
        text = " ".join(pdf_text(data, tmp_path).split())
        assert "EXPIRES ON DECEMBER 31, 2031" in text and "Terms:" in text  # the page's end
        assert fetcher.refused == []


def test_a_short_message_keeps_the_normal_sizes(app, tmp_path):
    with app.app_context():
        short = printable_voucher(message="Feel better soon!")
        long = printable_voucher(message="W" * MAX_MESSAGE)
        html = pdf.voucher_html([short, long])
        assert 'class="voucher fit-0 design-classic"' in html
        data = pdf.render_pdf([short, long], use_cache=False)
        assert page_count(data, tmp_path) == 2
        # Only the long one was stepped down: its message prints smaller than the short one's.
        sizes = message_sizes(data, tmp_path)
        assert sizes["Feel"] > sizes["WWWW"]


def message_sizes(data: bytes, tmp_path) -> dict[str, float]:
    path = tmp_path / "sizes.pdf"
    path.write_bytes(data)
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                           capture_output=True, text=True).stdout
    sizes = {}
    for line in boxes.splitlines():
        if "<word" in line:
            word = line.rsplit(">", 2)[-2].split("<", 1)[0]
            y_min = float(line.split('yMin="')[1].split('"')[0])
            y_max = float(line.split('yMax="')[1].split('"')[0])
            sizes.setdefault(word[:4], y_max - y_min)
    return sizes


@pytest.mark.parametrize("text, font", [("生日快乐", "Noto-Sans-CJK"), ("🎁", "Noto-Color-Emoji"),
                                        ("생일 축하해요", "Noto-Sans-CJK")])
def test_cjk_and_emoji_print_in_fonts_that_have_them(app, tmp_path, text, font):
    assert shutil.which("pdffonts")
    with app.app_context():
        data = pdf.voucher_pdf(printable_voucher(message=text), use_cache=False)
    assert font in fonts_used(data, tmp_path)


def test_a_500_character_message_with_everyday_names_stays_easy_to_read(app, tmp_path):
    with app.app_context():
        voucher = printable_voucher(message=MESSAGES["words"])
        data = pdf.voucher_pdf(voucher, use_cache=False)
        keep_for_a_person(data, tmp_path, "fit-everyday-500")
    assert page_count(data, tmp_path) == 1
    assert message_sizes(data, tmp_path)["Happ"] >= 10  # points, glyph box height
