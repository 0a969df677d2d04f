"""Every owner page and action refuses front-desk staff (403) and anonymous visitors."""
import re

import pytest

from tests.support.auth import owner_client, staff_client
from tests.support.web import csrf_token

SAMPLE_ARGS = {"product_id": 1, "order_id": 1, "voucher_id": 1, "staff_id": 1, "direction": "up",
               "action": "deactivate", "name": "liability", "slug": "birthday", "promo_id": 1}


def admin_requests(app):
    """(method, url) for every /admin rule and method, from the app's url_map."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        url = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(SAMPLE_ARGS[m.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_the_walk_covers_every_section(app):
    urls = {url for _, url in admin_requests(app)}
    for expected in ("/admin", "/admin/catalog", "/admin/orders", "/admin/vouchers",
                     "/admin/reports", "/admin/audit", "/admin/orders/1/refund",
                     "/admin/vouchers/issue", "/admin/reports/liability.csv", "/admin/staff",
                     "/admin/promo-codes", "/admin/promo-codes/1/deactivate"):
        assert expected in urls
    assert ("POST", "/admin/orders/1/refund") in admin_requests(app)


def test_staff_get_403_on_every_owner_page_and_action(app):
    client = staff_client(app)
    token = csrf_token(client, "/desk")
    for method, url in admin_requests(app):
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for method, url in admin_requests(app):
        if method != "GET":
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/desk/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/admin", "/admin/catalog", "/admin/orders", "/admin/vouchers",
                                 "/admin/vouchers/issue", "/admin/reports", "/admin/audit",
                                 "/admin/promo-codes"])
def test_the_owner_sees_every_page(app, url):
    client = owner_client(app)
    response = client.get(url)
    assert response.status_code == 200, url
    assert "Back office" in response.get_data(as_text=True)


def test_nul_characters_in_owner_input_are_refused_not_a_500(app):
    client = owner_client(app)
    for url in ("/admin/orders?q=a%00b", "/admin/audit?target=voucher%00",
                "/admin/vouchers?q=%00"):
        assert 400 <= client.get(url).status_code < 500, url
