"""What a gift buyer meets on the pages: three ways to give, clear words, booking links."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import TestConfig
from giftshop import create_app
from giftshop.extensions import db
from giftshop.models import OutboxMessage, Voucher
from giftshop.vouchers.pdf import voucher_pdf
from giftshop.localtime import today_local
from tests.support.pdf import pdf_text
from tests.support.web import pay_from_review, post_form

BUYER = {"quantity": "1", "purchaser_name": "Ana Buyer", "purchaser_email": "ana@example.com"}


def buy_and_pay(client, slug="gift-certificate", **fields):
    data = {**BUYER, **({"amount": "100"} if slug == "gift-certificate" else {}), **fields}
    response = post_form(client, f"/p/{slug}", f"/p/{slug}/buy", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    to_demo_pay = pay_from_review(client, response.headers["Location"])
    assert to_demo_pay.status_code == 303
    paid = post_form(client, to_demo_pay.headers["Location"], data={})
    assert paid.status_code == 303
    return paid.headers["Location"]


def test_the_product_page_offers_three_ways_to_give(client):
    html = client.get("/p/gift-certificate").get_data(as_text=True)
    for value, label in [("email", "Email it to them"), ("print", "I'll print it or hand it"),
                         ("me", "It's for me")]:
        assert f'value="{value}"' in html and label in html.replace("&#39;", "'")
    assert 'data-show="email"' in html and 'data-show="email print"' in html


def test_a_gift_handed_over_prints_the_name_and_sends_the_pdf_only_to_the_buyer(
        app, client, tmp_path):
    order_url = buy_and_pay(client, delivery="print", recipient_name="Ben Holder",
                            recipient_email="typed-then-hidden@example.com", message="Enjoy!")
    page = client.get(order_url).get_data(as_text=True)
    assert "You print it or hand it over: the PDF comes to ana@example.com" in page
    assert "For Ben Holder: print it or forward it" in page
    with app.app_context():
        voucher = db.session.scalars(select(Voucher)).one()
        assert (voucher.recipient_name, voucher.recipient_email) == ("Ben Holder", None)
        emails = db.session.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.to_email) for m in emails] == [("receipt", "ana@example.com")]
        assert "attached here for you to print or hand over" in emails[0].body_text
        text = pdf_text(voucher_pdf(voucher, use_cache=False), tmp_path, layout=False)
    assert "Ben Holder" in text and "Ana Buyer" in text and "Enjoy!" in text


def test_a_gift_for_myself_keeps_no_recipient_and_no_message(app, client):
    buy_and_pay(client, delivery="me", recipient_name="Left over", message="Left over too")
    with app.app_context():
        voucher = db.session.scalars(select(Voucher)).one()
        assert (voucher.recipient_name, voucher.recipient_email, voucher.message) == (
            None, None, "")


def test_an_emailed_gift_still_needs_the_recipients_email(app, client):
    response = post_form(client, "/p/gift-certificate", "/p/gift-certificate/buy",
                         {**BUYER, "amount": "100", "delivery": "email",
                          "recipient_name": "Ben Holder", "recipient_email": ""})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_an_amount_with_cents_says_amounts_are_whole_dollars(client):
    response = post_form(client, "/p/gift-certificate", "/p/gift-certificate/buy",
                         {**BUYER, "amount": "75.50", "delivery": "me"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter whole dollars, like 75 (no cents)." in html
    assert "Not a valid integer value" not in html


def test_the_date_picker_offers_today_to_a_year_ahead(client):
    html = client.get("/p/pain-management-60").get_data(as_text=True)
    today = today_local()
    assert f'min="{today.isoformat()}"' in html
    assert f'max="{(today + timedelta(days=365)).isoformat()}"' in html


def test_a_future_delivery_is_not_described_as_done(client):
    later = today_local() + timedelta(days=30)
    order_url = buy_and_pay(client, delivery="email", recipient_name="Ben Holder",
                            recipient_email="ben@example.com", deliver_on=later.isoformat())
    page = client.get(order_url).get_data(as_text=True)
    assert f"By email to ben@example.com, on {later.strftime('%B %-d, %Y')} at 9:00 AM" in page
    assert "delivered" not in page.split("<h2>Vouchers</h2>")[0]
    assert "Will be emailed to ben@example.com" in page
    with client.application.app_context():
        body = db.session.scalars(select(OutboxMessage.body_text).where(
            OutboxMessage.kind == "receipt")).one()
    assert f"to be emailed to them on {later.strftime('%B %-d, %Y')} at 9:00 AM" in body


def test_a_single_massage_is_not_called_a_package(app, client, tmp_path):
    buy_and_pay(client, "pain-management-90", delivery="me")
    with app.app_context():
        voucher = db.session.scalars(select(Voucher)).one()
        text = pdf_text(voucher_pdf(voucher, use_cache=False), tmp_path, layout=False)
        code = voucher.code
    assert "MASSAGE GIFT CERTIFICATE" in text.upper() and "PACKAGE" not in text.upper()
    assert "Massage gift certificate" in client.get(f"/v/{code}").get_data(as_text=True)


def test_the_home_page_gives_the_practice_details_once(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count("1675 SW Marlow Ave") == 1


@pytest.mark.parametrize("app_config", [{"BOOKING_URL": "https://book.example.com/west-hills"}])
def test_the_holder_page_and_voucher_offer_booking_online_and_by_phone(app, client, tmp_path):
    buy_and_pay(client, "pain-management-60", delivery="email", recipient_name="Ben Holder",
                recipient_email="ben@example.com")
    with app.app_context():
        voucher = db.session.scalars(select(Voucher)).one()
        text = pdf_text(voucher_pdf(voucher, use_cache=False), tmp_path, layout=False)
        delivery = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "delivery")).one()
        code = voucher.code
    html = client.get(f"/v/{code}").get_data(as_text=True)
    assert 'href="https://book.example.com/west-hills"' in html and "Book your session" in html
    assert 'href="tel:+19713366028"' in html
    assert "https://book.example.com/west-hills" in text
    assert "https://book.example.com/west-hills" in delivery.body_text
    assert 'href="https://book.example.com/west-hills"' in delivery.body_html


def test_a_booking_url_that_is_not_a_web_address_refuses_to_start(database_url, tmp_path):
    with pytest.raises(RuntimeError, match="BOOKING_URL"):
        create_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url,
                              BOOKING_URL="javascript:alert(1)"))
