"""One log line per request, with a request id, and no voucher codes or secrets in it.

The line holds: request id, method, path, status, duration, client address.
Voucher codes and order ids are credentials (whoever knows one can spend or read
it), so every such URL part is masked to its last 4 symbols, and the query string
(search text, tokens) is never logged. Headers and bodies are never logged.
The request id comes from a well-formed `X-Request-ID` sent by the proxy, else a
new one; it is returned in the response so a customer's report can be matched.
"""
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("giftshop.requests")

SECRET_URL_PARTS = ("code", "public_id", "order_id", "token")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def mask(value: str) -> str:
    """`…` and the last 4 symbols: enough to tell two codes apart, not to use one."""
    return "…" + value[-4:]


def masked_path() -> str:
    path = request.path
    for name in SECRET_URL_PARTS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, mask(value))
    if request.url_rule is None and path.startswith("/v/"):
        path = "/v/" + mask(path[3:])  # an unknown route under /v/ may still carry a code
    return path


def register_request_log(app: Flask) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def start_clock():
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if _GOOD_ID.match(sent) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        log.info("request_id=%s method=%s path=%s status=%s ms=%.1f ip=%s", request_id,
                 request.method, masked_path(), response.status_code, elapsed,
                 request.remote_addr or "-")
        return response
