"""Emails a second from `flask outbox run` to an SMTP sink on loopback (PostgreSQL).

    .venv/bin/python -m bench.outbox_rate [ORDERS] [WORKERS …]

Queues ORDERS paid orders (default 60) like the soak's (gift certificates and
packages, 1–2 vouchers each, each voucher emailed to its recipient, one receipt per
order), then for each WORKERS count (default 1 2) starts `outbox run --workers N`
on a fresh copy of the queue with an empty PDF cache, and times the sink from the
first email received to the last, and the CPU time the senders used per email (which
a busy machine changes less than the rate). OUTBOX_BENCH_ROOT runs another checkout's code
(e.g. an export of main, for a before/after figure; without --workers for 1).
"""
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time

import psycopg

from bench.harness import ROOT, VENV_BIN, libpq_url, scratch_database
from bench.run import prepare_schema
from tests.support.smtp import SMTPSink

CODE_ROOT = os.environ.get("OUTBOX_BENCH_ROOT", ROOT)


class TimedSink(SMTPSink):
    """The sink, noting when each message arrived."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        self.times.append(time.monotonic())
        return reply


def queue_orders(db_url: str, workdir: str, orders: int) -> int:
    """ORDERS paid orders through the shop's own services; returns the emails queued."""
    os.environ.update(DATABASE_URL=db_url, GIFTSHOP_ENV="development", MAIL_SERVER="",
                      OUTBOX_THREAD="0", REDIS_URL="", GIFTSHOP_INSTANCE_DIR=workdir,
                      PDF_CACHE_DIR=os.path.join(workdir, "unused-cache"))
    from giftshop import create_app
    from giftshop.checkout.fulfilment import fulfil_order
    from giftshop.checkout.service import place_order
    from giftshop.extensions import db
    from giftshop.models import OutboxMessage
    from giftshop.localtime import today_local

    rng = random.Random(15)
    app = create_app()
    with app.app_context():
        for n in range(orders):
            item = rng.choice([{"product": "gift-certificate", "amount_cents": rng.randint(25, 300) * 100},
                               {"product": "pain-management-4-pack"},
                               {"product": "pain-management-60"}])
            item.update(quantity=rng.randint(1, 2),
                        recipient={"name": "Rate Holder", "email": f"holder{n}@rate.test"})
            order = place_order({"purchaser": {"name": "Rate Buyer", "email": "buyer@rate.test"},
                                 "items": [item]}, today=today_local())
            fulfil_order(order.id, None)
        queued = db.session.query(OutboxMessage).count()
        db.session.remove()
        db.engine.dispose()
    return queued


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(db_url: str, workdir: str, workers: int, queued: int) -> tuple[float, int, float]:
    """(emails a second, emails received, CPU seconds the senders used per email)."""
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        conn.execute("UPDATE outbox_message SET status = 'pending', attempts = 0, sent_at = NULL, "
                     "next_attempt_at = now() - interval '1 minute'")
    sink = TimedSink().start()
    cpu_before = _children_cpu()
    env = {**os.environ, "DATABASE_URL": db_url, "MAIL_SERVER": sink.host,
           "MAIL_PORT": str(sink.port), "MAIL_USE_TLS": "0",
           "PDF_CACHE_DIR": tempfile.mkdtemp(dir=workdir, prefix=f"cache{workers}-")}
    args = [os.path.join(VENV_BIN, "flask"), "--app", "giftshop", "outbox", "run",
            "--interval", "1"] + (["--workers", str(workers)] if workers > 1 else [])
    sender = subprocess.Popen(args, cwd=CODE_ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(workdir, f"outbox{workers}.log"), "w"),
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 900
        while len(sink.times) < queued and time.monotonic() < deadline and sender.poll() is None:
            time.sleep(0.5)
    finally:
        os.killpg(sender.pid, signal.SIGTERM)
        sender.wait(60)
        sink.stop()
    cpu = _children_cpu() - cpu_before  # the senders, start-up included
    received = len(sink.times)
    ids = {m["Message-ID"] for m in sink.messages}
    if received != queued or len(ids) != received:
        raise RuntimeError(f"{workers} workers: {received} received, {len(ids)} distinct, "
                           f"{queued} queued")
    return (received - 1) / (sink.times[-1] - sink.times[0]), received, cpu / received


def main() -> int:
    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    counts = [int(a) for a in sys.argv[2:]] or [1, 2]
    workdir = tempfile.mkdtemp(prefix="giftshop-outbox-rate-")
    with scratch_database() as db_url:
        prepare_schema(db_url)
        queued = queue_orders(db_url, workdir, orders)
        print(f"{orders} orders, {queued} emails queued; code: {CODE_ROOT}; "
              f"load average {os.getloadavg()[0]:.2f}")
        for workers in counts:
            rate, received, cpu = measure(db_url, workdir, workers, queued)
            print(f"- {workers} worker{'s' if workers > 1 else ''}: {received} emails, "
                  f"{rate:.1f} emails/s (first to last received), each exactly once; "
                  f"sender CPU {cpu * 1000:.0f} ms per email (start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
