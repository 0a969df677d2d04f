"""Promo codes in demo-payments mode: the owner sets them up (audited), the buyer applies
one on the review page (any case, clear refusals), the discount is allocated to the cent,
vouchers and the liability report carry the price paid, and bonus campaigns compare
their minimum with what was paid."""
import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from giftshop import reports
from giftshop.extensions import db
from giftshop.models import AuditLog, Order, OrderItem, OutboxMessage, PromoCode, Voucher
from giftshop.promotions.codes import allocate
from giftshop.localtime import today_local
from tests.support.auth import owner_client, staff_client
from tests.support.openapi import OpenAPI
from tests.support.factories import make_promo_code
from tests.support.web import GIFT, pay_from_review, post_form, review


@pytest.fixture
def owner(app):
    return owner_client(app)


def code_form(**changes) -> dict:
    today = today_local()
    data = {"code": "spring20", "percent_off": "20", "amount_off": "",
            "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(), "max_uses": "100"}
    data.update(changes)
    return data


def apply(client, order_path: str, code: str):
    return post_form(client, order_path, order_path + "/promo", data={"promo_code": code})


# -- back office -----------------------------------------------------------------------
def test_owner_creates_lists_and_deactivates_codes_and_it_is_audited(app, owner):
    response = post_form(owner, "/admin/promo-codes", data=code_form())
    assert response.status_code == 303, response.get_data(as_text=True)
    page = owner.get("/admin/promo-codes").get_data(as_text=True)
    assert "SPRING20" in page and "20% off" in page and "0 of 100" in page and "Accepted" in page
    with app.app_context():
        promo = db.session.scalars(select(PromoCode)).one()
        assert (promo.code, promo.percent_off, promo.max_uses, promo.active) == \
            ("SPRING20", 20, 100, True)
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "promo_code.create")).one()
        assert audit.actor == "owner@westhillsmassage.test" and audit.after["percent_off"] == 20
        promo_id = promo.id
    response = post_form(owner, "/admin/promo-codes", f"/admin/promo-codes/{promo_id}/deactivate")
    assert response.status_code == 303
    assert "Deactivated" in owner.get("/admin/promo-codes").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PromoCode, promo_id).active is False
        audit = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "promo_code.deactivate")).one()
        assert audit.before == {"active": True} and audit.after == {"active": False}


def test_bad_code_input_is_shown_and_nothing_is_written(app, owner):
    today = today_local()
    response = post_form(owner, "/admin/promo-codes", data=code_form(
        code="a b!", percent_off="20", amount_off="5", max_uses="0",
        ends_on=(today - timedelta(days=5)).isoformat()))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Use 3 to 32 letters, digits or dashes",
                    "Give either a percentage or an amount off (not both)",
                    "The last day must be on or after the first",
                    "Give a number of uses from 1 to 100,000"):
        assert message in page, message
    for changes, message in (({"percent_off": "150"}, "Give a whole percentage from 1 to 100"),
                             ({"percent_off": "lots"}, "Give a whole percentage, like 15."),
                             ({"percent_off": "", "amount_off": "x"}, "Enter dollars and cents"),
                             ({"starts_on": (today - timedelta(days=9)).isoformat(),
                               "ends_on": (today - timedelta(days=1)).isoformat()},
                              "That code would already be over")):
        response = post_form(owner, "/admin/promo-codes", data=code_form(**changes))
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert post_form(owner, "/admin/promo-codes", data=code_form()).status_code == 303
    again = post_form(owner, "/admin/promo-codes", data=code_form(code=" Spring20 "))
    assert "The code SPRING20 already exists" in again.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(PromoCode)).all()) == 1
        assert len(db.session.scalars(select(AuditLog).where(
            AuditLog.target_type == "promo_code")).all()) == 1


def test_promo_codes_are_the_owners_alone(app):
    desk = staff_client(app)
    assert desk.get("/admin/promo-codes").status_code == 403
    assert app.test_client().get("/admin/promo-codes").status_code in (302, 303)


# -- the buyer's review page -----------------------------------------------------------
def test_buyer_applies_a_code_in_any_case_and_pays_the_discounted_total(app, client):
    make_promo_code(app, percent=15)
    order_path = review(client)
    response = apply(client, order_path, "  spring20 ")
    assert response.status_code == 303
    page = client.get(order_path).get_data(as_text=True)
    assert 'id="order-subtotal">$400.00' in page and 'id="order-discount">−$60.00' in page
    assert 'id="order-total">$340.00' in page and "Pay $340.00" in page
    assert "SPRING20" in page and "15% off" in page
    demo = pay_from_review(client, order_path)
    demo_page = client.get(demo.headers["Location"]).get_data(as_text=True)
    assert "Pay $340.00 (demo)" in demo_page and "Promo code SPRING20 — −$60.00" in demo_page
    post_form(client, demo.headers["Location"], data={})
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        [voucher] = order.vouchers
        assert (order.status, order.total_cents, order.discount_cents) == ("paid", 34_000, 6_000)
        assert (voucher.initial, voucher.value_cents) == (4, 34_000)
        receipt = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "receipt")).one()
        assert "Thank you for your order of $340.00" in receipt.body_text
        assert "Gifts $400.00, promo code SPRING20 −$60.00." in receipt.body_text
        assert "promo code <strong>SPRING20</strong> −$60.00</span></p>" in receipt.body_html


@pytest.mark.parametrize("setup, typed, message", [
    ({}, "NOPE", "We don't know the code “NOPE”. Check the spelling."),
    ({"starts": -30, "ends": -1}, "spring20", "The code SPRING20 expired on"),
    ({"starts": 2, "ends": 9}, "spring20", "The code SPRING20 can be used from"),
    ({"max_uses": 1, "used": True}, "spring20", "The code SPRING20 has been used up."),
    ({"inactive": True}, "Spring20", "The code SPRING20 is no longer offered."),
    ({}, "", "Type the promo code"),
], ids=["unknown", "expired", "not-yet", "used-up", "inactive", "empty"])
def test_a_code_that_cannot_be_used_gets_a_clear_message_and_changes_nothing(
        app, client, setup, typed, message):
    promo_id = make_promo_code(app, percent=20, max_uses=setup.get("max_uses"),
                               starts=setup.get("starts", -1), ends=setup.get("ends", 30))
    with app.app_context():
        if setup.get("inactive"):
            db.session.get(PromoCode, promo_id).active = False
            db.session.commit()
    if setup.get("used"):
        other = app.test_client()
        first = review(other)
        assert apply(other, first, "SPRING20").status_code == 303
        pay_from_review(other, first)  # holds the only use
    order_path = review(client, "pain-management-60")
    response = apply(client, order_path, typed)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert message in page and 'id="promo-error"' in page
    assert 'id="order-total">$110.00' in page
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == order_path.split("/")[-1]))
        assert (order.promo_code_id, order.discount_cents, order.total_cents) == (None, 0, 11_000)


def test_removing_the_code_and_editing_gifts_reprice_the_order(app, client):
    make_promo_code(app, amount=2_500)
    order_path = review(client, "pain-management-60")
    apply(client, order_path, "spring20")
    assert 'id="order-total">$85.00' in client.get(order_path).get_data(as_text=True)
    public_id = order_path.split("/")[-1]
    add = post_form(client, f"/orders/{public_id}/add/pain-management-90",
                    "/p/pain-management-90/buy", {**GIFT, "order_ref": public_id})
    assert add.status_code == 303
    page = client.get(order_path).get_data(as_text=True)
    assert 'id="order-subtotal">$260.00' in page and 'id="order-total">$235.00' in page
    post_form(client, order_path, order_path + "/promo/remove", data={})
    page = client.get(order_path).get_data(as_text=True)
    assert 'id="order-total">$260.00' in page and "order-discount" not in page
    with app.app_context():
        assert [i.paid_cents for i in db.session.scalars(select(OrderItem).order_by(OrderItem.id))] \
            == [11_000, 15_000]


def test_a_code_used_up_after_it_was_applied_is_refused_at_payment(app, client):
    make_promo_code(app, percent=10, max_uses=1)
    mine = review(client)
    assert apply(client, mine, "SPRING20").status_code == 303
    other = app.test_client()
    theirs = review(other, "pain-management-60")
    assert apply(other, theirs, "spring20").status_code == 303
    assert pay_from_review(other, theirs).status_code == 303  # holds the only use
    response = pay_from_review(client, mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The code SPRING20 has been used up. Remove it to pay the full price" in page
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.public_id == mine.split("/")[-1]))
        assert order.promo_held_until is None and order.stripe_session_id is None


# -- money -----------------------------------------------------------------------------
def test_discount_is_allocated_across_lines_exactly_to_the_cent():
    assert allocate([40_000, 5_000, 5_000], 1_001) == [801, 100, 100]
    assert allocate([3_333, 3_333, 3_334], 100) == [33, 33, 34]
    assert allocate([100, 100, 100], 2) == [1, 1, 0]  # ties: the earlier line
    assert allocate([11_000], 0) == [0]
    for totals, discount in (([2_500, 99_900, 11_000, 7], 12_345), ([1] * 7, 3)):
        shares = allocate(totals, discount)
        assert sum(shares) == discount and all(0 <= s <= t for s, t in zip(shares, totals))


def test_each_voucher_is_worth_what_was_paid_for_it(app, client):
    make_promo_code(app, percent=15)
    response = client.post("/api/v1/orders", json={
        "purchaser": {"name": "Ana", "email": "ana@example.com"}, "promo_code": "spring20",
        "items": [{"product": "gift-certificate", "amount_cents": 3_300, "quantity": 3},
                  {"product": "pain-management-6-pack"}]})
    assert response.status_code == 201, response.get_json()
    post_form(client, response.get_json()["checkout_url"].split("shop.test")[-1], data={})
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        # 66,900 at 15% = 10,035 off: 1,485 on the certificates, 8,550 on the package.
        assert (order.total_cents, order.discount_cents) == (56_865, 10_035)
        assert [i.paid_cents for i in order.items] == [8_415, 48_450]
        values = [(v.kind, v.initial, v.value_cents) for v in order.vouchers]
        assert values == [("money", 3_300, 2_805)] * 3 + [("sessions", 6, 48_450)]
        assert sum(v for _, _, v in values) == order.total_cents
        # Liability: money at its face (what the holder can spend), sessions at the paid price.
        owed = reports.liability()
        assert (owed.money_cents, owed.sessions_cents) == (9_900, 48_450)


def test_discount_leaves_at_least_stripes_smallest_charge(app, client):
    make_promo_code(app, amount=50_000)
    order_path = review(client, "pain-management-60")
    apply(client, order_path, "SPRING20")
    assert 'id="order-total">$0.50' in client.get(order_path).get_data(as_text=True)


def test_bonus_campaign_minimum_is_compared_with_the_discounted_price(app, client, owner):
    today = today_local()
    post_form(owner, "/admin/campaigns", data={
        "name": "Bonus", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=5)).isoformat(), "min_purchase": "400",
        "bonus": "20", "bonus_expires_on": (today + timedelta(days=90)).isoformat()})
    make_promo_code(app, percent=10)
    order_path = review(client)  # $400 at catalog price, $360 paid
    apply(client, order_path, "spring20")
    post_form(client, pay_from_review(client, order_path).headers["Location"], data={})
    with app.app_context():
        assert db.session.scalars(select(Voucher)).all()[0].value_cents == 36_000
        assert db.session.scalars(select(Voucher).where(Voucher.promotional)).all() == []


def test_shop_api_refuses_an_unusable_code_and_writes_nothing(app, client, spec):
    make_promo_code(app, percent=10, starts=-20, ends=-2)
    body = {"purchaser": {"name": "Ana", "email": "ana@example.com"},
            "items": [{"product": "pain-management-60"}]}
    for code, message in (("SPRING20", "expired"), ("X" * 40, "up to 32"), (5, "as text")):
        response = client.post("/api/v1/orders", json={**body, "promo_code": code})
        assert response.status_code == 422
        spec.validate("/orders", "post", response)
        assert message in response.get_json()["errors"]["promo_code"]
    with app.app_context():
        assert db.session.scalars(select(Order)).all() == []
    document = client.get("/api/v1/openapi.json").get_json()
    assert "promo_code" in document["components"]["schemas"]["OrderRequest"]["properties"]


@pytest.fixture
def spec(client):
    return OpenAPI(client.get("/api/v1/openapi.json").get_json())


def test_report_counts_uses_and_discount_given(app, client, owner):
    make_promo_code(app, percent=10)
    for slug in ("pain-management-60", "pain-management-90"):
        buyer = app.test_client()
        path = review(buyer, slug)
        apply(buyer, path, "spring20")
        post_form(buyer, pay_from_review(buyer, path).headers["Location"], data={})
    unpaid = review(app.test_client(), "pain-management-60")
    assert unpaid
    page = owner.get("/admin/promo-codes").get_data(as_text=True)
    row = page.split('data-code="SPRING20"')[1].split("</tr>")[0]
    assert '<td data-label="Used">2</td>' in row and "$26.00" in row and "$234.00" in row
