"""Security settings: headers, cookies, CSRF on every form, proxies, production start-up."""
import re

import pytest
from werkzeug.routing import IntegerConverter

from config import TestConfig
from giftshop import create_app

# The API and webhook authenticate otherwise; the embedded order form runs in frames on
# other sites, which get no shop cookies (see tests/test_embed.py).
# /unsubscribe/<token>: RFC 8058's one-click POST comes from a mail client with no token
# to send; the signed token in the URL is the credential (tests/test_reminders.py).
CSRF_EXEMPT_PREFIXES = ("/api/", "/stripe/webhook", "/embed/", "/unsubscribe/")
STRONG_KEY = "Jq8v2LkX9pWz4Rt7Nb1Hc6Md3Fs5Gy0A-e"


def test_pages_send_a_strict_content_security_policy_and_friends(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_no_page_carries_inline_script(client):
    for url in ("/", "/p/gift-certificate", "/p/pain-management-4-pack"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url


def _dummy_url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        numeric = isinstance(rule._converters[arg], IntegerConverter)
        values[arg] = 1 if numeric else "WHM0000000000"
    url = rule.rule
    for arg, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(value), url)
    return url


def test_every_form_post_without_csrf_token_is_refused(app, client):
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods
             and not rule.rule.startswith(CSRF_EXEMPT_PREFIXES)]
    assert len(posts) >= 3, "the walk found too few form routes"
    for rule in posts:
        response = client.post(_dummy_url(rule), data={"anything": "1"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "form expired" in response.get_data(as_text=True), rule.rule


def test_the_webhook_and_api_are_exempt_but_authenticated_otherwise(client):
    # No CSRF token needed, but a signature is: 400 bad_signature, not csrf_failed.
    response = client.post("/stripe/webhook", data=b"{}")
    assert response.status_code == 400 and response.get_json()["error"] == "bad_signature"


def production_app(tmp_path, **overrides):
    settings = dict(GIFTSHOP_ENV="production", STRIPE_SECRET_KEY="sk_live_x",
                    STRIPE_WEBHOOK_SECRET="whsec_x", SECRET_KEY=STRONG_KEY,
                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/prod.sqlite3",
                    SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, TESTING=False)
    settings.update(overrides)
    return create_app(TestConfig(**settings))


def test_production_sends_hsts_and_secure_httponly_samesite_cookies(tmp_path):
    app = production_app(tmp_path)
    with app.app_context():
        from giftshop.catalog.service import seed_catalog
        from giftshop.extensions import db

        db.create_all()
        seed_catalog()
    client = app.test_client()
    response = client.get("/p/gift-certificate", base_url="https://gifts.example")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_config_marks_cookies_secure():
    import os

    os.environ["GIFTSHOP_ENV"] = "production"
    try:
        from config import Config

        config = Config()
        assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
        assert config.SESSION_COOKIE_HTTPONLY and config.SESSION_COOKIE_SAMESITE == "Lax"
    finally:
        del os.environ["GIFTSHOP_ENV"]


@pytest.mark.parametrize("overrides, message", [
    ({"STRIPE_SECRET_KEY": ""}, "Demo payments are refused"),
    ({"SECRET_KEY": "dev-insecure-change-me"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"SECRET_KEY": "a" * 16}, "at least 32"),
    ({"SECRET_KEY": "s" * 64}, "SECRET_KEY"),
    ({"SECRET_KEY": "0123456789ab" * 4}, "SECRET_KEY"),
    ({"SECRET_KEY": STRONG_KEY[:31]}, "SECRET_KEY"),
    ({"GIFTSHOP_ENV": "Production", "STRIPE_SECRET_KEY": ""}, "Demo payments are refused"),
    ({"GIFTSHOP_ENV": " PRODUCTION ", "SECRET_KEY": "dev-insecure-change-me"}, "SECRET_KEY"),
    ({"GIFTSHOP_ENV": "prod"}, "not one of development, test, production"),
    ({"GIFTSHOP_ENV": "produciton"}, "refusing to start"),
    ({"GIFTSHOP_ENV": ""}, "refusing to start"),
    ({"STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_WEBHOOK_SECRET"),
])
def test_production_refuses_unsafe_settings(tmp_path, overrides, message):
    with pytest.raises(RuntimeError, match=message):
        production_app(tmp_path, **overrides)


@pytest.mark.parametrize("name", ["development", "Test", "PRODUCTION"])
def test_the_three_environments_start_in_any_case(tmp_path, name):
    assert production_app(tmp_path, GIFTSHOP_ENV=name).config["GIFTSHOP_ENV"] == name.lower()


def test_a_typo_in_giftshop_env_refuses_to_start_from_the_command_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3",
           "GIFTSHOP_ENV": "prod", "STRIPE_SECRET_KEY": ""}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "giftshop", "routes"],
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "GIFTSHOP_ENV='prod' is not one of" in done.stderr


def test_proxy_fix_trusts_the_configured_number_of_proxies(tmp_path):
    from flask import request

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.sqlite3",
                                PROXY_FIX_HOPS=1))

    @app.get("/_whoami")
    def whoami():
        return {"remote": request.remote_addr, "scheme": request.scheme, "host": request.host}

    seen = app.test_client().get("/_whoami", headers={
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "gifts.example"}).get_json()
    assert seen == {"remote": "203.0.113.9", "scheme": "https", "host": "gifts.example"}


def test_nul_and_lone_surrogates_are_refused_with_422_not_stored(client):
    body = '{"purchaser": {"name": "A\\u0000", "email": "a@b.co"}, "items": [{"product": "pain-management-60"}]}'
    response = client.post("/api/v1/orders", data=body, content_type="application/json")
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_text"
    body = body.replace("\\u0000", "\\udbe3")
    response = client.post("/api/v1/orders", data=body, content_type="application/json")
    assert response.status_code == 422
    assert client.get("/balance?code=%00").status_code == 422
    from tests.support.web import post_form

    response = post_form(client, "/p/pain-management-60", "/p/pain-management-60/buy",
                         {"purchaser_name": "Ana\x00", "purchaser_email": "a@b.co"})
    assert response.status_code == 422
    assert "characters that are not allowed" in response.get_data(as_text=True)
