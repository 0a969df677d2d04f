"""A local stand-in for Stripe's Checkout Session endpoints, reached by the SDK over HTTP.

localstripe (used for refunds and payment intents) has no Checkout Sessions, so this
stub serves `POST /v1/checkout/sessions` and `GET /v1/checkout/sessions/<id>`, and
`POST /v1/coupons` for the sessions' `discounts` (amount or percent off the session,
honoured in `amount_total` like Stripe; a coupon with `max_redemptions` goes on that
many sessions at most),
records every request's decoded parameters, and lets a test mark a session paid or
make the next reads fail. Anything else can be forwarded to `upstream` (localstripe).
"""
import json
import re
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest


def decode_form(body: str) -> dict:
    """Stripe's bracketed form encoding (`a[b][0][c]=1`) back to nested dicts/lists."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class StripeStub:
    def __init__(self, upstream: str | None = None):
        self.sessions: dict[str, dict] = {}
        self.coupons: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.idempotent: dict[str, dict] = {}
        self.fail_retrievals = 0
        self.retrieval_delay = 0.0  # seconds each session read waits (an in-flight webhook)
        self.upstream = upstream
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "StripeStub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def created(self) -> list[dict]:
        return [r["params"] for r in self.requests
                if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"]

    def mark_paid(self, session_id: str, *, amount_total: int | None = None,
                  currency: str = "usd", payment_intent: str | None = None) -> dict:
        with self.lock:
            session = self.sessions[session_id]
            session.update(payment_status="paid", status="complete", currency=currency,
                           payment_intent=payment_intent or "pi_" + secrets.token_hex(8))
            if amount_total is not None:
                session["amount_total"] = amount_total
            return dict(session)

    def add_session(self, session: dict) -> dict:
        """Register a session directly (benchmarks preload thousands)."""
        with self.lock:
            self.sessions[session["id"]] = session
        return session

    # -- HTTP -------------------------------------------------------------------------
    def _create_coupon(self, params: dict) -> dict:
        coupon = {"id": "coupon_" + secrets.token_hex(8), "object": "coupon",
                  "amount_off": int(params["amount_off"]) if "amount_off" in params else None,
                  "percent_off": float(params["percent_off"]) if "percent_off" in params else None,
                  "currency": params.get("currency"), "duration": params.get("duration"),
                  "max_redemptions": int(params["max_redemptions"])
                  if "max_redemptions" in params else None,
                  "times_redeemed": 0, "name": params.get("name"),
                  "metadata": params.get("metadata", {}), "valid": True}
        self.coupons[coupon["id"]] = coupon
        return coupon

    def _discount(self, params: dict, subtotal: int) -> tuple[int, list[dict]] | str:
        """(amount off, discounts) for the session's `discounts`, or an error message."""
        off, applied = 0, []
        for entry in params.get("discounts", []):
            coupon = self.coupons.get(entry.get("coupon"))
            if coupon is None:
                return f"No such coupon: {entry.get('coupon')}"
            if coupon["max_redemptions"] is not None and \
                    coupon["times_redeemed"] >= coupon["max_redemptions"]:
                return f"Coupon {coupon['id']} has been redeemed the maximum number of times"
            coupon["times_redeemed"] += 1
            if coupon["amount_off"] is not None:
                off += coupon["amount_off"]
            else:
                off += round(subtotal * coupon["percent_off"] / 100)
            applied.append({"coupon": coupon["id"], "promotion_code": None})
        return min(off, subtotal), applied

    def _create_session(self, params: dict) -> dict | str:
        subtotal = sum(int(li["quantity"]) * int(li["price_data"]["unit_amount"])
                       for li in params.get("line_items", []))
        discount = self._discount(params, subtotal)
        if isinstance(discount, str):
            return discount
        off, applied = discount
        total = subtotal - off
        sid = "cs_test_" + secrets.token_hex(12)
        session = {
            "amount_subtotal": subtotal, "discounts": applied,
            "total_details": {"amount_discount": off, "amount_shipping": 0, "amount_tax": 0},
            "expires_at": int(params["expires_at"]) if "expires_at" in params else None,
            "id": sid, "object": "checkout.session", "mode": params.get("mode"),
            "url": f"https://checkout.stripe.test/c/pay/{sid}",
            "amount_total": total, "currency": params["line_items"][0]["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata", {}), "payment_status": "unpaid",
            "status": "open", "payment_intent": None,
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
        }
        self.sessions[sid] = session
        return session

    def _handler(stub):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _forward(self, body: bytes):
                request = urllib.request.Request(
                    stub.upstream + self.path, data=body if self.command == "POST" else None,
                    method=self.command,
                    headers={k: v for k, v in self.headers.items()
                             if k.lower() in ("authorization", "content-type",
                                              "idempotency-key", "stripe-version")})
                try:
                    with urllib.request.urlopen(request, timeout=30) as resp:
                        self._send(resp.status, json.loads(resp.read() or b"{}"))
                except urllib.error.HTTPError as exc:
                    self._send(exc.code, json.loads(exc.read() or b"{}"))

            def do_GET(self):
                stub.requests.append({"method": "GET", "path": self.path, "params": {}})
                match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", self.path.split("?")[0])
                if match:
                    if stub.retrieval_delay:
                        time.sleep(stub.retrieval_delay)
                    with stub.lock:
                        if stub.fail_retrievals > 0:
                            stub.fail_retrievals -= 1
                            return self._send(500, {"error": {"type": "api_error",
                                                              "message": "stub failure"}})
                        session = stub.sessions.get(match.group(1))
                    if session is None:
                        return self._send(404, {"error": {"type": "invalid_request_error",
                                                          "message": "No such session"}})
                    return self._send(200, session)
                if stub.upstream:
                    return self._forward(b"")
                self._send(404, {"error": {"type": "invalid_request_error",
                                           "message": "stub: unknown path"}})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = decode_form(raw.decode())
                stub.requests.append({"method": "POST", "path": self.path, "params": params,
                                      "idempotency_key": self.headers.get("Idempotency-Key")})
                if self.path == "/v1/checkout/sessions":
                    key = self.headers.get("Idempotency-Key")
                    with stub.lock:
                        if key and key in stub.idempotent:
                            return self._send(200, stub.idempotent[key])
                        session = stub._create_session(params)
                        if isinstance(session, str):
                            return self._send(400, {"error": {
                                "type": "invalid_request_error", "message": session}})
                        if key:
                            stub.idempotent[key] = session
                    return self._send(200, session)
                if self.path == "/v1/coupons":
                    key = self.headers.get("Idempotency-Key")
                    with stub.lock:
                        if key and key in stub.idempotent:
                            return self._send(200, stub.idempotent[key])
                        coupon = stub._create_coupon(params)
                        if key:
                            stub.idempotent[key] = coupon
                    return self._send(200, coupon)
                if stub.upstream:
                    return self._forward(raw)
                self._send(404, {"error": {"type": "invalid_request_error",
                                           "message": "stub: unknown path"}})

        return Handler


@pytest.fixture
def stripe_stub():
    """A running stub for the test, stopped after it."""
    stub = StripeStub().start()
    yield stub
    stub.stop()
