"""Reviewing an order before paying: every gift's details, Edit, Remove, Cancel, Add another
gift; and an unpaid order offering Pay now (a new Checkout Session once the old expired)."""
import pytest
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import Order, OrderItem, Voucher
from tests.support.stripe_events import deliver, event
from tests.support.factories import count
from tests.support.web import csrf_token, pay_from_review, post_form

BUYER = {"purchaser_name": "Ana Buyer", "purchaser_email": "ana@example.com", "quantity": "1"}


def start_order(client, slug="gift-certificate", **fields) -> str:
    data = {**BUYER, "delivery": "email", "recipient_name": "Ben Holder",
            "recipient_email": "ben@example.com", "message": "Happy birthday!", **fields}
    if slug == "gift-certificate":
        data.setdefault("amount", "100")
    response = post_form(client, f"/p/{slug}", f"/p/{slug}/buy", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_the_review_page_shows_each_gift_the_total_and_the_order_number(app, client):
    order_url = start_order(client)
    page = client.get(order_url).get_data(as_text=True)
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.stripe_session_id) == ("pending", None)
    for shown in ("Review your order", f'id="order-number">{order.id}<', "Ben Holder",
                  "By email to ben@example.com, right after payment", "Happy birthday!",
                  "Pay $100.00", "Edit", "Remove", "Cancel order", "Add another gift",
                  "Pain Management 4-pack"):  # a product to add
        assert shown in page, shown
    assert 'http-equiv="refresh"' not in page


def test_edit_changes_the_gift_and_the_total(app, client):
    order_url = start_order(client)
    with app.app_context():
        item_id = db.session.scalars(select(OrderItem.id)).one()
    edit_url = f"{order_url}/items/{item_id}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    assert 'value="Ben Holder"' in form and "Save changes" in form and "Happy birthday!" in form
    response = post_form(client, edit_url, "/p/gift-certificate/buy", {
        **BUYER, "amount": "150", "delivery": "print", "recipient_name": "Ben H.",
        "order_ref": order_url.rsplit("/", 1)[-1], "item_ref": str(item_id)})
    assert response.status_code == 303
    page = client.get(order_url).get_data(as_text=True)
    assert "Pay $150.00" in page and "Ben H." in page and "You print it or hand it over" in page
    with app.app_context():
        item = db.session.scalars(select(OrderItem)).one()
        assert (item.unit_price_cents, item.recipient_name, item.recipient_email) == (
            15_000, "Ben H.", None)


def test_add_another_gift_then_pay_once_for_both(app, client):
    order_url = start_order(client)
    public_id = order_url.rsplit("/", 1)[-1]
    add_url = f"{order_url}/add/pain-management-60"
    form = client.get(add_url).get_data(as_text=True)
    assert "Add to my order" in form and 'value="ana@example.com"' in form
    response = post_form(client, add_url, "/p/pain-management-60/buy", {
        **BUYER, "delivery": "me", "order_ref": public_id})
    assert response.status_code == 303 and response.headers["Location"].endswith(public_id)
    assert "Pay $210.00" in client.get(order_url).get_data(as_text=True)
    to_pay = pay_from_review(client, order_url)
    post_form(client, to_pay.headers["Location"], data={})
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert (order.status, order.total_cents, count(Voucher)) == ("paid", 21_000, 2)


def test_remove_and_cancel_leave_nothing_behind(app, client):
    order_url = start_order(client)
    with app.app_context():
        item_id = db.session.scalars(select(OrderItem.id)).one()
    response = post_form(client, order_url, f"{order_url}/items/{item_id}/remove", {})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Order cancelled: nothing was charged." in client.get("/").get_data(as_text=True)
    second = start_order(client)
    response = post_form(client, second, f"{second}/cancel", {})
    assert response.status_code == 303
    with app.app_context():
        assert count(Order) == count(OrderItem) == 0
    assert client.get(second).status_code == 404


def test_a_paid_order_can_no_longer_be_changed(app, client):
    order_url = start_order(client)
    token = csrf_token(client, order_url)
    to_pay = pay_from_review(client, order_url)
    post_form(client, to_pay.headers["Location"], data={})
    page = client.get(order_url).get_data(as_text=True)
    assert "Thank you, Ana Buyer!" in page and "Cancel order" not in page
    response = client.post(f"{order_url}/cancel", data={"csrf_token": token})
    assert response.status_code == 409
    with app.app_context():
        assert count(Order) == 1


@pytest.fixture
def stripe_client(migrated_database, tmp_path, stripe_stub):
    """A second app on the same database taking payments through the Stripe stub."""
    from tests.conftest import make_app

    app = make_app(migrated_database, tmp_path, STRIPE_SECRET_KEY="sk_test_local",
                   STRIPE_API_BASE=stripe_stub.url)
    yield app, app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_pay_now_reuses_an_open_session_and_replaces_an_expired_one(
        app, stripe_client, stripe_stub):
    shop, client = stripe_client
    order_url = start_order(client, "pain-management-60", delivery="me")
    first = pay_from_review(client, order_url)
    assert first.headers["Location"].startswith("https://checkout.stripe.test/")
    with shop.app_context():
        old_id = db.session.scalars(select(Order.stripe_session_id)).one()
    # The buyer backs out of Stripe: the order offers Pay now (the same open session).
    page = client.get(client.get(f"/checkout/cancel/{order_url.rsplit('/', 1)[-1]}")
                      .headers["Location"]).get_data(as_text=True)
    assert "Pay now" in page and "Start again" in page and "Cancel order" not in page
    again = post_form(client, order_url, f"{order_url}/pay", {})
    assert again.headers["Location"] == first.headers["Location"]
    # Stripe expires the session: Pay now makes a new one, and the order is pending again.
    stripe_stub.sessions[old_id]["status"] = "expired"
    assert deliver(client, event("checkout.session.expired",
                                 stripe_stub.sessions[old_id])).status_code == 200
    with shop.app_context():
        assert db.session.scalars(select(Order.status)).one() == "expired"
    page = client.get(order_url).get_data(as_text=True)
    assert "not paid: nothing was charged" in page and 'http-equiv="refresh"' not in page
    fresh = post_form(client, order_url, f"{order_url}/pay", {})
    assert fresh.headers["Location"] != first.headers["Location"]
    with shop.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.status == "pending" and order.stripe_session_id != old_id
        new_id = order.stripe_session_id
    keys = [r["idempotency_key"] for r in stripe_stub.requests
            if r["path"] == "/v1/checkout/sessions"]
    assert keys[-1].endswith(f"-after-{old_id}")
    # A late event about the old session no longer touches the order.
    deliver(client, event("checkout.session.expired", stripe_stub.sessions[old_id]))
    with shop.app_context():
        assert db.session.scalars(select(Order.status)).one() == "pending"
    stripe_stub.mark_paid(new_id)
    response = client.get(f"/checkout/success?session_id={new_id}")
    assert response.status_code == 303
    with shop.app_context():
        assert db.session.scalars(select(Order.status)).one() == "paid"
        assert count(Voucher) == 1
