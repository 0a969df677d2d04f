"""Fault injection: the database connection dropping mid-request, the app killed
between payment and fulfilment. (SMTP refusals are in test_outbox.py; a Stripe error
while re-reading a session is in test_stripe_checkout.py.)"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import create_engine, event, func, select, text

from giftshop.extensions import db
from giftshop.models import Order, OrderItem, Voucher
from tests.support.stripe_events import event as stripe_event
from tests.support.stripe_events import signed
from tests.support.stripe_stub import StripeStub

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.postgresql_only
def test_connection_dropped_mid_request_is_503_with_nothing_half_written(app, client):
    """The order insert succeeds, then the backend dies before the items are written."""
    with app.app_context():
        engine = db.engine
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    fired = {"done": False}

    def kill_own_backend(conn, cursor, statement, parameters, context, executemany):
        if not fired["done"] and statement.lstrip().upper().startswith("INSERT INTO ORDER_ITEM"):
            fired["done"] = True
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})

    event.listen(engine, "before_cursor_execute", kill_own_backend)
    try:
        body = {"purchaser": {"name": "Ana", "email": "ana@example.com"},
                "items": [{"product": "pain-management-60"}]}
        response = client.post("/api/v1/orders", json=body)
        assert fired["done"]
        assert response.status_code == 503
        assert response.get_json()["error"] == "unavailable"
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Order)) == 0
            assert db.session.scalar(select(func.count()).select_from(OrderItem)) == 0
        again = client.post("/api/v1/orders", json=body)
        assert again.status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", kill_own_backend)
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env, port):
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "giftshop:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: master and worker die together


def _post(url, body: bytes, header: str, timeout=20):
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Stripe-Signature": header, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def _wait_up(base):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/api/v1/catalog", timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def test_app_killed_mid_webhook_then_redelivery_fulfils_exactly_once(app, client):
    """SIGKILL while the webhook waits on Stripe; Stripe's retry (twice) issues one set."""
    stub = StripeStub().start()
    server = None
    try:
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "STRIPE_SECRET_KEY": "sk_test_local", "STRIPE_API_BASE": stub.url,
               "STRIPE_WEBHOOK_SECRET": "whsec_test_secret", "GIFTSHOP_ENV": "test",
               "SHOP_BASE_URL": "http://shop.test", "MAIL_SERVER": ""}
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _serve(env, port)
        _wait_up(base)
        created = urllib.request.urlopen(urllib.request.Request(
            base + "/api/v1/orders", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"purchaser": {"name": "Ana", "email": "ana@example.com"},
                             "items": [{"product": "pain-management-4-pack"}]}).encode()))
        order_id = json.loads(created.read())["order_id"]
        with app.app_context():
            session_id = db.session.scalar(select(Order.stripe_session_id))
        session = stub.mark_paid(session_id)
        body, header = signed(stripe_event("checkout.session.completed", session))

        stub.retrieval_delay = 30  # the webhook hangs re-reading the session …
        outcome = {}

        def first_delivery():
            try:
                outcome["status"] = _post(base + "/stripe/webhook", body, header, 5)
            except OSError as exc:  # what Stripe sees: the connection died, so it retries
                outcome["error"] = exc

        first = threading.Thread(target=first_delivery)
        first.start()
        deadline = time.monotonic() + 10
        while not any(r["method"] == "GET" for r in stub.requests):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # … and the whole app dies there.
        server.wait(timeout=10)
        first.join()
        assert "error" in outcome, outcome
        stub.retrieval_delay = 0
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0
            assert db.session.scalar(select(Order.status)) == "pending"

        server = _serve(env, port)
        _wait_up(base)
        assert _post(base + "/stripe/webhook", body, header) == (
            200, {"received": True, "outcome": "processed"})
        assert _post(base + "/stripe/webhook", body, header)[1]["outcome"] == "duplicate"
        with app.app_context():
            vouchers = db.session.scalars(select(Voucher)).all()
            assert [(v.initial, v.remaining) for v in vouchers] == [(4, 4)]
        status = json.loads(urllib.request.urlopen(f"{base}/api/v1/orders/{order_id}").read())
        assert status["status"] == "paid"
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        stub.stop()
