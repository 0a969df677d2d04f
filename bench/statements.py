"""Why a target costs what it does: SQL statements per request, counted in-process.

The shop and the baseline app are called through Flask's test client on the bench
database (after one warm-up call each), and every statement SQLAlchemy sends is
counted with a `before_cursor_execute` listener. The BEGIN/COMMIT of each transaction
(and a pool pre-ping, when the engine options ask for one) come on top.
"""
import json
import secrets
import time

import stripe
from sqlalchemy import event

from bench import dataset
from bench.webhook_load import paid_session


class _Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.n += 1


def _measure(client, counter, call) -> int:
    call(client)  # warm-up: first-use queries (e.g. the token's last_used_at) not counted
    counter.n = 0
    call(client)
    return counter.n


def _shop_app(db_url: str, stub_url: str, secret: str):
    from config import Config
    from giftshop import create_app

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = db_url
    config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE = "sk_test_x", stub_url
    config.STRIPE_WEBHOOK_SECRET, config.MAIL_SERVER = secret, ""
    return create_app(config)


def _baseline_counts(db_url: str, template: str) -> dict:
    from bench import baseline_app

    app = baseline_app.create_app(database_url=db_url, page_template=template)
    with app.app_context():
        counter = _Counter(baseline_app.db.engine)
    client = app.test_client()
    return {
        "bare `GET /select`": _measure(client, counter, lambda c: c.get("/select")),
        "bare `POST /update`": _measure(client, counter, lambda c: c.post("/update")),
        "bare `GET /page`": _measure(client, counter, lambda c: c.get("/page")),
    }


def _webhook_delivery(db_url, stub, secret):
    """A call that delivers a fresh order's first `checkout.session.completed`."""
    def deliver(c):
        order = dataset.load_pending_orders(db_url, 1, "stmt" + secrets.token_hex(3))[0]
        stub.add_session(paid_session(order))
        body = json.dumps({"id": "evt_stmt_" + secrets.token_hex(8), "object": "event",
                           "type": "checkout.session.completed",
                           "data": {"object": paid_session(order)}})
        header = stripe.WebhookSignature.generate_signature_header(body, secret, int(time.time()))
        c.post("/stripe/webhook", data=body, headers={"Stripe-Signature": header,
                                                      "Content-Type": "application/json"})
    return deliver


def _cache_listening(app, client, timeout: float = 10) -> None:
    """The catalog page cache serves from memory once its LISTEN connection is up."""
    client.get("/")
    cache = app.extensions.get("catalog_page")
    deadline = time.monotonic() + timeout
    while cache is not None and not cache.listening and time.monotonic() < deadline:
        time.sleep(0.05)


def count_statements(*, db_url, stub, token, lookup_code, redeem_code, template) -> str:
    """A Markdown table of statements per request, or a line saying why there is none."""
    secret = "whsec_stmt_" + secrets.token_hex(8)
    app = _shop_app(db_url, stub.url, secret)
    from giftshop.extensions import db

    with app.app_context():
        counter = _Counter(db.engine)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    _cache_listening(app, client)
    rows = {"catalog `GET /` (from memory)": _measure(client, counter, lambda c: c.get("/")),
            "webhook, first delivery": _measure(
                client, counter, _webhook_delivery(db_url, stub, secret))}
    if token:
        rows["lookup `GET /api/v1/vouchers/<code>`"] = _measure(
            client, counter, lambda c: c.get(f"/api/v1/vouchers/{lookup_code}", headers=auth))
        rows["redemption `POST …/redemptions`"] = _measure(client, counter, lambda c: c.post(
            f"/api/v1/vouchers/{redeem_code}/redemptions", json={"amount_cents": 1},
            headers={**auth, "Idempotency-Key": secrets.token_hex(8)}))
    app.extensions["catalog_page"].stop()
    with app.app_context():
        db.engine.dispose()
    rows.update(_baseline_counts(db_url, template))
    lines = ["| Request | SQL statements |", "|---|---:|"]
    lines += [f"| {name} | {n} |" for name, n in rows.items()]
    return "\n".join(lines)
