"""Sending the email outbox over SMTP, safely from several workers at once.

Each message goes through claim → send → mark:

1. claim: in a short transaction, pick up to CLAIM_BATCH due pending rows with
   `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer anyway),
   then push their `next_attempt_at` a lease into the future and count the attempt,
   and commit. Another worker skips the rows while they are locked and, once the
   claim is committed, no longer finds them due: a message is handed to one worker
   only, so any number of workers (`outbox run --workers N`) may run side by side.
2. send: build the MIME message (text + HTML + PDF attachments) and talk SMTP,
   outside any transaction, over one connection for the batch (`Mailer`).
3. mark: `sent` (and the voucher's `delivered_at` for deliveries), or a retry at
   an exponentially growing delay, or `failed` after MAX_ATTEMPTS or a permanent
   (5xx) refusal.

A worker that dies between send and mark leaves the row to be retried when the
lease ends; the stable Message-ID lets the receiving side spot that rare repeat.
"""
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import Flask, current_app
from sqlalchemy import select, update

from giftshop.extensions import db
from giftshop.models import OutboxMessage, Voucher, utcnow
from giftshop.vouchers import reminders
from giftshop.vouchers.failed_mail import queue_owner_digest
from giftshop.vouchers.pdf import pdf_filename, voucher_pdf
from giftshop.vouchers.picture import MAX_PICTURES, picture_cid, voucher_png
from giftshop.models.vocab import OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
# Longer than any one send can take (SMTP timeout + PDF rendering).
LEASE = timedelta(minutes=15)
SMTP_TIMEOUT = 30
# Messages claimed at once: one round trip and one SMTP connection for them. A worker
# that dies leaves at most this many waiting for the lease.
CLAIM_BATCH = 10


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: 1, 2, 4 … minutes, capped."""
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


def send_due(now: datetime | None = None, limit: int = 20,
             stop: threading.Event | None = None) -> SendReport:
    """Send up to `limit` messages that are due at `now`; returns what happened to each.

    Guarantees: a message is claimed (and so sent) by one worker only; every
    outcome is committed before the next message is sent; never raises for a
    failed send (the row records the error and when to try again). Messages are
    claimed CLAIM_BATCH at a time and sent over one SMTP connection. When `stop`
    is set, the current message is finished and the rest of the batch is released
    for the next worker at once (not after the lease).
    """
    now = now or utcnow()
    report = SendReport()
    done = 0
    with Mailer(current_app.config) as mailer:
        while done < limit:
            batch = claim_batch(now, min(CLAIM_BATCH, limit - done))
            if not batch:
                break
            for n, message_id in enumerate(batch):
                if stop is not None and stop.is_set():
                    release(batch[n:], now)
                    return report
                getattr(report, _deliver(message_id, now, mailer)).append(message_id)
                done += 1
    return report


def claim_batch(now: datetime, size: int) -> list[int]:
    """Claim up to `size` due pending messages for this worker (commits), oldest first.

    `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL: rows another worker is claiming
    are skipped, not waited for. The UPDATE re-checks that each row is still due, so
    on SQLite (no row locks, one writer at a time) rows a racing worker claimed first
    are left out; a batch it took whole is looked for again.
    """
    while True:
        candidates = db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        if not candidates:
            db.session.rollback()
            return []
        claimed = set(db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
        ).all())
        db.session.commit()
        if claimed:
            return [i for i in candidates if i in claimed]


def claim_next(now: datetime) -> int | None:
    """Claim one due pending message for this worker (commits); None when none is due."""
    batch = claim_batch(now, 1)
    return batch[0] if batch else None


def release(message_ids: list[int], now: datetime) -> None:
    """Hand claimed, unsent messages back: due again at once, the claim's attempt uncounted."""
    if message_ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at == now + LEASE)
            .values(next_attempt_at=now, attempts=OutboxMessage.attempts - 1))
        db.session.commit()


def _deliver(message_id: int, now: datetime, mailer: "Mailer") -> str:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if row.kind == reminders.REMINDER and (why := reminders.still_wanted(row, now)):
        row.status, row.last_error = OutboxStatus.CANCELLED, why
        db.session.commit()
        return "cancelled"
    try:
        email = build_email(row, now)
        db.session.rollback()  # end the read transaction: hold nothing while talking SMTP
        mailer.send(email)
    except Exception as exc:  # noqa: BLE001 — any failure is recorded and retried
        db.session.rollback()
        return _record_failure(message_id, now, exc)
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, ""
    if row.voucher_id is not None and row.kind in ("delivery", "resend"):
        db.session.execute(update(Voucher).where(Voucher.id == row.voucher_id,
                                                 Voucher.delivered_at.is_(None))
                           .values(delivered_at=now))
    db.session.commit()
    return "sent"


def _record_failure(message_id: int, now: datetime, exc: Exception) -> str:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    row.last_error = describe_failure(exc)[:2000]
    if _is_permanent(exc) or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        outcome = "failed"
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        outcome = "retrying"
    db.session.commit()
    log.warning("outbox message %s not sent (attempt %s, %s): %s",
                message_id, row.attempts, outcome, row.last_error)
    return outcome


def describe_failure(exc: Exception) -> str:
    """The reason as the owner reads it on the dashboard: the server's reply, not a repr."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {reply.decode(errors='replace')} (recipient refused)"
                         for code, reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"{exc.smtp_code} {reply}"
    return f"{type(exc).__name__}: {exc}"


def _is_permanent(exc: Exception) -> bool:
    """A 5xx reply means the server will never take this message as it is."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def attachments_for(row: OutboxMessage) -> list[Voucher]:
    """A receipt carries every voucher of its order; a delivery its own voucher; a
    reminder (or the owner's digest) nothing."""
    if row.kind in (reminders.REMINDER, "digest"):
        return []
    if row.kind == "receipt" and row.order_id is not None:
        return list(db.session.scalars(
            select(Voucher).where(Voucher.order_id == row.order_id).order_by(Voucher.id)))
    if row.voucher_id is not None:
        return [db.session.get(Voucher, row.voucher_id)]
    return []


def build_email(row: OutboxMessage, now: datetime) -> EmailMessage:
    """The MIME message for a row: text and HTML alternatives (the HTML with its
    certificate pictures inline) plus the PDFs."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = row.to_email
    email["Subject"] = row.subject
    email["Message-ID"] = row.message_id
    email["Date"] = format_datetime(now)
    if row.kind == reminders.REMINDER:  # RFC 8058 one-click unsubscribe
        email["List-Unsubscribe"] = f"<{reminders.unsubscribe_url(row.to_email)}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(row.body_text)
    vouchers = attachments_for(row)
    if row.body_html:
        email.add_alternative(row.body_html, subtype="html")
        html_part = email.get_payload()[-1]
        # The certificate pictures the HTML shows inline (`cid:`), as related parts.
        for voucher in vouchers[:MAX_PICTURES]:
            if f"cid:{picture_cid(voucher.code)}" in row.body_html:
                html_part.add_related(voucher_png(voucher), maintype="image", subtype="png",
                                      cid=f"<{picture_cid(voucher.code)}>",
                                      filename=f"{pdf_filename(voucher)[:-4]}.png")
    for voucher in vouchers:
        email.add_attachment(voucher_pdf(voucher), maintype="application", subtype="pdf",
                             filename=pdf_filename(voucher))
    return email


def smtp_connect(config) -> smtplib.SMTP:
    """An open, authenticated SMTP connection; raises whatever smtplib raises."""
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


class Mailer:
    """One SMTP connection for a batch of messages: opened at the first send, kept
    while the server answers (a refused message leaves it usable: smtplib resets the
    transaction), dropped after any other failure and opened again for the next one."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        fresh = self.smtp is None
        if fresh:
            self.smtp = smtp_connect(self.config)
        try:
            self.smtp.send_message(email)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            if fresh:
                raise
            self.send(email)  # the server dropped the kept connection: once more, on a new one
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_pass(now: datetime | None = None, limit: int = 20,
             stop: threading.Event | None = None) -> SendReport:
    """One worker pass: queue the owner's daily digest when it is due, and the holders'
    reminders in the daytime when they are on, then send."""
    now = now or utcnow()
    queue_owner_digest(now)
    if reminders.enabled() and reminders.is_daytime(now):
        reminders.queue_due_reminders(now)
    return send_due(now, limit=limit, stop=stop)


def run_forever(app: Flask, *, interval: float = 15.0, stop: threading.Event | None = None,
                limit: int = 20) -> None:
    """Send due messages every `interval` seconds until `stop` is set."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            with app.app_context():
                report = run_pass(limit=limit, stop=stop)
                db.session.remove()
        except Exception:  # noqa: BLE001 — keep the sender alive through a DB hiccup
            log.exception("outbox sender pass failed")
            continue_after = interval
        else:
            # A full batch means more may be waiting: go again at once.
            done = report.sent + report.retrying + report.failed + report.cancelled
            continue_after = 0 if len(done) >= limit else interval
        stop.wait(continue_after)


def start_sender_thread(app: Flask, *, interval: float = 15.0) -> threading.Thread:
    """A daemon thread running `run_forever` for `make run` (OUTBOX_THREAD=1).

    `app.extensions["outbox_sender"]["stop"]` is the Event that ends it.
    """
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app,),
                              kwargs={"interval": interval, "stop": stop},
                              name="outbox-sender", daemon=True)
    app.extensions["outbox_sender"] = {"thread": thread, "stop": stop}
    thread.start()
    return thread
