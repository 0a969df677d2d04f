"""Every route of the URL map, walked as anonymous, staff and owner with hostile path,
query and form values, answers without a 5xx (the API fuzz test does the same for
/api/v1 from its schema; this covers the pages too)."""
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from giftshop.extensions import db
from giftshop.models import LedgerEntry, Order, OrderItem, Product, Staff
from giftshop.vouchers.reminders import unsubscribe_token
from giftshop.promotions.codes import create_promo_code
from tests.support.auth import OWNER_EMAIL, STAFF_EMAIL, make_staff, sign_in
from tests.support.factories import demo_paid_order

SOURCE = Path(__file__).resolve().parents[1] / "giftshop"
HOSTILE = [
    "\x00", "\x01\x1b\x7f", "\t\r\n", "99999999999", "99999999999999999999", "-1", "²",
    "٣٣", "#99999999999", "9999-12-31", "2026-W49-1", "x" * 5000, "\u202e😀" * 20,
]


def _names(pattern: str) -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        found.update(re.findall(pattern, path.read_text(), re.MULTILINE))
    return found


# Read from the code, so a new parameter or form field is walked without editing this test.
QUERY_NAMES = _names(r'(?:args\.get|_date_arg)\(\s*"(\w+)"') | {"from", "to"}
FORM_NAMES = _names(r'^\s+(\w+) = \w*Field\(') | _names(r'form\.get\(\s*f?"(\w+)') \
    | {"refund_1", "email", "password"}


@pytest.fixture
def app_config():
    # Forms must reach their handlers: CSRF itself is tested in test_security.py.
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


@pytest.fixture
def walkers(app):
    """Valid path values (a real order, voucher, entry, product, staff) and three clients."""
    with app.app_context():
        public_id, (code,) = demo_paid_order()
        valid = {"public_id": public_id, "order_id": db.session.scalar(select(Order.id)),
                 "code": code, "voucher_id": 1, "entry_id": db.session.scalar(select(LedgerEntry.id)),
                 "product_id": db.session.scalar(select(Product.id)), "slug": "gift-certificate",
                 "item_id": db.session.scalar(select(OrderItem.id)),
                 "name": "sales", "filename": "css/shop.css", "direction": "up",
                 "action": "activate"}
        valid["token"] = unsubscribe_token("ben@example.com")
        db.session.remove()
    owner, staff = app.test_client(), app.test_client()
    sign_in(owner, make_staff(app, OWNER_EMAIL, "owner"))
    sign_in(staff, make_staff(app, STAFF_EMAIL, "staff"))
    with app.app_context():
        valid["staff_id"] = db.session.scalar(select(Staff.id).where(Staff.email == STAFF_EMAIL))
        valid["promo_id"] = create_promo_code(
            {"code": "WALK10", "percent_off": 10, "amount_off_cents": None,
             "starts_on": date(2026, 1, 1), "ends_on": date(2036, 1, 1), "max_uses": None},
            staff=db.session.get(Staff, valid["staff_id"]), today=date(2026, 1, 1)).id
    return valid, {"anonymous": app.test_client(), "staff": staff, "owner": owner}


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "desk.logout"]


def _url(rule, values: dict) -> str:
    url = rule.rule
    for arg in rule.arguments:
        text = str(values[arg])
        url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", quote(text, safe="") if text else "x", url)
    return url


def _path_values(rule, valid: dict):
    """Each argument in turn gets each hostile value; the others stay valid."""
    for arg in rule.arguments:
        numeric = isinstance(rule._converters[arg], IntegerConverter)
        for value in HOSTILE:
            if numeric and not value.isascii():
                continue  # would not match the route at all
            yield {**valid, arg: value}


def _check(failures, who, method, url, response):
    if response.status_code >= 500:
        failures.append(f"{who} {method} {url[:120]!r} → {response.status_code}")


def test_hostile_path_values_never_answer_5xx(app, walkers):
    valid, clients = walkers
    failures = []
    for rule in _rules(app):
        method = "GET" if "GET" in rule.methods else "POST"
        for values in _path_values(rule, valid):
            url = _url(rule, values)
            for who, client in clients.items():
                _check(failures, who, method, url, client.open(url, method=method))
    assert failures == []


def test_hostile_query_values_never_answer_5xx(app, walkers):
    valid, clients = walkers
    failures = []
    gets = [rule for rule in _rules(app) if "GET" in rule.methods]
    assert len(gets) > 20 and {"q", "page", "to", "code", "next"} <= QUERY_NAMES
    for rule in gets:
        for value in HOSTILE:
            url = _url(rule, valid) + "?" + urlencode({name: value for name in QUERY_NAMES})
            for who, client in clients.items():
                _check(failures, who, "GET", url, client.get(url))
    assert failures == []


def test_hostile_form_and_json_values_never_answer_5xx(app, walkers):
    valid, clients = walkers
    failures = []
    posts = [rule for rule in _rules(app) if "POST" in rule.methods]
    assert len(posts) > 15 and {"reason", "amount", "deliver_on", "password"} <= FORM_NAMES
    for rule in posts:
        url = _url(rule, valid)
        for value in HOSTILE:
            form = {name: value for name in FORM_NAMES}
            body = json.dumps({"amount_cents": value, "sessions": value,
                               "purchaser": {"name": value, "email": value},
                               "items": [{"product": value, "deliver_on": value}],
                               "promo_code": value})
            for who, client in clients.items():
                _check(failures, who, "POST", url, client.post(url, data=form))
                _check(failures, who, "POST json", url, client.post(
                    url, data=body, content_type="application/json",
                    headers={"Idempotency-Key": value[:200].encode("ascii", "replace")}))
    assert failures == []


def test_deeply_nested_json_is_refused_with_400_on_any_url(client):
    body = "[" * 1000 + "]" * 1000
    for url in ("/", "/api/v1/orders", "/desk/login", "/p/gift-certificate/buy"):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code in (400, 405), (url, response.status_code)
    response = client.post("/api/v1/orders", data=body, content_type="application/json")
    assert response.get_json()["error"] == "invalid_json"


@pytest.mark.parametrize("url", ["/orders/a%00b", "/api/v1/orders/a%00b", "/p/a%00b",
                                 "/checkout/cancel/a%00b", "/v/WHM%00", "/desk/v/a%00b"])
def test_a_nul_in_a_path_segment_is_404(client, url):
    assert client.get(url).status_code in (404, 302)


@pytest.mark.parametrize("url, status", [
    ("/admin/orders?q=%C2%B2", 200),            # a search for "²" finds nothing
    ("/admin/orders?q=%2399999999999", 200),    # nor does an order number past any id
    ("/admin/orders/99999999999", 404),
    ("/admin/orders?page=99999999999999999999", 400),
    ("/admin/vouchers?page=99999999999999999999", 400),
    ("/admin/audit?page=99999999999999999999", 400),
    ("/admin/orders?to=9999-12-31", 400),
    ("/admin/orders?from=0001-01-01", 400),
])
def test_the_owner_pages_found_failing_answer_clearly(app, walkers, url, status):
    _, clients = walkers
    assert clients["owner"].get(url).status_code == status


def test_a_refund_of_unicode_digit_sessions_is_a_422(app, walkers):
    valid, clients = walkers
    with app.app_context():
        public_id, (code,) = demo_paid_order(slug="pain-management-4-pack")
        order = db.session.scalar(select(Order).where(Order.public_id == public_id))
        url, field = f"/admin/orders/{order.id}/refund", f"refund_{order.vouchers[0].id}"
    response = clients["owner"].post(url, data={field: "²", "confirm": "y", "reason": "x",
                                                "request_key": "k" * 36})
    assert response.status_code == 422
