"""`make soak`: mixed load on gunicorn + PostgreSQL for SOAK_SECONDS (default 1200), then checks.

Load, from threads in this process: purchases through the API and the Checkout stub
paid by signed `checkout.session.completed` webhooks (20% delivered twice; a delivery
that fails because its worker was killed is retried, as Stripe does), redemptions and
reversals through the staff API, holder and order lookups, /healthz; purchases are
paced to SOAK_ORDERS_PER_MINUTE (default 60; 0 = as fast as the server answers), the
rest as fast as the server answers. The email sender
(`flask outbox run --workers SOAK_OUTBOX_WORKERS`, default 2) sends to an SMTP sink.
Every SOAK_KILL_EVERY seconds (default 180) one gunicorn worker gets SIGKILL.

After the load the senders get up to SOAK_DRAIN_SECONDS (default a quarter of the
run, at least 2 minutes) to send what is still due. Checks (bench/soak_checks.py,
tested in tests/test_soak_checks.py): every paid order has its vouchers; every voucher's
remaining equals its ledger sum and is never negative; every due email was sent and
received once (by Message-ID at the sink), none still pending or failed; worker memory
did not keep growing (last third of the run vs the first third, per live worker).
Prints a Markdown summary; exits 1 on a failed check.
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
from email import policy
from email.parser import BytesHeaderParser

import psycopg
import stripe

from bench.harness import ROOT, VENV_BIN, Server, libpq_url, scratch_database
from bench.run import prepare_schema, shop_env, staff_token
from bench.soak_checks import (CHECKS, MEMORY_GROWTH_LIMIT, checks, drain_outbox, failures,
                               memory_bounded, outbox_counts)
from tests.support.smtp import SMTPSink
from tests.support.stripe_stub import StripeStub

SECONDS = float(os.environ.get("SOAK_SECONDS", "1200"))
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", "180"))
# Purchases are paced (0: as fast as the server answers); the rest of the load is not.
ORDERS_PER_MINUTE = float(os.environ.get("SOAK_ORDERS_PER_MINUTE", "60"))
OUTBOX_WORKERS = int(os.environ.get("SOAK_OUTBOX_WORKERS", "2"))
# After the load the sender may finish what is due, for at most this long.
DRAIN_SECONDS = float(os.environ.get("SOAK_DRAIN_SECONDS", str(max(120.0, SECONDS / 4))))
DUPLICATE_SHARE = 0.2


class IdSink(SMTPSink):
    """The loopback SMTP sink, keeping only each message's Message-ID: tens of
    thousands of emails with their PDFs would otherwise sit in this process."""

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser(policy=policy.default).parsebytes(
            envelope.original_content or envelope.content, headersonly=True)
        with self._lock:
            self.messages.append({"Message-ID": headers["Message-ID"]})
        return "250 Message accepted"


class Load:
    def __init__(self, url: str, stub: StripeStub, secret: str, token: str):
        self.url, self.stub, self.secret, self.token = url, stub, secret, token
        self.stop = threading.Event()
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self.orders: list[str] = []
        self.codes: list[str] = []
        self.redemptions: list[int] = []
        self.next_purchase = time.monotonic()

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

    def wait_for_purchase_slot(self) -> None:
        """Pace purchases to ORDERS_PER_MINUTE across the purchase threads."""
        if ORDERS_PER_MINUTE <= 0:
            return
        with self.lock:
            slot = max(time.monotonic(), self.next_purchase)
            self.next_purchase = slot + 60.0 / ORDERS_PER_MINUTE
        self.stop.wait(max(0.0, slot - time.monotonic()))

    def purchase(self, rng: random.Random) -> None:
        self.wait_for_purchase_slot()
        if self.stop.is_set():
            return
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


def main() -> int:
    workdir = tempfile.mkdtemp(prefix="giftshop-soak-")
    sink, stub = IdSink().start(), StripeStub().start()
    secret = "whsec_soak_" + secrets.token_hex(12)
    memory: list[tuple[float, list[int]]] = []
    kills = 0
    print(f"Soak started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC; "
          f"load average {_loadavg()}", file=sys.stderr, flush=True)
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
             "--interval", "2", "--workers", str(OUTBOX_WORKERS)], cwd=ROOT,
            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(workdir, "outbox.log"), "w"), start_new_session=True)
        load = Load(server.url, stub, secret, token)
        threads = [threading.Thread(target=load.run, args=(kind, n), daemon=True)
                   for n, kind in enumerate(["purchase", "purchase", "staff", "staff",
                                             "lookup", "lookup"])]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        next_kill = started + KILL_EVERY
        loads = []
        try:
            while (now := time.monotonic()) - started < SECONDS:
                refresh_codes(load, db_url)
                memory.append((now - started, [rss_kb(p) for p in worker_pids(server.proc.pid)]))
                loads.append(os.getloadavg()[0])
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
        queued, sent_in_load = outbox_counts(db_url)
        drained_in = drain_outbox(db_url, DRAIN_SECONDS)
        # SIGTERM to the sender's parent: each worker finishes the email it is sending
        # and hands back the rest of its batch, so nothing is in flight during the checks.
        sender.send_signal(signal.SIGTERM)
        try:
            sender_exit = sender.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(sender.pid, signal.SIGKILL)
            sender_exit = f"killed after 90 s: {sender.wait(10)}"
        server.stop()
        result = checks(db_url, load, sink)
    sink.stop()
    stub.stop()
    first_kb, last_kb, mem_ok = memory_bounded(memory)
    failed = failures(result, mem_ok)
    requests = sum(n for k, n in load.counts.items() if not k.startswith("client"))
    print(f"## Soak run: {elapsed / 60:.1f} minutes (SOAK_SECONDS={SECONDS:g}), "
          f"{'all checks passed' if not failed else 'FAILED: ' + '; '.join(failed)}\n")
    print(f"- ended {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; load average during "
          f"the load: mean {statistics.mean(loads or [0]):.1f}, max {max(loads or [0]):.1f} "
          f"({os.cpu_count()} cores)")
    print(f"- {requests:,} requests ({requests / elapsed:.1f}/s); purchases paced to "
          f"{ORDERS_PER_MINUTE:g}/min (0 = unpaced); app workers killed: {kills}")
    print(f"- responses: " + ", ".join(f"{k}: {n}" for k, n in sorted(load.counts.items())))
    print(f"- emails: {queued:,} queued during the load ({queued / elapsed:.1f}/s), "
          f"{sent_in_load:,} sent during it ({sent_in_load / elapsed:.1f}/s) by "
          f"{OUTBOX_WORKERS} outbox worker(s); the rest drained in {drained_in:.0f} s "
          f"(limit {DRAIN_SECONDS:g} s); sender exit status after SIGTERM: {sender_exit}")
    for key, value in result.items():
        print(f"- {key}: {value}")
    print(f"- worker RSS, first third of the run: {first_kb / 1024:.1f} MiB mean; "
          f"last third: {last_kb / 1024:.1f} MiB mean "
          f"({'bounded' if mem_ok else 'GREW'}; limit {MEMORY_GROWTH_LIMIT}×)")
    for check in CHECKS:
        print(f"- check: {check}: {'FAILED' if check in failed else 'passed'}")
    return 1 if failed else 0


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
