"""The owner finds orders, refunds them through Stripe from their page, and issues vouchers by hand."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import AuditLog, LedgerEntry, Order, OutboxMessage, Refund, Voucher
from giftshop.vouchers.codes import format_code
from giftshop.localtime import today_local
from tests.support.auth import owner_client
from tests.support.factories import count
from tests.support.localstripe_server import app_config, paid_order  # noqa: F401  (fixture)
from tests.support.web import post_form

CERT_100 = {"product": "gift-certificate", "amount_cents": 10_000}

# localstripe registers plain (non-async) aiohttp handlers, which aiohttp warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Bare functions are deprecated")


def order_numbers(page: str) -> list[str]:
    return re.findall(r'href="/admin/orders/(\d+)"', page)


def test_orders_are_found_by_name_email_voucher_code_number_and_date(app, localstripe):
    first = paid_order(app, localstripe, [CERT_100], {"name": "Carla Ortiz",
                                                      "email": "carla@example.com"})
    second = paid_order(app, localstripe, [CERT_100], {"name": "Dan Li", "email": "dan@example.org"})
    with app.app_context():
        db.session.get(Order, first).created_at = datetime(2026, 1, 10, 20, tzinfo=timezone.utc)
        # 06:00 UTC on Feb 1 is January 31 in Portland.
        db.session.get(Order, second).created_at = datetime(2026, 2, 1, 6, tzinfo=timezone.utc)
        code = db.session.scalars(select(Voucher.code).where(Voucher.order_id == second)).one()
        db.session.commit()
    client = owner_client(app)

    def found(**args):
        page = client.get("/admin/orders", query_string=args)
        assert page.status_code == 200
        return order_numbers(page.get_data(as_text=True))

    assert found(q="carla") == [str(first)]
    assert found(q="DAN@EXAMPLE.ORG") == [str(second)]
    assert found(q=format_code(code).lower()) == [str(second)]
    assert found(q=str(first)) == [str(first)]
    assert found(**{"from": "2026-01-31", "to": "2026-01-31"}) == [str(second)]
    assert found(**{"from": "2026-01-01", "to": "2026-01-30"}) == [str(first)]
    assert found(q="nobody") == []
    assert client.get("/admin/orders?from=yesterday").status_code == 400


def test_partial_refund_from_the_order_page_goes_through_stripe(app, localstripe):
    order_id = paid_order(app, localstripe, [CERT_100])
    client = owner_client(app)
    with app.app_context():
        voucher_id = db.session.scalars(select(Voucher.id)).one()
    page = f"/admin/orders/{order_id}"
    response = post_form(client, page, f"{page}/refund", data={
        f"refund_{voucher_id}": "40.00", "reason": "gift partly unwanted", "confirm": "y"})
    assert response.status_code == 303
    shown = client.get(page).get_data(as_text=True)
    assert "partially refunded" in shown and "$40.00" in shown and "here" in shown
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("partially_refunded", 4_000)
        assert db.session.get(Voucher, voucher_id).remaining == 6_000
        stripe_side = localstripe.refunds_for(order.payment_intent_id)
        assert [r["amount"] for r in stripe_side] == [4_000]
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "order.refund")).one()
        assert audit.actor.startswith("owner@") and audit.after["amount_cents"] == 4_000


def test_refund_everything_and_a_double_submit_refunds_once(app, localstripe):
    order_id = paid_order(app, localstripe, [{"product": "pain-management-4-pack",
                                              "quantity": 2}])
    client = owner_client(app)
    page = f"/admin/orders/{order_id}"
    from tests.support.web import csrf_token
    token = csrf_token(client, page)
    form = {"csrf_token": token, "request_key": "3f1c2a9e-1111-4222-8333-944445555666",
            "everything": "y", "confirm": "y"}
    assert client.post(f"{page}/refund", data=form).status_code == 303
    again = client.post(f"{page}/refund", data=form)  # a double click: same form key
    assert again.status_code == 303
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.refunded_cents) == ("refunded", 80_000)
        assert count(Refund) == 1
        assert len(localstripe.refunds_for(order.payment_intent_id)) == 1


@pytest.mark.parametrize("fields, message", [
    ({"refund_VID": "forty", "confirm": "y"}, "Enter dollars"),
    ({"refund_VID": "40"}, "tick the box"),
    ({"refund_VID": "150", "confirm": "y"}, "more than remains"),
    ({"confirm": "y"}, "Choose at least one voucher"),
])
def test_bad_refund_input_is_refused_with_a_message_and_nothing_moves(app, localstripe, fields,
                                                                      message):
    order_id = paid_order(app, localstripe, [CERT_100])
    client = owner_client(app)
    with app.app_context():
        voucher_id = db.session.scalars(select(Voucher.id)).one()
        entries = count(LedgerEntry)
    data = {k.replace("VID", str(voucher_id)): v for k, v in fields.items()}
    page = f"/admin/orders/{order_id}"
    response = post_form(client, page, f"{page}/refund", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(Refund) == 0 and count(LedgerEntry) == entries
        order = db.session.get(Order, order_id)
        assert order.status == "paid"
        assert localstripe.refunds_for(order.payment_intent_id) == []


def issue(client, **fields):
    data = {"product": "1", "mode": "complimentary", "deliver_on": today_local().isoformat()}
    data.update(fields)
    return post_form(client, "/admin/vouchers/issue", data=data)


def test_complimentary_voucher_with_an_expiry_date_is_issued_and_emailed(app):
    client = owner_client(app)
    expires = today_local() + timedelta(days=365)
    response = issue(client, amount="50", expires_on=expires.isoformat(),
                     recipient_name="Eve", recipient_email="eve@example.com",
                     note="raffle prize")
    assert response.status_code == 303
    with app.app_context():
        voucher = db.session.scalars(select(Voucher)).one()
        assert (voucher.kind, voucher.initial, voucher.value_cents) == ("money", 5_000, 0)
        assert voucher.promotional and voucher.expires_on == expires and voucher.order_id is None
        assert [(e.kind, e.delta) for e in voucher.entries] == [("issue", 5_000)]
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert mail.to_email == "eve@example.com" and "EXPIRES ON" in mail.body_text
        audit = db.session.scalars(select(AuditLog).where(
            AuditLog.action == "voucher.issue_by_hand")).one()
        assert audit.after["mode"] == "complimentary" and audit.actor.startswith("owner@")


def test_voucher_sold_at_the_desk_creates_a_paid_order_with_the_method(app):
    client = owner_client(app)
    four_pack = 4  # seed position order: certificate, 60, 90, 4-pack, 6-pack
    response = issue(client, product=str(four_pack), mode="sold", payment_method="cash",
                     purchaser_name="Fay Desk", purchaser_email="fay@example.com")
    assert response.status_code == 303
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.payment_method, order.total_cents) == ("paid", "cash", 40_000)
        assert order.paid_at is not None and order.items[0].unit_price_cents == 40_000
        voucher = db.session.scalars(select(Voucher)).one()
        assert (voucher.kind, voucher.initial, voucher.value_cents) == ("sessions", 4, 40_000)
        assert not voucher.promotional and voucher.expires_on is None
        assert db.session.scalars(select(OutboxMessage.kind)).all() == ["receipt"]


@pytest.mark.parametrize("fields, message", [
    ({"amount": "50", "expires_on": (date.today() - timedelta(days=2)).isoformat()},
     "must be in the future"),
    ({"amount": "50", "mode": "sold", "payment_method": "cash",
      "expires_on": (date.today() + timedelta(days=900)).isoformat(),
      "purchaser_name": "X", "purchaser_email": "x@example.com"}, "Only complimentary"),
    ({"amount": "50", "mode": "sold", "payment_method": "cash"}, "buyer&#39;s name"),
    ({"amount": ""}, "amount"),
    ({"amount": "50", "recipient_email": "not-an-email"}, "valid email"),
])
def test_bad_manual_issue_is_refused_and_writes_nothing(app, fields, message):
    client = owner_client(app)
    response = issue(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(Voucher) == 0 and count(Order) == 0 and count(OutboxMessage) == 0
