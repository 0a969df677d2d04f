"""Helpers for driving the pages like a browser would (CSRF tokens, form posts)."""
import re

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, url: str) -> str:
    """GET `url` and return the CSRF token in its form (fails if there is none)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on {url}"
    return match.group(1) or match.group(2)


def post_form(client, page_url: str, action_url: str | None = None, data=None, **kwargs):
    """Post a form the way the page would: with the token from `page_url`."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, page_url)
    return client.post(action_url or page_url, data=data, **kwargs)


def pay_from_review(client, order_url: str):
    """Press "Pay" on the order's review page; returns the response (a 303 to checkout)."""
    path = order_url.split("://", 1)[-1].split("/", 1)[-1]
    path = "/" + path.split("?", 1)[0]
    return post_form(client, path, path + "/pay", data={})


def buy(client, slug, **fields):
    """Fill the product form (a gift from Ana Buyer to Ben Holder, by email), then press
    Pay on the review page (unless the form failed); returns that last response."""
    data = {"quantity": "1", "purchaser_name": "Ana Buyer", "purchaser_email": "ana@example.com",
            "recipient_name": "Ben Holder", "recipient_email": "ben@example.com",
            "message": "Feel better!"}
    data.update(fields)
    response = post_form(client, f"/p/{slug}", f"/p/{slug}/buy", data)
    if response.status_code != 303:
        return response
    assert "/orders/" in response.headers["Location"]  # the review page first
    return pay_from_review(client, response.headers["Location"])


#: The product form for a gift Ana Buyer keeps for herself.
GIFT = {"quantity": "1", "purchaser_name": "Ana Buyer", "purchaser_email": "ana@example.com",
        "delivery": "me"}


def review(client, slug="pain-management-4-pack", **fields) -> str:
    """A gift (GIFT, plus `fields`) put in a new order; returns the review page's path."""
    response = post_form(client, f"/p/{slug}", f"/p/{slug}/buy", {**GIFT, **fields})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].split("?")[0]
