"""Reminder emails bring holders back: after the owner's delay, through the outbox to a real
SMTP server on loopback, with a one-click unsubscribe; at most one per voucher per period,
none for vouchers that cannot be used; idempotent however often or concurrently the
scheduler runs. The clock is injected (`now`)."""
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from giftshop.checkout.refunds import full_allocation, refund_order
from giftshop.extensions import db
from giftshop.localtime import LOCAL_TZ
from giftshop.models import EmailOptOut, LedgerEntry, Order, OutboxMessage, Voucher
from giftshop.vouchers import lifecycle, outbox, reminders
from giftshop.vouchers.ledger import lock_voucher, record_entry
from tests.support.factories import demo_paid_order
from tests.support.smtp import mail_settings

BOOKING = "https://book.example/west-hills"
# Noon Pacific tomorrow: later than any email queued by the real clock during the test.
T0 = (datetime.now(LOCAL_TZ) + timedelta(days=1)).replace(hour=12, minute=0, second=0,
                                                            microsecond=0)
app_config = mail_settings(BOOKING_URL=BOOKING, REMINDER_AFTER_DAYS=30, REMINDER_EVERY_DAYS=30,
                           REMINDER_MAX=2)


def day(n: int, hour: int = 12) -> datetime:
    return (T0 + timedelta(days=n)).replace(hour=hour)


def reminder_mail(smtp_server):
    return [m for m in smtp_server.messages if m["List-Unsubscribe"]]


def voucher_by_code(code: str) -> Voucher:
    return db.session.scalar(select(Voucher).where(Voucher.code == code))


def redeem(code: str, units: int, at: datetime | None = None) -> None:
    voucher = lock_voucher(voucher_by_code(code).id)
    entry = record_entry(voucher, "redeem", -units, note="desk")
    db.session.flush()
    if at is not None:  # a visit on the injected clock's day
        db.session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id)
                           .values(created_at=at))
    db.session.commit()


def four_pack(email="ben@example.com", name="Ben Holder", **kwargs) -> str:
    _, (code,) = demo_paid_order(slug="pain-management-4-pack", recipient=(name, email), **kwargs)
    return code


def test_sessions_left_bring_one_reminder_after_the_delay_with_booking_and_unsubscribe(
        app, smtp_server):
    with app.app_context():
        code = four_pack()
        redeem(code, 2)
        outbox.send_due(T0)  # receipt and delivery
        assert len(smtp_server.messages) == 2
        outbox.run_pass(day(29))
        assert reminder_mail(smtp_server) == []  # not yet: 29 days unused
        outbox.run_pass(day(30, hour=13))
        outbox.run_pass(day(30, hour=14))  # the scheduler again: nothing new
    (mail,) = reminder_mail(smtp_server)
    assert mail["To"] == "ben@example.com"
    assert mail["Subject"] == "2 of 4 sessions left — book your next one"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://shop.test/unsubscribe/")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert BOOKING in body and link in body and "(971) 336-6028" in body
    assert "2 of 4 sessions left" in html and "Ben Holder" in html
    assert not [p for p in mail.iter_attachments()]  # no PDF with a reminder
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        voucher = voucher_by_code(code)
        assert row.message_id.startswith(f"<reminder-{voucher.id}-1@")
        assert (row.status, row.created_at) == ("sent", day(30, hour=13))
        outbox.run_pass(day(59))  # within the period: nothing
        assert len(reminder_mail(smtp_server)) == 1
        outbox.run_pass(day(61))  # the next period: a second one
        assert len(reminder_mail(smtp_server)) == 2
        outbox.run_pass(day(95))
        outbox.run_pass(day(130))  # REMINDER_MAX=2 in a row without a visit: no third
        assert len(reminder_mail(smtp_server)) == 2


def test_a_visit_starts_the_clock_and_the_count_again(app, smtp_server):
    with app.app_context():
        code = four_pack()
        outbox.send_due(T0)
        outbox.run_pass(day(31))
        outbox.run_pass(day(62))
        assert len(reminder_mail(smtp_server)) == 2  # the most in a row
        redeem(code, 1, at=day(70))
        outbox.run_pass(day(95))  # 25 days after the visit: too early
        assert len(reminder_mail(smtp_server)) == 2
        outbox.run_pass(day(101))
        assert len(reminder_mail(smtp_server)) == 3
        assert reminder_mail(smtp_server)[-1]["Subject"].startswith("3 of 4 sessions left")
        ids = db.session.scalars(select(OutboxMessage.message_id)
                                 .where(OutboxMessage.kind == "reminder")).all()
        voucher_id = voucher_by_code(code).id
        assert [i.split("@")[0] for i in ids] == [f"<reminder-{voucher_id}-{n}" for n in (1, 2, 3)]


def test_money_left_and_a_single_session_have_their_own_words(app, smtp_server):
    with app.app_context():
        _, (money_code,) = demo_paid_order(amount_cents=10_000, recipient=("Cy", "cy@example.com"))
        redeem(money_code, 6_250)
        demo_paid_order(slug="pain-management-60", recipient=("Di", "di@example.com"))
        outbox.send_due(T0)
        outbox.run_pass(day(31))
    subjects = {m["To"]: m["Subject"] for m in reminder_mail(smtp_server)}
    assert subjects == {
        "cy@example.com": "$37.50 left on your gift certificate — book your next visit",
        "di@example.com": "Your 60-min Pain Management Massage is still waiting — book your "
                          "session"}


def test_no_reminder_for_vouchers_that_cannot_be_used_or_are_not_delivered(app, smtp_server):
    with app.app_context():
        voided = four_pack("voided@example.com")
        lifecycle.void(lock_voucher(voucher_by_code(voided).id), reason="test")
        db.session.commit()
        _, (refunded,) = demo_paid_order(amount_cents=5_000, recipient=("R", "refunded@example.com"))
        order = voucher_by_code(refunded).order
        refund_order(order.id, full_allocation(order), request_key="k1")
        used = four_pack("used@example.com")
        redeem(used, 4)
        frozen = four_pack("frozen@example.com")
        lifecycle.freeze(lock_voucher(voucher_by_code(frozen).id), actor="stripe",
                         reason={"dispute": "dp_test"})
        expired = four_pack("expired@example.com")
        voucher_by_code(expired).promotional = True
        voucher_by_code(expired).expires_on = day(20).date()
        db.session.commit()
        four_pack("later@example.com", deliver_on=day(60).date())  # delivered on day 60
        demo_paid_order(recipient=("Handed Over", None))  # the buyer hands it over: no address
        opted = four_pack("opted@example.com")
        reminders.opt_out("Opted@Example.com", source="page")
        _, (mine,) = demo_paid_order(slug="pain-management-4-pack", recipient=None)  # for oneself
        outbox.send_due(T0, limit=100)
        outbox.run_pass(day(31))
        # Only the package the buyer kept (the positive control) gets one, to the buyer.
        assert [m["To"] for m in reminder_mail(smtp_server)] == ["ana@example.com"]
        assert voucher_by_code(opted).delivered_at is not None
        assert voucher_by_code(mine).recipient_email is None
        outbox.send_due(day(60, hour=10), limit=100)  # the dated gift goes out
        outbox.run_pass(day(89))  # 29 days after its delivery: not yet
        assert "later@example.com" not in [m["To"] for m in reminder_mail(smtp_server)]
        outbox.run_pass(day(91))
        assert sorted(m["To"] for m in reminder_mail(smtp_server)) == [
            "ana@example.com", "ana@example.com", "later@example.com"]


def test_reminders_are_off_by_default_and_never_at_night(app, smtp_server):
    with app.app_context():
        four_pack()
        outbox.send_due(T0)
        outbox.run_pass(day(31, hour=3))  # 3 a.m. Pacific: the worker waits for daytime
        assert reminder_mail(smtp_server) == []
        app.config["REMINDER_AFTER_DAYS"] = 0
        outbox.run_pass(day(31))
        assert reminder_mail(smtp_server) == [] and reminders.due_vouchers(day(31)) == []
        app.config["REMINDER_AFTER_DAYS"] = 30
        outbox.run_pass(day(31, hour=10))
        assert len(reminder_mail(smtp_server)) == 1


def test_one_click_unsubscribe_stops_reminders_and_a_queued_one_is_cancelled(app, smtp_server):
    client = app.test_client()
    with app.app_context():
        four_pack()
        outbox.send_due(T0)
        (queued,) = reminders.queue_due_reminders(day(31))
        queued_id = queued.id
        link = reminders.unsubscribe_url("ben@example.com")
    path = link.removeprefix("http://shop.test")
    page = client.get(path)
    assert page.status_code == 200 and "Stop reminder emails?" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(EmailOptOut.id)) is None  # a GET changes nothing
    # What a mail client sends for List-Unsubscribe-Post (RFC 8058): no cookie, no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert "Already unsubscribed" in client.get(path).get_data(as_text=True)
    with app.app_context():
        (opt_out,) = db.session.scalars(select(EmailOptOut)).all()
        assert (opt_out.email, opt_out.source) == ("ben@example.com", "one_click")
        report = outbox.send_due(day(31))
        assert report.cancelled == [queued_id] and report.sent == []
        row = db.session.get(OutboxMessage, queued_id)
        assert row.status == "cancelled" and "unsubscribed" in row.last_error
        outbox.run_pass(day(70))
    assert reminder_mail(smtp_server) == []


@pytest.mark.parametrize("token", ["nonsense", "eyJmb28iOiJiYXIifQ.forged", "x" * 300])
def test_a_forged_or_damaged_unsubscribe_link_is_a_404(app, client, token):
    assert client.get(f"/unsubscribe/{token}").status_code == 404
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(EmailOptOut.id)) is None


def test_a_reminder_for_a_voucher_used_up_after_it_was_queued_is_not_sent(app, smtp_server):
    with app.app_context():
        code = four_pack()
        outbox.send_due(T0)
        (queued,) = reminders.queue_due_reminders(day(31))
        redeem(code, 4)
        assert outbox.send_due(day(31)).cancelled == [queued.id]
    assert reminder_mail(smtp_server) == []


def test_two_schedulers_at_once_queue_each_reminder_once(app, smtp_server):
    with app.app_context():
        for n in range(6):
            four_pack(f"holder{n}@example.com")
        outbox.send_due(T0, limit=100)
        expected = {v.id for v in reminders.due_vouchers(day(31))}
        assert len(expected) == 6
        db.session.remove()
    start, errors, queued = threading.Barrier(3), [], []

    def scheduler():
        try:
            with app.app_context():
                start.wait(10)
                queued.extend(m.voucher_id for m in reminders.queue_due_reminders(day(31)))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(queued) == sorted(expected)  # each voucher queued by exactly one of them
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "reminder")).all()
        assert sorted(r.voucher_id for r in rows) == sorted(expected)
        assert reminders.queue_due_reminders(day(31, hour=15)) == []  # and again: none
        outbox.send_due(day(31), limit=100)
    assert sorted(m["To"] for m in reminder_mail(smtp_server)) == [
        f"holder{n}@example.com" for n in range(6)]


def test_the_cli_lists_and_queues_what_is_due_once(app, runner, smtp_server):
    with app.app_context():
        code = four_pack()
        outbox.send_due(T0)
        # The CLI runs on the real clock: delivered 40 days ago.
        db.session.execute(update(Voucher).where(Voucher.code == code).values(
            delivered_at=reminders.utcnow() - timedelta(days=40)))
        db.session.commit()
    listed = runner.invoke(args=["reminders", "queue", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert "ben@example.com  4 of 4 sessions left" in listed.output and "1 reminder(s) due" in listed.output
    first = runner.invoke(args=["reminders", "queue"])
    assert first.exit_code == 0 and "Queued 1 reminder(s)." in first.output
    again = runner.invoke(args=["reminders", "queue"])
    assert again.exit_code == 0 and "Queued 0 reminder(s)." in again.output
    app.config["REMINDER_AFTER_DAYS"] = 0
    off = runner.invoke(args=["reminders", "queue"])
    assert off.exit_code != 0 and "REMINDER_AFTER_DAYS" in off.output
