"""The prepaid gratuity printed on the certificate (every design, one page, QR still
decoding, the longest inputs too) and in the buyer's receipt email."""
import pytest
from sqlalchemy import select

from giftshop.checkout.validation import MAX_MESSAGE, MAX_NAME
from giftshop.extensions import db
from giftshop.models import Design, OutboxMessage
from giftshop.vouchers import pdf
from giftshop.vouchers.qr import voucher_url
from tests.support.factories import printable_voucher
from tests.support.pdf import (MESSAGES, decode_qr_codes, keep_for_a_person, page_count,
                               pdf_text)

LINE = "Gratuity of $30.00 included for your therapist"


@pytest.mark.parametrize("design", [d.value for d in Design])
def test_every_design_prints_the_gratuity_on_one_page_with_a_readable_qr(app, tmp_path,
                                                                         design):
    with app.app_context():
        voucher = printable_voucher(design=design, gratuity_cents=3_000)
        fetcher = pdf.new_fetcher()
        data = pdf.voucher_pdf(voucher, fetcher=fetcher, use_cache=False)
        keep_for_a_person(data, tmp_path, f"gratuity-{design}")
        assert page_count(data, tmp_path) == 1
        assert decode_qr_codes(data, tmp_path) == [voucher_url(voucher.code)]
        text = " ".join(pdf_text(data, tmp_path).split())
        assert LINE in text
        assert "$150 gift certificate" in text and "Terms:" in text
        assert fetcher.refused == []


@pytest.mark.parametrize("design", [d.value for d in Design])
@pytest.mark.parametrize("message", ["widest-latin", "line-per-character", "emoji"])
def test_the_gratuity_line_still_fits_the_longest_inputs(app, tmp_path, design, message):
    with app.app_context():
        voucher = printable_voucher(kind="sessions", initial=6, value_cents=57_000,
                                    service="W" * MAX_NAME, recipient_name="W" * MAX_NAME,
                                    purchaser_name="W" * MAX_NAME, message=MESSAGES[message],
                                    design=design, gratuity_cents=50_000)
        data = pdf.voucher_pdf(voucher, use_cache=False)
        assert page_count(data, tmp_path) == 1
        assert decode_qr_codes(data, tmp_path) == [voucher_url(voucher.code)]
        text = " ".join(pdf_text(data, tmp_path).split())
        assert "Gratuity of $500.00 included for your therapist" in text and "Terms:" in text
    assert len(MESSAGES[message]) <= MAX_MESSAGE


def test_no_gratuity_prints_no_line(app, tmp_path):
    with app.app_context():
        data = pdf.voucher_pdf(printable_voucher(), use_cache=False)
    assert "Gratuity" not in pdf_text(data, tmp_path)


def test_a_refunded_gratuity_is_no_longer_printed(app):
    with app.app_context():
        voucher = printable_voucher(gratuity_cents=3_000)
        assert LINE in pdf.voucher_html([voucher])
        voucher.gratuity_refund_id = 1  # as a refund leaves it (no row needed for the HTML)
        assert "Gratuity of" not in pdf.voucher_html([voucher])


def test_the_receipt_email_names_the_gratuity(app):
    with app.test_request_context():
        from giftshop.checkout.fulfilment import fulfil_order
        from giftshop.checkout.service import place_order
        from giftshop.localtime import today_local

        order = place_order({"purchaser": {"name": "Ana", "email": "ana@example.com"},
                             "items": [{"product": "gift-certificate", "amount_cents": 15_000,
                                        "recipient": {"name": "Ben", "email": "ben@example.com"},
                                        "gratuity": {"percent": 20}}]}, today=today_local())
        assert order.total_cents == 18_000
        fulfil_order(order.id, None)
        receipt = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "receipt")).one()
        assert "Thank you for your order of $180.00" in receipt.body_text
        assert LINE in receipt.body_text and LINE in receipt.body_html
        # The holder's own email says so too.
        delivery = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "delivery")).one()
        assert LINE in delivery.body_text and LINE in delivery.body_html
        # An order without one says nothing about gratuities.
        plain = place_order({"purchaser": {"name": "Ana", "email": "ana@example.com"},
                             "items": [{"product": "pain-management-60"}]}, today=today_local())
        fulfil_order(plain.id, None)
        receipts = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "receipt").order_by(OutboxMessage.id)).all()
        assert len(receipts) == 2 and "Gratuity" not in receipts[-1].body_text
