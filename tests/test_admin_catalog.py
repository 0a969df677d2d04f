"""The owner edits the catalog; prices already on orders never change."""
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import AuditLog, OrderItem, Product
from giftshop.checkout.service import place_order
from giftshop.localtime import today_local
from tests.support.auth import owner_client
from tests.support.web import csrf_token, post_form


def product(slug):
    return db.session.scalar(select(Product).where(Product.slug == slug))


def edit_form(client, product_id, **changes):
    page = f"/admin/catalog/{product_id}"
    data = {"name": "60-min Pain Management Massage", "slug": "pain-management-60",
            "kind": "sessions", "description": "d", "price": "110.00", "sessions": "1",
            "service": "60-min Pain Management Massage", "active": "y"}
    data.update(changes)
    return post_form(client, page, data=data)


def test_owner_creates_a_sessions_package_that_goes_on_sale(app):
    client = owner_client(app)
    response = post_form(client, "/admin/catalog/new", data={
        "name": "Pain Management 3-pack", "slug": "pain-management-3-pack", "kind": "sessions",
        "description": "Three treatments.", "price": "300", "sessions": "3",
        "service": "60-min Pain Management Massage", "active": "y"})
    assert response.status_code == 303
    assert "Pain Management 3-pack" in client.get("/").get_data(as_text=True)
    with app.app_context():
        created = product("pain-management-3-pack")
        assert (created.price_cents, created.sessions, created.active) == (30_000, 3, True)
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "product.create")).one()
        assert audit.after["price_cents"] == 30_000 and audit.actor.startswith("owner@")


def test_bad_product_input_is_shown_inline_and_nothing_is_written(app):
    client = owner_client(app)
    response = post_form(client, "/admin/catalog/new", data={
        "name": "", "slug": "Bad Slug!", "kind": "money", "min_amount": "50",
        "max_amount": "20.50"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give a name" in page
    assert "used in the page address" in page
    assert "whole-dollar amount" in page or "at least the minimum" in page
    with app.app_context():
        assert db.session.scalar(select(Product).where(Product.name == "")) is None
        assert len(db.session.scalars(select(Product)).all()) == 5


def test_price_change_affects_only_new_orders(app):
    with app.app_context():
        before = place_order({"purchaser": {"name": "A", "email": "a@example.com"},
                              "items": [{"product": "pain-management-60"}]}, today=today_local())
        old_order_id, product_id = before.id, product("pain-management-60").id
    client = owner_client(app)
    assert edit_form(client, product_id, price="125.00").status_code == 303
    with app.app_context():
        assert product("pain-management-60").price_cents == 12_500
        old_item = db.session.scalars(select(OrderItem).where(
            OrderItem.order_id == old_order_id)).one()
        assert old_item.unit_price_cents == 11_000
        after = place_order({"purchaser": {"name": "B", "email": "b@example.com"},
                             "items": [{"product": "pain-management-60"}]}, today=today_local())
        assert after.total_cents == 12_500
        audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "product.update")).one()
        assert (audit.before["price_cents"], audit.after["price_cents"]) == (11_000, 12_500)


def test_deactivated_product_leaves_the_shop_and_can_come_back(app):
    client = owner_client(app)
    with app.app_context():
        product_id = product("pain-management-90").id
    token = csrf_token(client, "/admin/catalog")
    page = client.post(f"/admin/catalog/{product_id}/deactivate", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "is off sale" in page
    assert "90-min Pain Management Massage" not in client.get("/").get_data(as_text=True)
    assert client.get("/p/pain-management-90").status_code == 404
    client.post(f"/admin/catalog/{product_id}/activate", data={"csrf_token": token})
    assert client.get("/p/pain-management-90").status_code == 200
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action).where(
            AuditLog.target_type == "product").order_by(AuditLog.id)).all()
        assert actions == ["product.deactivate", "product.activate"]


def test_reordering_moves_a_product_up_on_the_home_page(app):
    client = owner_client(app)
    with app.app_context():
        six_pack = product("pain-management-6-pack").id
    token = csrf_token(client, "/admin/catalog")
    assert client.post(f"/admin/catalog/{six_pack}/move/up",
                       data={"csrf_token": token}).status_code == 303
    home = client.get("/").get_data(as_text=True)
    assert home.index("Pain Management 6-pack") < home.index("Pain Management 4-pack")
    assert client.post(f"/admin/catalog/{six_pack}/move/sideways",
                       data={"csrf_token": token}).status_code == 422
