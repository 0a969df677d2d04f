"""The email outbox, sent over SMTP to a real aiosmtpd server on loopback."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from config import TestConfig
from giftshop.devserver import create_dev_app
from giftshop.extensions import db
from giftshop.models import OutboxMessage, Voucher, utcnow
from giftshop.vouchers import outbox
from giftshop.vouchers.codes import format_code
from giftshop.localtime import LOCAL_TZ, today_local
from tests.support.factories import demo_paid_order
from tests.support.outbox import make_all_due, rows, tomorrow
from tests.support.pdf import pdf_text
from tests.support.smtp import mail_settings

app_config = mail_settings()


def pdf_attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"}


def test_receipt_and_delivery_emails_arrive_with_their_pdfs(app, smtp_server, tmp_path):
    with app.app_context():
        public_id, codes = demo_paid_order(quantity=2)
        report = outbox.send_due(tomorrow())
        assert len(report.sent) == 3 and not report.retrying and not report.failed
        by_to = {}
        for message in smtp_server.messages:
            by_to.setdefault(message["To"], []).append(message)
        receipt, = by_to["ana@example.com"]
        assert receipt["Subject"] == "Your West Hills Massage order — 2 vouchers"
        assert receipt["From"] == "West Hills Massage <gifts@shop.test>"
        body = receipt.get_body(("plain",)).get_content()
        assert f"http://shop.test/orders/{public_id}" in body and "(971) 336-6028" in body
        assert receipt.get_body(("html",)) is not None
        attached = pdf_attachments(receipt)
        assert sorted(attached) == sorted(f"{format_code(c)}.pdf" for c in codes)
        for code in codes:
            assert format_code(code) in pdf_text(attached[f"{format_code(code)}.pdf"], tmp_path,
                                                 layout=False)
        deliveries = by_to["ben@example.com"]
        assert len(deliveries) == 2
        for delivery in deliveries:
            assert delivery["Subject"].startswith("Ana Buyer sent you a gift")
            (name, data), = pdf_attachments(delivery).items()
            code = name.removesuffix(".pdf")
            assert code in delivery.get_body(("plain",)).get_content()
            assert code in pdf_text(data, tmp_path, layout=False)
        sent = rows()
        assert {m.message_id for m in sent} == {m["Message-ID"] for m in smtp_server.messages}
        assert all(m.status == "sent" and m.sent_at is not None for m in sent)
        assert all(v.delivered_at is not None for v in db.session.scalars(select(Voucher)))


def test_each_message_is_sent_once_after_the_server_comes_back(app, smtp_server):
    with app.app_context():
        demo_paid_order(quantity=2)
        t0 = tomorrow()
        smtp_server.go_down()
        assert len(outbox.send_due(t0).retrying) == 3
        assert {(m.attempts, m.next_attempt_at) for m in rows()} == {(1, t0 + timedelta(minutes=1))}
        assert all("ConnectionRefused" in m.last_error for m in rows())
        assert outbox.send_due(t0 + timedelta(seconds=59)).retrying == []  # backing off
        t1 = t0 + timedelta(minutes=1)
        assert len(outbox.send_due(t1).retrying) == 3
        assert {m.next_attempt_at for m in rows()} == {t1 + timedelta(minutes=2)}  # doubled
        smtp_server.come_back()
        assert outbox.send_due(t1 + timedelta(minutes=1)).sent == []
        assert len(outbox.send_due(t1 + timedelta(minutes=2)).sent) == 3
        assert outbox.send_due(t1 + timedelta(days=2)).sent == []
        ids = [m["Message-ID"] for m in smtp_server.messages]
        assert len(ids) == 3 and len(set(ids)) == 3
        assert all((m.status, m.attempts, m.last_error) == ("sent", 3, "") for m in rows())


def test_a_message_that_keeps_failing_is_given_up_after_max_attempts(app, smtp_server):
    with app.app_context():
        demo_paid_order(recipient=None)
        smtp_server.go_down()
        now = tomorrow()
        outcomes = []
        for _ in range(outbox.MAX_ATTEMPTS + 2):
            report = outbox.send_due(now)
            outcomes.append("failed" if report.failed else "retrying" if report.retrying else "-")
            now += outbox.MAX_DELAY
        assert outcomes == ["retrying"] * (outbox.MAX_ATTEMPTS - 1) + ["failed", "-", "-"]
        message, = rows()
        assert (message.status, message.attempts) == ("failed", outbox.MAX_ATTEMPTS)


def test_a_permanently_refused_recipient_fails_at_once(app, smtp_server):
    with app.app_context():
        demo_paid_order()
        smtp_server.refuse["ben@example.com"] = "550 No such mailbox"
        report = outbox.send_due(tomorrow())
        assert len(report.sent) == 1 and len(report.failed) == 1
        failed = db.session.get(OutboxMessage, report.failed[0])
        assert failed.kind == "delivery" and "550" in failed.last_error
        assert db.session.scalar(select(Voucher.delivered_at)) is None


def test_a_future_delivery_is_held_until_9am_pacific_on_its_day(app, smtp_server):
    with app.app_context():
        day = today_local() + timedelta(days=2)
        demo_paid_order(deliver_on=day)
        morning = datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
        early = outbox.send_due(morning - timedelta(minutes=1))
        assert [db.session.get(OutboxMessage, i).kind for i in early.sent] == ["receipt"]
        assert [m["To"] for m in smtp_server.messages] == ["ana@example.com"]
        assert db.session.scalar(select(Voucher.delivered_at)) is None
        on_time = outbox.send_due(morning)
        assert [db.session.get(OutboxMessage, i).kind for i in on_time.sent] == ["delivery"]
        assert smtp_server.messages[-1]["To"] == "ben@example.com"
        assert db.session.scalar(select(Voucher.delivered_at)) == morning


def test_a_claimed_message_is_not_claimed_again_until_its_lease_ends(app, smtp_server):
    with app.app_context():
        demo_paid_order(recipient=None)
        now = tomorrow()
        first = outbox.claim_next(now)
    with app.app_context():  # another worker, another session
        assert first is not None and outbox.claim_next(now) is None
        # A worker that died mid-send: the message comes back after the lease.
        assert outbox.claim_next(now + outbox.LEASE + timedelta(seconds=1)) == first


@pytest.mark.postgresql_only
def test_a_message_locked_by_another_worker_is_skipped_not_waited_for(app, smtp_server):
    with app.app_context():
        demo_paid_order()
        locked, free = [m.id for m in rows()]
        now = tomorrow()
        with db.engine.connect() as other_worker:
            other_worker.begin()
            other_worker.execute(text("SELECT id FROM outbox_message WHERE id = :id FOR UPDATE"),
                                 {"id": locked})
            reports = []
            sender = threading.Thread(target=lambda: reports.append(_send_in_new_context(app, now)))
            sender.start()
            sender.join(30)  # without SKIP LOCKED this would wait on the other worker's lock
            assert not sender.is_alive() and reports[0].sent == [free]
            other_worker.rollback()
        assert outbox.send_due(now).sent == [locked]
        assert len(smtp_server.messages) == 2


def _send_in_new_context(app, now):
    with app.app_context():
        try:
            return outbox.send_due(now)
        finally:
            db.session.remove()


def test_two_workers_at_once_never_send_a_message_twice(app, smtp_server):
    with app.app_context():
        for _ in range(3):
            demo_paid_order(quantity=3)
        total = len(rows())
        assert total == 12
        for message in rows():  # render the PDFs up front, so the race is about SMTP
            outbox.build_email(message, utcnow())
    smtp_server.delay = 0.05  # each send takes a while, so the workers overlap
    now = tomorrow()
    start = threading.Barrier(2)
    reports, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait(10)
                reports.append(outbox.send_due(now, limit=50))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    sent_ids = [i for report in reports for i in report.sent]
    assert sorted(sent_ids) == sorted(set(sent_ids)) and len(sent_ids) == total
    assert all(report.sent for report in reports), "both workers should have taken a share"
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert len(received) == total and len(set(received)) == total
    with app.app_context():
        assert all(m.status == "sent" and m.attempts == 1 for m in rows())


def test_outbox_run_once_from_the_cli(app, runner, smtp_server):
    with app.app_context():
        demo_paid_order()
        make_all_due()
        db.session.remove()
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 2, retrying 0, failed 0" in result.output
    assert sorted(m["To"] for m in smtp_server.messages) == ["ana@example.com", "ben@example.com"]


def test_outbox_run_refuses_without_a_mail_server(app, runner):
    app.config["MAIL_SERVER"] = ""
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code != 0 and "MAIL_SERVER is not set" in result.output


def test_the_background_sender_delivers_and_stops(app, smtp_server):
    with app.app_context():
        demo_paid_order()
        make_all_due()
        db.session.remove()
    stop = threading.Event()
    thread = threading.Thread(target=outbox.run_forever, args=(app,),
                              kwargs={"interval": 0.05, "stop": stop})
    thread.start()
    try:
        # Bounded wait for a real thread and a real server, not for a clock.
        for _ in range(400):
            if len(smtp_server.messages) >= 2:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert sorted(m["To"] for m in smtp_server.messages) == ["ana@example.com", "ben@example.com"]


def test_make_runs_entry_point_starts_the_sender_thread_only_when_configured(
        app, smtp_server, tmp_path):
    from tests.conftest import make_app

    assert "outbox_sender" not in app.extensions  # testing: never
    with app.app_context():
        demo_paid_order()
        make_all_due()
        database_url = str(db.engine.url.render_as_string(hide_password=False))
        db.session.remove()
    settings = {"TESTING": False, "OUTBOX_THREAD": True, **smtp_server.config()}
    plain = make_app(database_url, tmp_path, **settings)
    assert "outbox_sender" not in plain.extensions  # create_app starts no thread
    quiet = create_dev_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url, PDF_CACHE_DIR=str(
        tmp_path / "pdf-cache"), INSTANCE_DIR=str(tmp_path), **{**settings, "MAIL_SERVER": ""}))
    assert "outbox_sender" not in quiet.extensions  # no mail server: the page shows the outbox
    live = create_dev_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url, PDF_CACHE_DIR=str(
        tmp_path / "pdf-cache"), INSTANCE_DIR=str(tmp_path), **settings))
    sender = live.extensions["outbox_sender"]
    try:
        for _ in range(400):  # bounded wait for the thread's first pass
            if len(smtp_server.messages) >= 2:
                break
            sender["stop"].wait(0.05)
    finally:
        sender["stop"].set()
        sender["thread"].join(30)
    assert not sender["thread"].is_alive()
    assert sorted(m["To"] for m in smtp_server.messages) == ["ana@example.com", "ben@example.com"]
    with live.app_context():
        db.engine.dispose()
