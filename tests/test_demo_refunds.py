"""Demo mode refunds too: an order paid on the demo pay page is refunded from the back office
through the demo payment provider, by the same refund service, ledger rules and audit as a
Stripe refund, and a repeated submission refunds once."""
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import AuditLog, LedgerEntry, Order, Refund, Voucher
from giftshop.localtime import today_local
from tests.support.auth import owner_client
from tests.support.factories import count, placed_order
from tests.support.web import csrf_token, post_form

FOUR_PACK = {"product": "pain-management-4-pack", "quantity": 1,
             "recipient": {"name": "Ben Holder", "email": "ben@example.com"}}


def demo_order(app, items) -> int:
    """An order placed in demo-payments mode and paid as the demo pay page does."""
    with app.test_request_context():
        order = placed_order(items)
        assert order.payment_method == "demo"
        order_id = order.id
        db.session.remove()
    return order_id


def test_demo_order_page_offers_a_refund_instead_of_paid_at_the_desk(app):
    order_id = demo_order(app, [FOUR_PACK])
    page = owner_client(app).get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "Paid at the desk" not in page
    assert "demo payment provider" in page and "no money moves" in page
    assert 'name="refund_' in page and 'value="Refund"' in page


def test_refunding_sessions_of_a_demo_order_writes_the_ledger_order_and_audit(app):
    order_id = demo_order(app, [FOUR_PACK])
    client = owner_client(app)
    with app.app_context():
        voucher_id = db.session.scalars(select(Voucher.id)).one()
    page = f"/admin/orders/{order_id}"
    response = post_form(client, page, f"{page}/refund", data={
        f"refund_{voucher_id}": "1", "reason": "moved away", "confirm": "y"})
    assert response.status_code == 303
    shown = client.get(page).get_data(as_text=True)
    assert "Refunded $100.00 (demo payment: no money moved" in shown
    assert "partially refunded" in shown
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("partially_refunded", 10_000)
        voucher = db.session.get(Voucher, voucher_id)
        assert (voucher.remaining, voucher.status) == (3, "active")
        refund = db.session.scalars(select(Refund)).one()
        assert refund.stripe_refund_id.startswith("demo_re_") and refund.source == "shop"
        assert (refund.amount_cents, refund.status) == (10_000, "succeeded")
        entries = [(e.kind, e.delta, e.refund_id) for e in voucher.entries]
        assert entries == [("issue", 4, None), ("refund", -1, refund.id)]
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "order.refund")).one()
        assert audit.actor.startswith("owner@") and audit.after["amount_cents"] == 10_000
        assert audit.after["vouchers"] == {voucher.code: 1}


def test_refund_everything_twice_with_the_same_form_refunds_once_and_closes_the_voucher(app):
    order_id = demo_order(app, [FOUR_PACK, {"product": "gift-certificate", "amount_cents": 5_000,
                                             "recipient": {"name": "Cy", "email": "cy@example.com"}}])
    client = owner_client(app)
    page = f"/admin/orders/{order_id}"
    form = {"csrf_token": csrf_token(client, page), "everything": "y", "confirm": "y",
            "request_key": "0d5c8a36-7a52-4f51-9a0e-3b9d3f1f6a10"}
    assert client.post(f"{page}/refund", data=form).status_code == 303
    assert client.post(f"{page}/refund", data=form).status_code == 303  # a double click
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 45_000)
        assert count(Refund) == 1
        assert count(LedgerEntry) == 4  # two issues, two refunds
        vouchers = db.session.scalars(select(Voucher).order_by(Voucher.id)).all()
        assert [(v.status, v.remaining) for v in vouchers] == [("refunded", 0)] * 2
        code = vouchers[0].code
    holder = app.test_client().get(f"/v/{code}").get_data(as_text=True)
    assert "refunded" in holder.lower()
    again = post_form(client, page, f"{page}/refund", data={"everything": "y", "confirm": "y"})
    assert again.status_code == 422 and "Choose at least one voucher" in again.get_data(as_text=True)


def test_demo_refund_of_more_than_remains_is_refused_and_nothing_moves(app):
    order_id = demo_order(app, [FOUR_PACK])
    client = owner_client(app)
    with app.app_context():
        voucher_id = db.session.scalars(select(Voucher.id)).one()
    page = f"/admin/orders/{order_id}"
    response = post_form(client, page, f"{page}/refund",
                         data={f"refund_{voucher_id}": "5", "confirm": "y"})
    assert response.status_code == 422 and "more than remains" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Refund) == 0 and count(LedgerEntry) == 1
        assert db.session.get(Order, order_id).status == "paid"


def test_order_sold_at_the_desk_still_says_give_the_money_back_in_person(app):
    client = owner_client(app)
    response = post_form(client, "/admin/vouchers/issue", data={
        "product": "4", "mode": "sold", "payment_method": "cash", "purchaser_name": "Fay Desk",
        "purchaser_email": "fay@example.com", "deliver_on": today_local().isoformat()})
    assert response.status_code == 303
    with app.app_context():
        order_id = db.session.scalars(select(Order.id)).one()
        voucher_id = db.session.scalars(select(Voucher.id)).one()
    page = f"/admin/orders/{order_id}"
    assert "Paid at the desk (cash)" in client.get(page).get_data(as_text=True)
    refused = post_form(client, page, f"{page}/refund",
                        data={f"refund_{voucher_id}": "1", "confirm": "y"})
    assert refused.status_code == 409 and "refund it at the desk" in refused.get_data(as_text=True)
    with app.app_context():
        assert count(Refund) == 0
