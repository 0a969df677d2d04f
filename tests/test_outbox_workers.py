"""Several email senders at once, batches, one SMTP connection per batch, stopping cleanly.

Both databases: PostgreSQL hands rows out with `FOR UPDATE SKIP LOCKED`, SQLite by
the claim's re-checking UPDATE (one writer at a time).
"""
import os
import signal
import subprocess
import sys
import time

from giftshop.extensions import db
from giftshop.models import OutboxMessage
from giftshop.vouchers import outbox
from tests.support.factories import demo_paid_order
from tests.support.outbox import make_all_due, rows, tomorrow
from tests.support.smtp import mail_settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

app_config = mail_settings()


def test_outbox_run_with_two_worker_processes_sends_every_email_once(app, smtp_server, tmp_path):
    with app.app_context():
        for _ in range(4):
            demo_paid_order(quantity=2)
        make_all_due()
        total = len(rows())
        database_url = db.engine.url.render_as_string(hide_password=False)
        db.session.remove()
    assert total == 12
    env = {**os.environ, "DATABASE_URL": database_url, "GIFTSHOP_ENV": "development",
           "MAIL_SERVER": smtp_server.host, "MAIL_PORT": str(smtp_server.port),
           "MAIL_USE_TLS": "0", "OUTBOX_THREAD": "0", "REDIS_URL": "",
           "PDF_CACHE_DIR": str(tmp_path / "sender-cache"), "GIFTSHOP_INSTANCE_DIR": str(tmp_path)}
    log = open(tmp_path / "sender.log", "w+")
    sender = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "giftshop", "outbox", "run", "--workers", "2",
         "--interval", "0.2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 180  # two fresh interpreters on a busy machine
        while len(smtp_server.messages) < total and time.monotonic() < deadline \
                and sender.poll() is None:
            time.sleep(0.2)
        time.sleep(1)  # a duplicate, if the workers could send one, would arrive now
        sender.send_signal(signal.SIGTERM)  # the parent stops its workers and waits for them
        code = sender.wait(90)
    finally:
        if sender.poll() is None:
            os.killpg(sender.pid, signal.SIGKILL)
            sender.wait(10)
        log.seek(0)
        output = log.read()
    assert code == 0, output
    assert "with 2 workers" in output
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert len(received) == total and len(set(received)) == total, output
    with app.app_context():
        assert {m.message_id for m in rows()} == set(received)
        assert all(m.status == "sent" and m.attempts == 1 for m in rows())


def test_a_batch_goes_over_one_smtp_connection_even_past_a_refused_recipient(app, smtp_server):
    with app.app_context():
        demo_paid_order(quantity=3)
        demo_paid_order(recipient=("Cy Gone", "gone@example.com"))
        smtp_server.refuse["gone@example.com"] = "550 No such mailbox"
        report = outbox.send_due(tomorrow())
        assert len(report.sent) == 5 and len(report.failed) == 1
        assert smtp_server.connections == 1
        assert len(smtp_server.messages) == 5


def test_a_message_is_not_lost_when_the_reused_connection_was_dropped(app, smtp_server):
    with app.app_context():
        demo_paid_order(recipient=None)
        demo_paid_order(recipient=None)
        now = tomorrow()
        with outbox.Mailer(app.config) as mailer:
            first, second = outbox.claim_batch(now, 2)
            assert outbox._deliver(first, now, mailer) == "sent"
            smtp_server.hang_up()  # as a server ending an idle session does
            time.sleep(0.2)
            assert outbox._deliver(second, now, mailer) == "sent"
        assert smtp_server.connections == 2 and len(smtp_server.messages) == 2
        assert all(m.status == "sent" and m.attempts == 1 for m in rows())


class StopAfterFirstEmail:
    """A stop signal that arrives while the first email is being sent."""

    def __init__(self, sink):
        self.sink = sink

    def is_set(self) -> bool:
        return len(self.sink.messages) >= 1


def test_a_stopped_worker_hands_the_rest_of_its_batch_back_at_once(app, smtp_server):
    with app.app_context():
        demo_paid_order(quantity=2)
        now = tomorrow()
        report = outbox.send_due(now, stop=StopAfterFirstEmail(smtp_server))
        assert len(report.sent) == 1 and len(smtp_server.messages) == 1
        waiting = [m for m in rows() if m.status == "pending"]
        assert len(waiting) == 2
        # Due now again, the claim's attempt not counted: not held for the 15-minute lease.
        assert {(m.attempts, m.next_attempt_at) for m in waiting} == {(0, now)}
        assert sorted(outbox.send_due(now).sent) == sorted(m.id for m in waiting)
        assert len({m["Message-ID"] for m in smtp_server.messages}) == 3


def test_claiming_takes_a_batch_oldest_first_and_leaves_the_rest(app, smtp_server):
    with app.app_context():
        for _ in range(4):
            demo_paid_order(quantity=2)
        make_all_due()  # one due time for all: before 9:00 Pacific today's deliveries wait
        now = tomorrow()
        ids = [m.id for m in rows()]
        first = outbox.claim_batch(now, 5)
        second = outbox.claim_batch(now, 5)
        assert first == ids[:5] and second == ids[5:10]
        assert outbox.claim_batch(now, 5) == ids[10:]
        assert outbox.claim_batch(now, 5) == []
        assert all(m.attempts == 1 and m.next_attempt_at == now + outbox.LEASE for m in rows())
        assert db.session.query(OutboxMessage).filter_by(status="pending").count() == 12


def test_outbox_run_refuses_once_with_several_workers(app, runner):
    result = runner.invoke(args=["outbox", "run", "--once", "--workers", "2"])
    assert result.exit_code != 0 and "--once sends from this process only" in result.output
