"""Buying through the pages in demo-payments mode, end to end."""
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import LedgerEntry, Order, OutboxMessage, Voucher
from tests.support.web import buy, post_form


def test_home_shows_practice_and_products(client):
    page = client.get("/").get_data(as_text=True)
    assert "1675 SW Marlow Ave, Suite 210F" in page
    assert "(971) 336-6028" in page and "Oregon License #19165" in page
    assert "Pain Management 4-pack" in page and "$400" in page
    assert "DEMO PAYMENTS" in page


def test_buying_a_4_pack_in_demo_mode_issues_one_voucher_of_4_sessions(app, client):
    response = buy(client, "pain-management-4-pack")
    assert response.status_code == 303
    pay_url = response.headers["Location"]
    assert "/checkout/demo/" in pay_url
    assert "DEMO — no money moves" in client.get(pay_url).get_data(as_text=True)
    paid = post_form(client, pay_url, data={})
    assert paid.status_code == 303
    order_page = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "paid" in order_page and "4 of 4 sessions left" in order_page
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents) == ("paid", 40_000)
        voucher = db.session.scalars(select(Voucher)).one()
        assert (voucher.kind, voucher.initial, voucher.remaining) == ("sessions", 4, 4)
        entries = db.session.scalars(select(LedgerEntry)).all()
        assert [(e.kind, e.delta) for e in entries] == [("issue", 4)]
        kinds = sorted(m.kind for m in db.session.scalars(select(OutboxMessage)))
        assert kinds == ["delivery", "receipt"]


def test_two_50_dollar_certificates_give_two_vouchers(app, client):
    response = buy(client, "gift-certificate", amount="50", quantity="2")
    assert response.status_code == 303
    post_form(client, response.headers["Location"], data={})
    with app.app_context():
        vouchers = db.session.scalars(select(Voucher)).all()
        assert [(v.kind, v.initial, v.remaining) for v in vouchers] == [("money", 5000, 5000)] * 2
        assert len({v.code for v in vouchers}) == 2
        assert db.session.scalars(select(Order)).one().total_cents == 10_000


def test_out_of_bounds_amount_is_shown_inline_and_nothing_is_written(app, client):
    response = buy(client, "gift-certificate", amount="5000", message="keep me")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose an amount from $25 to $1,000." in page
    assert "keep me" in page  # input kept
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []


def test_order_form_without_csrf_token_is_refused(client):
    response = client.post("/p/pain-management-60/buy", data={"purchaser_name": "x"})
    assert response.status_code == 400


def test_every_problem_on_the_form_is_shown_at_once(app, client):
    response = buy(client, "gift-certificate", amount="abc", purchaser_name="",
                   recipient_email="not-an-email")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter whole dollars, like 75 (no cents)." in page
    assert "This field is required." in page  # your name
    assert "Enter a valid email address." in page  # recipient
    response = buy(client, "gift-certificate", amount="7", purchaser_name="")
    page = response.get_data(as_text=True)
    assert "Choose an amount from $25 to $1,000." in page and "This field is required." in page
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []
