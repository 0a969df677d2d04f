"""Occasion designs: chosen on the product page with a live preview drawn by the PDF code,
printed on the certificate, switched on and off by the owner."""
import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import AuditLog, Design, Voucher
from giftshop.vouchers import pdf
from tests.support.auth import owner_client
from tests.support.web import post_form
from tests.support.factories import printable_voucher
from tests.support.pdf import decode_qr_codes, page_count, pdf_text

WIDE = "W" * 120
OCCASION = {"classic": None, "birthday": "Happy birthday", "holiday": "Happy holidays",
            "thank_you": "Thank you"}


def pdf_words(data: bytes, tmp_path) -> str:
    return " ".join(pdf_text(data, tmp_path, layout=False).split())


def test_the_product_page_offers_four_designs_and_a_preview(client):
    html = client.get("/p/gift-certificate").get_data(as_text=True)
    for design in Design:
        assert f'name="design" type="radio" value="{design.value}"' in html, design
    assert 'id="preview"' in html and "/p/gift-certificate/preview.png?" in html


@pytest.mark.parametrize("design", list(Design))
def test_every_design_prints_the_longest_inputs_on_one_page_with_a_readable_qr(
        app, tmp_path, design):
    with app.app_context():
        voucher = printable_voucher(kind="sessions", initial=50, value_cents=500_000,
                                    service=WIDE, recipient_name=WIDE, purchaser_name=WIDE,
                                    message="W" * 500, design=design.value)
        data = pdf.voucher_pdf(voucher, use_cache=False)
        assert page_count(data, tmp_path) == 1
        assert decode_qr_codes(data, tmp_path) == [f"http://shop.test/v/{voucher.code}"]
        everyday = printable_voucher(design=design.value)
        short = pdf.voucher_pdf(everyday, use_cache=False)
        (tmp_path / "short").mkdir()
        assert decode_qr_codes(short, tmp_path / "short") == [
            f"http://shop.test/v/{everyday.code}"]
    if OCCASION[design.value]:
        assert OCCASION[design.value] in pdf_words(short, tmp_path)


def test_the_preview_is_the_certificate_as_it_will_print(client):
    response = client.get("/p/gift-certificate/preview.png?design=birthday&amount=150"
                          "&recipient_name=Ben&purchaser_name=Ana&message=Enjoy")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    image = Image.open(io.BytesIO(response.data))
    assert image.width == 600 and image.height > 700
    # The QR of a sample code that can never be a real voucher's (no 'L' in codes).
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [
        "http://shop.test/v/SAMPLE000000"]
    other = client.get("/p/gift-certificate/preview.png?design=holiday&amount=150"
                       "&recipient_name=Ben&purchaser_name=Ana&message=Enjoy")
    assert other.status_code == 200 and other.data != response.data


@pytest.mark.parametrize("query, field", [("message=" + "x" * 501, "message"),
                                          ("design=gothic", "design"),
                                          ("recipient_name=%EE%80%80", "recipient_name")])
def test_the_preview_refuses_what_the_order_would_refuse(client, query, field):
    response = client.get(f"/p/gift-certificate/preview.png?{query}")
    assert response.status_code == 422


def test_the_chosen_design_is_printed_on_the_certificate(app, client, tmp_path):
    response = client.post("/api/v1/orders", json={
        "purchaser": {"name": "Ana", "email": "ana@example.com"},
        "items": [{"product": "pain-management-60", "design": "holiday"}]})
    assert response.status_code == 201
    order_id = response.get_json()["order_id"]
    post_form(client, f"/checkout/demo/{order_id}", data={})
    with app.app_context():
        voucher = db.session.scalars(select(Voucher)).one()
        assert voucher.design == "holiday"
        assert "Happy holidays" in pdf_words(pdf.voucher_pdf(voucher, use_cache=False), tmp_path)


def test_the_owner_withdraws_a_design_and_buyers_no_longer_see_it(app, client):
    owner = owner_client(app)
    page = owner.get("/admin/catalog").get_data(as_text=True)
    assert 'id="design-birthday"' in page
    response = post_form(owner, "/admin/catalog", "/admin/catalog/designs/birthday/withdraw", {})
    assert response.status_code == 303
    assert 'value="birthday"' not in client.get("/p/gift-certificate").get_data(as_text=True)
    response = client.post("/api/v1/orders", json={
        "purchaser": {"name": "Ana", "email": "ana@example.com"},
        "items": [{"product": "pain-management-60", "design": "birthday"}]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "items.0.design": "Choose one of the designs on offer."}
    with app.app_context():
        entry = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "design.withdrawn")).one()
        assert (entry.target_type, entry.target_id) == ("design_choice", "birthday")
    post_form(owner, "/admin/catalog", "/admin/catalog/designs/birthday/offer", {})
    assert 'value="birthday"' in client.get("/p/gift-certificate").get_data(as_text=True)


def test_the_last_design_on_offer_cannot_be_withdrawn(app):
    owner = owner_client(app)
    for slug in ("birthday", "holiday", "thank_you"):
        post_form(owner, "/admin/catalog", f"/admin/catalog/designs/{slug}/withdraw", {})
    response = post_form(owner, "/admin/catalog", "/admin/catalog/designs/classic/withdraw", {})
    assert response.status_code == 409
    assert "Keep at least one design on offer." in response.get_data(as_text=True)
