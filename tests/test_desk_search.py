"""Finding a voucher without its code: by recipient or purchaser name or email, or part
of the code, ignoring case and accents, at the desk and through the staff API."""
import secrets

import pytest

from giftshop.extensions import db
from giftshop.models import Order
from giftshop.vouchers.delivery import readdress_voucher
from giftshop.vouchers.search import MAX_RESULTS, fold, search_vouchers
from giftshop.vouchers.service import issue_voucher
from tests.support.auth import api_token, staff_client
from tests.support.openapi import OpenAPI


def _order(purchaser_name: str, purchaser_email: str) -> Order:
    order = Order(public_id=secrets.token_urlsafe(32), purchaser_name=purchaser_name,
                  purchaser_email=purchaser_email, total_cents=0, status="paid")
    db.session.add(order)
    return order


def _issue(kind="sessions", initial=4, *, recipient_name=None, recipient_email=None,
           purchaser_name="", order=None) -> str:
    voucher = issue_voucher(kind=kind, initial=initial, value_cents=40_000,
                            service="60-min Pain Management Massage", order=order,
                            purchaser_name=purchaser_name, recipient_name=recipient_name,
                            recipient_email=recipient_email)
    db.session.commit()
    return voucher.code


@pytest.fixture
def vouchers(app):
    with app.app_context():
        codes = {
            "jose": _issue(recipient_name="José Álvarez", recipient_email="Jose.A@Example.com",
                           purchaser_name="Zoë Müller",
                           order=_order("Zoë Müller", "zoe@müller.example")),
            "rosa": _issue("money", 10_000, recipient_name="Rosa Holder",
                           purchaser_name="Ana Buyer", order=_order("Ana Buyer", "ana@b.example")),
        }
        db.session.remove()
    return codes


def _found(query: str) -> set[str]:
    return {v.code for v in search_vouchers(query)}


def test_fold_drops_case_accents_and_extra_spaces():
    assert fold("  José   ÁLVAREZ ") == "jose alvarez"
    assert fold("Zoë Müller") == "zoe muller"


def test_search_finds_by_recipient_or_purchaser_name_or_email_ignoring_case_and_accents(
        app, vouchers):
    jose, rosa = vouchers["jose"], vouchers["rosa"]
    with app.app_context():
        assert _found("jose") == {jose}          # recipient name, accent typed or not
        assert _found("ÁLVA") == {jose}          # partial, any case
        assert _found("jose.a@example") == {jose}  # recipient email
        assert _found("zoe muller") == {jose}    # purchaser name without its accents
        assert _found("zoe@muller") == {jose}    # purchaser email (on the order)
        assert _found("ana buyer") == {rosa}
        assert _found("example") == {jose, rosa}
        assert _found("holder") == {rosa}
        assert _found(rosa[3:9].lower()) == {rosa}  # part of the code
        assert _found(f"whm-{rosa[:4]}") == {rosa}  # the printed prefix and a group
        assert _found("nobody") == set()
        assert _found("   ") == set()
        assert _found("100%") == set() and _found("_") == set()  # LIKE wildcards are literal


def test_search_follows_a_changed_recipient_email(app, vouchers):
    with app.app_context():
        from giftshop.vouchers.lookup import find_by_code
        voucher = find_by_code(vouchers["rosa"])
        readdress_voucher(voucher.id, "rosa.new@ejemplo.example", actor="test",
                          action="voucher.email_changed", after_delivery=True)
        assert _found("ejemplo") == {vouchers["rosa"]}


def test_search_lists_at_most_fifty_newest_first(app):
    with app.app_context():
        codes = [_issue(recipient_name=f"Client Smith {n}") for n in range(MAX_RESULTS + 5)]
        found = [v.code for v in search_vouchers("smith")]
        assert len(found) == MAX_RESULTS
        assert found[0] == codes[-1]


def test_the_desk_search_lists_matches_with_what_remains(app, vouchers):
    desk = staff_client(app)
    page = desk.get("/desk/lookup", query_string={"code": "alvarez"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "José Álvarez" in html and "4 of 4 sessions left" in html
    assert f'href="/desk/v/{vouchers["jose"]}"' in html
    assert "Rosa Holder" not in html
    both = desk.get("/desk/lookup", query_string={"code": "EXAMPLE"}).get_data(as_text=True)
    assert "2 vouchers found" in both and "$100.00 of $100.00" in both
    exact = desk.get("/desk/lookup", query_string={"code": vouchers["rosa"]})
    assert exact.headers["Location"] == f"/desk/v/{vouchers['rosa']}"


@pytest.fixture
def token(app):
    return api_token(app, "desk@example.com")


def test_the_staff_api_searches_vouchers_as_documented(app, client, vouchers, token):
    spec = OpenAPI(client.get("/api/v1/openapi.json").get_json())
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/vouchers", query_string={"q": "MÜLLER"}, headers=headers)
    assert response.status_code == 200
    spec.validate("/vouchers", "get", response)
    assert response.get_json() == {"vouchers": [{
        "code": vouchers["jose"], "kind": "sessions", "remaining": 4, "status": "active",
        "recipient_name": "José Álvarez", "purchaser_name": "Zoë Müller"}]}
    empty = client.get("/api/v1/vouchers", query_string={"q": " "}, headers=headers)
    assert empty.status_code == 422 and empty.get_json()["error"] == "invalid"
    spec.validate("/vouchers", "get", empty)
    assert client.get("/api/v1/vouchers", query_string={"q": "jose"}).status_code == 401
