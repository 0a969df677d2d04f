"""`make soak`: mixed load on gunicorn + PostgreSQL for SOAK_SECONDS (default 1200), then checks.

Load, from threads in this process: purchases through the API and the Checkout stub
paid by signed `checkout.session.completed` webhooks (20% delivered twice; a delivery
that fails because its worker was killed is retried, as Stripe does), redemptions and
reversals through the staff API, holder and order lookups, /healthz. The outbox worker
(`flask outbox run`) sends to an SMTP sink. Every SOAK_KILL_EVERY seconds (default
180) one gunicorn worker gets SIGKILL.

Checks at the end: every paid order has its vouchers; every voucher's remaining
equals its ledger sum and is never negative; every due email was sent, once (by
Message-ID at the sink); worker memory did not keep growing (last third of the run
vs the first third, per live worker). Prints a Markdown summary; exits 1 on a failed check.
"""
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import psycopg
import stripe

from bench.harness import ROOT, VENV_BIN, Server, libpq_url, scratch_database
from bench.run import prepare_schema, shop_env, staff_token
from tests.support.smtp import SMTPSink
from tests.support.stripe_stub import StripeStub

SECONDS = float(os.environ.get("SOAK_SECONDS", "1200"))
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", "180"))
DUPLICATE_SHARE = 0.2


class Load:
    def __init__(self, url: str, stub: StripeStub, secret: str, token: str):
        self.url, self.stub, self.secret, self.token = url, stub, secret, token
        self.stop = threading.Event()
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self.orders: list[str] = []
        self.codes: list[str] = []
        self.redemptions: list[int] = []

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, data = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        except OSError:
            status, data = 0, b""  # connection dropped: its worker was killed
        self.count(f"{_route(method, path)} {status or 'dropped'}")
        return status, data

    def json(self, method: str, path: str, payload: dict, headers: dict | None = None):
        return self.request(method, path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json", **(headers or {})})

    def purchase(self, rng: random.Random) -> None:
        item = rng.choice([{"product": "gift-certificate", "amount_cents": rng.randint(25, 300) * 100},
                           {"product": "pain-management-4-pack"},
                           {"product": "pain-management-60"}])
        item["quantity"] = rng.randint(1, 2)
        item["recipient"] = {"name": "Soak Holder", "email": f"holder{rng.randint(1, 999)}@soak.test"}
        status, data = self.json("POST", "/api/v1/orders", {
            "purchaser": {"name": "Soak Buyer", "email": "buyer@soak.test"}, "items": [item]})
        if status != 201:
            return
        order = json.loads(data)
        session = self.stub.mark_paid(order["checkout_url"].rstrip("/").rsplit("/", 1)[-1])
        event = json.dumps({"id": "evt_soak_" + secrets.token_hex(10), "object": "event",
                            "type": "checkout.session.completed", "created": int(time.time()),
                            "data": {"object": session}})
        for _ in range(2 if rng.random() < DUPLICATE_SHARE else 1):
            for _attempt in range(10):  # Stripe retries until it gets a 2xx
                header = stripe.WebhookSignature.generate_signature_header(event, self.secret)
                status, _ = self.request("POST", "/stripe/webhook", event.encode(),
                                         {"Stripe-Signature": header,
                                          "Content-Type": "application/json"})
                if status == 200:
                    break
                time.sleep(0.5)
        with self.lock:
            self.orders.append(order["order_id"])

    def staff(self, rng: random.Random) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        if rng.random() < 0.2 and self.redemptions:
            with self.lock:
                entry = self.redemptions.pop(rng.randrange(len(self.redemptions)))
            self.request("POST", f"/api/v1/redemptions/{entry}/reversal", b"",
                         {**auth, "Idempotency-Key": secrets.token_hex(8)})
            return
        if not self.codes:
            return
        code = rng.choice(self.codes)
        status, data = self.request("GET", f"/api/v1/vouchers/{code}", None, auth)
        if status != 200:
            return
        voucher = json.loads(data)
        payload = {"amount_cents": rng.randint(100, 3000)} if voucher["kind"] == "money" \
            else {"sessions": 1}
        status, data = self.json("POST", f"/api/v1/vouchers/{code}/redemptions", payload,
                                 {**auth, "Idempotency-Key": secrets.token_hex(8)})
        if status == 201:
            with self.lock:
                self.redemptions.append(json.loads(data)["id"])

    def lookup(self, rng: random.Random) -> None:
        choice = rng.random()
        if choice < 0.4 and self.codes:
            self.request("GET", f"/v/{rng.choice(self.codes)}")
        elif choice < 0.8 and self.orders:
            self.request("GET", f"/api/v1/orders/{rng.choice(self.orders)}")
        else:
            self.request("GET", "/healthz")

    def run(self, kind: str, seed: int) -> None:
        rng = random.Random(seed)
        action = getattr(self, kind)
        while not self.stop.is_set():
            try:
                action(rng)
            except Exception as exc:  # noqa: BLE001 — counted, the soak goes on
                self.count(f"client error {type(exc).__name__}")


def _route(method: str, path: str) -> str:
    """The request's kind without its codes or ids, for counting."""
    for prefix, name in (("/api/v1/redemptions/", "reversal"), ("/api/v1/orders/", "order lookup"),
                         ("/api/v1/orders", "order"), ("/stripe/webhook", "webhook"),
                         ("/v/", "holder page"), ("/healthz", "healthz")):
        if path.startswith(prefix):
            return name
    if path.endswith("/redemptions"):
        return "redemption"
    return "voucher lookup" if path.startswith("/api/v1/vouchers/") else f"{method} {path}"


def worker_pids(master: int) -> list[int]:
    try:
        with open(f"/proc/{master}/task/{master}/children", encoding="ascii") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def refresh_codes(load: Load, db_url: str) -> None:
    with psycopg.connect(libpq_url(db_url)) as conn:
        codes = [r[0] for r in conn.execute("SELECT code FROM voucher ORDER BY id DESC LIMIT 500")]
    with load.lock:
        load.codes = codes


def checks(db_url: str, load: Load, sink: SMTPSink) -> dict:
    with psycopg.connect(libpq_url(db_url)) as conn:
        orders = conn.execute(
            'SELECT o.public_id, o.status, (SELECT count(*) FROM voucher v WHERE v.order_id = o.id), '
            '(SELECT coalesce(sum(quantity), 0) FROM order_item i WHERE i.order_id = o.id) '
            'FROM "order" o WHERE o.public_id = ANY(%s)', (load.orders,)).fetchall()
        mismatched = conn.execute(
            "SELECT count(*) FROM voucher v WHERE v.remaining <> "
            "(SELECT coalesce(sum(delta), 0) FROM ledger_entry e WHERE e.voucher_id = v.id) "
            "OR v.remaining < 0").fetchone()[0]
        vouchers, entries = conn.execute(
            "SELECT (SELECT count(*) FROM voucher), (SELECT count(*) FROM ledger_entry)").fetchone()
        outbox = dict(conn.execute("SELECT status, count(*) FROM outbox_message "
                                   "WHERE send_after <= now() GROUP BY status").fetchall())
        sent_ids = {r[0] for r in conn.execute(
            "SELECT message_id FROM outbox_message WHERE status = 'sent'")}
    received = Counter(m["Message-ID"] for m in sink.messages)
    return {
        "orders": len(orders),
        "orders_not_paid": sum(1 for o in orders if o[1] != "paid"),
        "orders_wrong_voucher_count": sum(1 for o in orders if o[1] == "paid" and o[2] != o[3]),
        "vouchers": vouchers, "ledger_entries": entries,
        "vouchers_remaining_not_ledger_sum_or_negative": mismatched,
        "due_emails": outbox, "emails_received": sum(received.values()),
        "emails_received_twice": sum(1 for n in received.values() if n > 1),
        "sent_but_not_received": len(sent_ids - set(received)),
    }


def drain_outbox(db_url: str, timeout: float) -> float:
    """Wait (bounded) for the sender to catch up; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with psycopg.connect(libpq_url(db_url)) as conn:
            due = conn.execute("SELECT count(*) FROM outbox_message WHERE status = 'pending' "
                               "AND send_after <= now()").fetchone()[0]
        if not due:
            break
        time.sleep(2)
    return time.monotonic() - started


def main() -> int:
    workdir = tempfile.mkdtemp(prefix="giftshop-soak-")
    sink, stub = SMTPSink().start(), StripeStub().start()
    secret = "whsec_soak_" + secrets.token_hex(12)
    memory: list[tuple[float, list[int]]] = []
    kills = 0
    with scratch_database() as db_url:
        prepare_schema(db_url)
        token = staff_token(db_url, [])
        env = {**shop_env(db_url, workdir, stub.url, secret), "MAIL_SERVER": sink.host,
               "MAIL_PORT": str(sink.port), "MAIL_USE_TLS": "0"}
        server = Server("giftshop:create_app()", ["--workers", "2", "--worker-class", "gthread",
                        "--threads", "4"], env, os.path.join(workdir, "gunicorn.log"))
        server.start("/healthz")
        sender = subprocess.Popen(
            [os.path.join(VENV_BIN, "flask"), "--app", "giftshop", "outbox", "run",
             "--interval", "2"], cwd=ROOT, env={**os.environ, **env},
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "outbox.log"), "w"),
            start_new_session=True)
        load = Load(server.url, stub, secret, token)
        threads = [threading.Thread(target=load.run, args=(kind, n), daemon=True)
                   for n, kind in enumerate(["purchase", "purchase", "staff", "staff",
                                             "lookup", "lookup"])]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        next_kill = started + KILL_EVERY
        try:
            while (now := time.monotonic()) - started < SECONDS:
                refresh_codes(load, db_url)
                memory.append((now - started, [rss_kb(p) for p in worker_pids(server.proc.pid)]))
                if now >= next_kill and (pids := worker_pids(server.proc.pid)):
                    os.kill(random.choice(pids), signal.SIGKILL)
                    kills += 1
                    next_kill += KILL_EVERY
                time.sleep(5)
        finally:
            load.stop.set()
            elapsed = time.monotonic() - started
            for thread in threads:
                thread.join(60)
        # One sender renders a PDF per email; under this load it falls behind, so the
        # check waits for it (as long as the load ran, at least 2 minutes).
        drained_in = drain_outbox(db_url, max(120.0, SECONDS))
        result = checks(db_url, load, sink)
        os.killpg(sender.pid, signal.SIGTERM)
        sender.wait(30)
        server.stop()
    sink.stop()
    stub.stop()
    third = max(1, len(memory) // 3)
    first = [kb for _, kbs in memory[1:third + 1] for kb in kbs if kb] or [0]
    last = [kb for _, kbs in memory[-third:] for kb in kbs if kb] or [0]
    mem_ok = statistics.mean(last) <= 1.5 * statistics.mean(first)
    ok = (result["orders_not_paid"] == 0 and result["orders_wrong_voucher_count"] == 0
          and result["vouchers_remaining_not_ledger_sum_or_negative"] == 0
          and set(result["due_emails"]) <= {"sent", "failed"}
          and result["emails_received_twice"] == 0 and result["sent_but_not_received"] == 0
          and mem_ok)
    requests = sum(n for k, n in load.counts.items() if not k.startswith("client"))
    print(f"## Soak run: {elapsed / 60:.1f} minutes (SOAK_SECONDS={SECONDS:g}), "
          f"{'all checks passed' if ok else 'A CHECK FAILED'}\n")
    print(f"- {requests:,} requests ({requests / elapsed:.1f}/s); workers killed: {kills}; "
          f"outbox drain after the load: {drained_in:.0f} s")
    print(f"- responses: " + ", ".join(f"{k}: {n}" for k, n in sorted(load.counts.items())))
    for key, value in result.items():
        print(f"- {key}: {value}")
    print(f"- worker RSS, first third of the run: {statistics.mean(first) / 1024:.1f} MiB mean; "
          f"last third: {statistics.mean(last) / 1024:.1f} MiB mean "
          f"({'bounded' if mem_ok else 'GREW'}; limit 1.5×); the final checks ran after the outbox "
          "drained")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
