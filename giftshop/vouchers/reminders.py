"""Reminder emails that bring holders back: "2 of 4 sessions left — book your next one".

Who gets one, when (settings in config.py, read when the app is made):
- a voucher that is active, not frozen, not expired, with value left, and delivered:
  its email was sent to the recipient (`delivered_at`), or, bought for oneself, the
  buyer's receipt with the PDF was sent. A gift the buyer hands over in person has no
  holder address, so it gets none; nor does a voucher issued by hand without an email;
- to the holder's address (the recipient, else the buyer who kept it), unless that
  address unsubscribed (`EmailOptOut`);
- once it has gone REMINDER_AFTER_DAYS without a visit (since delivery, or since the
  last redemption or cash-out), at most one per voucher every REMINDER_EVERY_DAYS,
  and at most REMINDER_MAX in a row without a visit (a visit starts the count again).
REMINDER_AFTER_DAYS=0 turns reminders off.

Exactly once per period, however many schedulers run: each reminder is queued in
its own transaction that locks the voucher row and checks again that it is still
due (a scheduler that raced another waits for it, then finds its reminder), and its
Message-ID `reminder-<voucher id>-<n>` (n counts the voucher's reminders) is unique
as a last guard. `created_at` is `now` (the injected clock); it goes through the
ordinary outbox; the sender checks again just before sending and cancels it if the
voucher is no longer eligible or the address unsubscribed meanwhile.

Unsubscribing: each reminder carries a signed link (`/unsubscribe/<token>`, the
token is the address signed with SECRET_KEY) in its body and in the
`List-Unsubscribe` header with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
(RFC 8058): a mail client's POST unsubscribes at once; opening the link shows a
confirm page whose button POSTs.
"""
from datetime import datetime, time, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from giftshop.extensions import db
from giftshop.models import EmailOptOut, LedgerEntry, Order, OutboxMessage, Voucher, utcnow
from giftshop.vouchers.delivery import message_domain, queue_email
from giftshop.vouchers.ledger import lock_voucher
from giftshop.localtime import LOCAL_TZ
from giftshop.money import money
from giftshop.models.vocab import LedgerKind, OutboxStatus, VoucherStatus

REMINDER = "reminder"
VISITS = (LedgerKind.REDEEM, LedgerKind.CASHOUT)
# The outbox worker queues reminders in these Pacific hours only (not at 3 a.m.).
DAYTIME = (time(10, 0), time(18, 0))
_SALT = "giftshop.reminder-unsubscribe"


def enabled() -> bool:
    return current_app.config.get("REMINDER_AFTER_DAYS", 0) > 0


def is_daytime(now: datetime) -> bool:
    local = now.astimezone(LOCAL_TZ).time()
    return DAYTIME[0] <= local < DAYTIME[1]


def holder_address():
    """SQL: where a voucher's reminders go (the recipient, else the buyer who kept it)."""
    return func.lower(func.coalesce(Voucher.recipient_email, Order.purchaser_email))


def _eligible(now: datetime):
    """SQL conditions for a voucher that may get a reminder at `now` (see the module doc)."""
    cfg = current_app.config
    quiet_since = now - timedelta(days=cfg["REMINDER_AFTER_DAYS"])
    receipt = aliased(OutboxMessage)
    reminder = aliased(OutboxMessage)
    in_a_row = aliased(OutboxMessage)
    last_visit = select(func.max(LedgerEntry.created_at)).where(
        LedgerEntry.voucher_id == Voucher.id, LedgerEntry.kind.in_(VISITS)).scalar_subquery()
    delivered = or_(
        and_(Voucher.recipient_email.is_not(None), Voucher.delivered_at <= quiet_since),
        and_(Voucher.recipient_email.is_(None), Voucher.recipient_name.is_(None),
             exists().where(receipt.order_id == Voucher.order_id, receipt.kind == "receipt",
                            receipt.status == OutboxStatus.SENT, receipt.sent_at <= quiet_since)))
    return and_(
        Voucher.status == VoucherStatus.ACTIVE, Voucher.frozen.is_(False), Voucher.remaining > 0,
        or_(Voucher.expires_on.is_(None), Voucher.expires_on >= now.astimezone(LOCAL_TZ).date()),
        delivered,
        ~exists().where(LedgerEntry.voucher_id == Voucher.id, LedgerEntry.kind.in_(VISITS),
                        LedgerEntry.created_at > quiet_since),
        ~exists().where(reminder.voucher_id == Voucher.id, reminder.kind == REMINDER,
                        reminder.created_at
                        > now - timedelta(days=cfg["REMINDER_EVERY_DAYS"])),
        select(func.count()).select_from(in_a_row).where(
            in_a_row.voucher_id == Voucher.id, in_a_row.kind == REMINDER,
            or_(last_visit.is_(None), in_a_row.created_at > last_visit)
        ).scalar_subquery() < cfg["REMINDER_MAX"],
        ~exists().where(EmailOptOut.email == holder_address()),
    )


def due_vouchers(now: datetime, limit: int = 100) -> list[Voucher]:
    """Vouchers that should get a reminder at `now`, oldest first. Reads only."""
    if not enabled():
        return []
    return list(db.session.scalars(_due_query(now).order_by(Voucher.id).limit(limit)))


def _due_query(now: datetime):
    return select(Voucher).outerjoin(Order, Voucher.order_id == Order.id).where(_eligible(now))


def queue_due_reminders(now: datetime | None = None, limit: int = 100) -> list[OutboxMessage]:
    """Queue one reminder for each voucher due at `now`. Commits each one on its own.

    Idempotent and safe to run from several workers at once (unique Message-IDs, see
    the module doc): a reminder another run queued first is skipped, not repeated.
    """
    now = now or utcnow()
    queued = []
    for voucher_id in [v.id for v in due_vouchers(now, limit)]:
        # Lock, re-check, write: a scheduler that read the list before another one
        # queued this voucher's reminder waits here, then finds it and skips.
        voucher = lock_voucher(voucher_id)
        if db.session.scalar(_due_query(now).where(Voucher.id == voucher_id)) is None:
            db.session.rollback()
            continue
        number = 1 + db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.voucher_id == voucher.id, OutboxMessage.kind == REMINDER))
        message = queue_reminder(voucher, now, number)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another scheduler queued this reminder first
            continue
        queued.append(message)
    return queued


def holder_email(voucher: Voucher) -> str | None:
    if voucher.recipient_email:
        return voucher.recipient_email
    if voucher.recipient_name is None and voucher.order is not None:
        return voucher.order.purchaser_email
    return None


def queue_reminder(voucher: Voucher, now: datetime, number: int) -> OutboxMessage:
    """The reminder email for `voucher` in the outbox (the caller commits)."""
    to_email = holder_email(voucher)
    message = queue_email(kind=REMINDER, to_email=to_email, template="reminder",
                          order=voucher.order, voucher=voucher, send_after=now,
                          left=left_text(voucher), unsubscribe_link=unsubscribe_url(to_email))
    message.message_id = f"<reminder-{voucher.id}-{number}@{message_domain()}>"
    message.created_at = now
    return message


def left_text(voucher: Voucher) -> str:
    """What is left, as the subject and the email say it."""
    if voucher.is_money:
        return f"{money(voucher.remaining)} left on your gift certificate"
    if voucher.initial == 1:
        return f"Your {voucher.service or 'massage'} is still waiting"
    return f"{voucher.remaining} of {voucher.initial} sessions left"


def still_wanted(message: OutboxMessage, now: datetime) -> str | None:
    """None if a queued reminder should still go out; else why not (it is then cancelled)."""
    voucher = db.session.get(Voucher, message.voucher_id) if message.voucher_id else None
    if voucher is None or voucher.status != VoucherStatus.ACTIVE or voucher.remaining <= 0:
        return "the voucher has nothing left to use"
    if voucher.frozen or voucher.expired(now.astimezone(LOCAL_TZ).date()):
        return "the voucher is frozen or expired"
    if is_opted_out(message.to_email):
        return "the address unsubscribed from reminders"
    return None


# Unsubscribing ---------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(email: str) -> str:
    return _serializer().dumps(email.strip().lower())


def unsubscribe_url(email: str) -> str:
    path = current_app.url_map.bind("localhost").build(
        "reminders.unsubscribe", {"token": unsubscribe_token(email)})
    return current_app.config["SHOP_BASE_URL"] + path


def email_for_token(token: str) -> str | None:
    """The address a token was signed for, or None for a forged or damaged token."""
    try:
        email = _serializer().loads(token)
    except (BadSignature, UnicodeError, ValueError):
        return None
    return email if isinstance(email, str) and 3 <= len(email) <= 254 else None


def is_opted_out(email: str) -> bool:
    return db.session.scalar(select(EmailOptOut.id).where(
        EmailOptOut.email == email.strip().lower())) is not None


def opt_out(email: str, *, source: str) -> bool:
    """Record that `email` wants no more reminders. Commits. Idempotent: returns False
    when it had already unsubscribed (also when a concurrent request recorded it first)."""
    email = email.strip().lower()
    if is_opted_out(email):
        return False
    db.session.add(EmailOptOut(email=email, source=source))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
