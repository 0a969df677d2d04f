"""The owner's daily back office: order search by recipient and product, product addresses
that survive a rename, the new-product form by kind, the audit log in words, and the way
between the desk and the back office."""
import re

from sqlalchemy import select

from giftshop.admin.audit_text import Change, changes
from giftshop.extensions import db
from giftshop.models import Product
from tests.support.auth import owner_client, staff_client
from tests.support.factories import placed_order
from tests.support.web import csrf_token, post_form


def order_for(buyer: str, item: dict, *, pay: bool) -> int:
    return placed_order([item], purchaser={"name": buyer, "email": f"{buyer.lower()}@example.com"},
                        paid=pay).id


def test_orders_are_found_by_recipient_name_or_email_and_by_product(app):
    with app.app_context():
        jose = order_for("Ann", {"product": "gift-certificate", "amount_cents": 5_000,
                                 "recipient": {"name": "José Álvarez",
                                               "email": "jose@example.org"}}, pay=True)
        pack = order_for("Bob", {"product": "pain-management-4-pack"}, pay=False)
        mia = order_for("Cy", {"product": "pain-management-60",
                               "recipient": {"name": "Mia Chen", "email": "mia@example.net"}},
                        pay=False)
    client = owner_client(app)

    def found(text: str) -> set[int]:
        page = client.get("/admin/orders", query_string={"q": text})
        assert page.status_code == 200
        return {int(n) for n in re.findall(r'href="/admin/orders/(\d+)"', page.text)}

    assert found("alvarez") == found("ÁLVAREZ") == found("josé") == {jose}  # accents folded
    assert found("jose@example") == {jose}
    assert found("mia@EXAMPLE.net") == found("chen") == {mia}
    assert found("4-pack") == {pack}                        # product name
    assert found("pain-management-60") == {mia}              # product slug
    assert found("Pain Management") == {pack, mia}
    assert found("ann@example.com") == {jose}                # the buyer, as before
    assert found("100%") == set()                             # LIKE wildcards are literal
    page = client.get("/admin/orders", query_string={"q": "chen"}).text
    assert "60-min Pain Management Massage" in page and "for Mia Chen · mia@example.net" in page


def edit(client, product_id: int, **changes):
    with client.application.app_context():
        product = db.session.get(Product, product_id)
        data = {"name": product.name, "slug": product.slug, "kind": product.kind,
                "description": product.description, "price": f"{product.price_cents / 100:.2f}",
                "sessions": str(product.sessions), "service": product.service, "active": "y"}
    data.update(changes)
    return post_form(client, f"/admin/catalog/{product_id}", data=data)


def product_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.slug == slug))


def test_every_earlier_slug_redirects_permanently_to_the_current_page(app):
    client = owner_client(app)
    sixty = product_id(app, "pain-management-60")
    assert edit(client, sixty, slug="pm-60").status_code == 303
    assert edit(client, sixty, slug="massage-60").status_code == 303
    for old in ("pain-management-60", "pm-60"):
        moved = client.get(f"/p/{old}")
        assert moved.status_code == 301 and moved.headers["Location"] == "/p/massage-60"
    assert client.get("/p/massage-60").status_code == 200
    preview = client.get("/p/pm-60/preview.png?design=birthday")
    assert preview.status_code == 301
    assert preview.headers["Location"] == "/p/massage-60/preview.png?design=birthday"
    embedded = client.get("/embed/p/pain-management-60")
    assert embedded.status_code == 301 and embedded.headers["Location"] == "/embed/p/massage-60"
    assert client.get("/p/never-was").status_code == 404
    form = client.get(f"/admin/catalog/{sixty}").text
    assert re.search(r'id="earlier-slugs">.*/p/pain-management-60.*/p/pm-60', form, re.S)
    audit = client.get("/admin/audit?action=product.update").text
    assert "<li>slug: pm-60 → massage-60</li>" in audit
    assert "<li>slug: pain-management-60 → pm-60</li>" in audit


def test_a_redirecting_slug_stays_with_its_product(app):
    client = owner_client(app)
    sixty, ninety = product_id(app, "pain-management-60"), product_id(app, "pain-management-90")
    assert edit(client, sixty, slug="massage-60").status_code == 303
    taken = edit(client, ninety, slug="pain-management-60")
    assert taken.status_code == 422 and "still leads to another product" in taken.text
    created = post_form(client, "/admin/catalog/new", data={
        "name": "Impostor", "slug": "pain-management-60", "kind": "sessions", "price": "10",
        "sessions": "1", "service": "x"})
    assert created.status_code == 422 and "still leads to another product" in created.text
    with app.app_context():
        assert db.session.get(Product, ninety).slug == "pain-management-90"
        assert db.session.scalar(select(Product).where(Product.name == "Impostor")) is None
    # The product itself may take its old address back; the newer one then redirects.
    assert edit(client, sixty, slug="pain-management-60").status_code == 303
    assert client.get("/p/pain-management-60").status_code == 200
    assert client.get("/p/massage-60").headers["Location"] == "/p/pain-management-60"


def test_seeding_again_does_not_bring_back_a_renamed_product(app, runner):
    client = owner_client(app)
    assert edit(client, product_id(app, "pain-management-60"), slug="massage-60").status_code \
        == 303
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and "0 product(s) created" in result.output
    assert client.get("/p/pain-management-60").headers["Location"] == "/p/massage-60"


def test_new_product_form_marks_each_kinds_fields_and_shows_all_without_javascript(app):
    client = owner_client(app)
    page = client.get("/admin/catalog/new").text
    sessions = re.search(r'<fieldset data-kind="sessions"[^>]*>(.*?)</fieldset>', page, re.S)
    money = re.search(r'<fieldset data-kind="money"[^>]*>(.*?)</fieldset>', page, re.S)
    assert sessions and 'name="price"' in sessions.group(1) and 'name="sessions"' in \
        sessions.group(1) and 'name="min_amount"' not in sessions.group(1)
    assert money and 'name="min_amount"' in money.group(1) and 'name="max_amount"' in \
        money.group(1)
    assert "hidden" not in sessions.group(0) + money.group(0)  # the script hides, not the HTML
    assert '<script src="/static/js/admin.js">' in page
    # A certificate posted with stray package fields keeps only its own.
    made = post_form(client, "/admin/catalog/new", data={
        "name": "Spa day", "slug": "spa-day", "kind": "money", "min_amount": "50",
        "max_amount": "500", "price": "99", "sessions": "3", "service": "stray"})
    assert made.status_code == 303
    with app.app_context():
        spa = db.session.scalar(select(Product).where(Product.slug == "spa-day"))
        assert (spa.min_cents, spa.price_cents, spa.sessions, spa.service) == (5_000, None,
                                                                              None, None)
    edit_page = client.get(f"/admin/catalog/{spa.id}").text
    assert 'data-kind="money"' in edit_page and 'data-kind="sessions"' not in edit_page


def test_audit_changes_read_as_field_before_after():
    assert [str(c) for c in changes(
        {"price_cents": 11_000, "name": "A", "active": True, "sessions": 1},
        {"price_cents": 12_500, "name": "A", "active": False, "sessions": 1})] == [
        "price: $110.00 → $125.00", "active: yes → no"]
    assert [str(c) for c in changes(None, {"email": "a@b.c", "role": "owner"})] == [
        "email: a@b.c", "role: owner"]
    assert [str(c) for c in changes({"order": ["a", "b"]}, {"order": ["b", "a"]})] == [
        "order: a, b → b, a"]
    assert [str(c) for c in changes({"status": "active", "gone": 1}, {"status": "voided",
                                                                       "reason": ""})] == [
        "status: active → voided", "reason: (empty)", "gone: 1 → —"]
    assert changes({"x": 1}, {"x": 1}) == [] and changes(None, None) == []
    assert changes(None, {"refunded_cents": None}) == [Change("refunded", None, "—")]


def test_audit_page_shows_who_when_and_the_change_with_the_raw_data_kept(app):
    client = owner_client(app)
    sixty = product_id(app, "pain-management-60")
    assert edit(client, sixty, price="125").status_code == 303
    page = client.get("/admin/audit").text
    row = re.search(r'<tr class="audit-row">(.*?)</tr>', page, re.S).group(1)  # newest
    assert re.search(r'class="audit-when"[^>]*>\w{3} \d{1,2}, \d{4} \d{1,2}:\d\d [AP]M<', row)
    assert re.search(r'class="audit-who"[^>]*>owner@westhillsmassage.test<', row)
    assert "product.update" in row and "<li>price: $110.00 → $125.00</li>" in row
    assert row.count("<li>") == 1  # only what changed
    raw = re.search(r"<details class=\"raw\">(.*?)</details>", row, re.S).group(1)
    assert "&#34;price_cents&#34;: 11000" in raw or '"price_cents": 11000' in raw
    assert "12500" in raw


def test_owner_goes_between_desk_and_back_office_and_signs_out_from_either(app):
    owner = owner_client(app)
    assert 'href="/admin">Back office</a>' in owner.get("/desk").text
    admin = owner.get("/admin").text
    assert 'href="/desk">Front desk</a>' in admin
    assert re.search(r'<form class="nav-signout" method="post" action="/desk/logout">', admin)
    signed_out = owner.post("/desk/logout", data={"csrf_token": csrf_token(owner, "/admin")})
    assert signed_out.status_code == 302 and "/desk/login" in signed_out.headers["Location"]
    assert "/desk/login" in owner.get("/admin").headers["Location"]
    desk = staff_client(app).get("/desk").text
    assert "Back office" not in desk
