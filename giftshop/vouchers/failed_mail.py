"""Emails that could not be delivered, and the owner's daily digest of them.

A message ends `failed` after a 5xx refusal or MAX_ATTEMPTS tries. It stays
"unresolved" until a newer email for the same voucher (or the same order's
receipt) is queued or sent, e.g. after the owner fixes the address or resends:
the back office dashboard lists the unresolved ones.

The digest is one email a day per active owner, queued through the same outbox
at DIGEST_HOUR Pacific when something is unresolved. It never reports itself:
digest messages are left out of the list, so a bouncing owner address cannot
feed a loop. "Once a day" holds across workers and restarts because its
Message-ID is derived from the day and the owner, and Message-IDs are unique.
"""
from datetime import datetime, time

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from giftshop.extensions import db
from giftshop.models import OutboxMessage, Staff, utcnow
from giftshop.localtime import LOCAL_TZ
from giftshop.vouchers.delivery import message_domain, queue_email
from giftshop.models.vocab import OutboxStatus

DIGEST = "digest"
DIGEST_HOUR = time(8, 0)


def unresolved_failures(limit: int = 50) -> list[OutboxMessage]:
    """Failed customer emails with nothing newer queued or sent for the same thing."""
    newer = aliased(OutboxMessage)
    superseded = exists().where(
        newer.id > OutboxMessage.id, newer.status.in_((OutboxStatus.PENDING, OutboxStatus.SENT)),
        or_(and_(OutboxMessage.voucher_id.is_not(None), newer.voucher_id == OutboxMessage.voucher_id),
            and_(OutboxMessage.voucher_id.is_(None), newer.voucher_id.is_(None),
                 newer.order_id == OutboxMessage.order_id, newer.kind == OutboxMessage.kind)))
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.kind != DIGEST,
               ~superseded)
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def queue_owner_digest(now: datetime | None = None) -> list[OutboxMessage]:
    """Queue today's digest for each active owner, if anything is unresolved. Commits.

    Idempotent per Pacific day and owner (a repeat or a racing worker queues
    nothing); before DIGEST_HOUR, or with nothing to report, it does nothing.
    """
    now = now or utcnow()
    local = now.astimezone(LOCAL_TZ)
    failures = unresolved_failures()
    if local.time() < DIGEST_HOUR or not failures:
        return []
    queued = []
    owners = db.session.scalars(select(Staff).where(Staff.role == "owner", Staff.active))
    for owner in list(owners):
        message_id = _digest_id(local.date().isoformat(), owner.id)
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == message_id)):
            continue
        message = queue_email(kind=DIGEST, to_email=owner.email, template="owner_digest",
                              failures=failures, day=local.date(), send_after=now)
        message.message_id = message_id
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another worker queued it first
            continue
        queued.append(message)
    return queued


def _digest_id(day: str, owner_id: int) -> str:
    return f"<digest-{day}-{owner_id}@{message_domain()}>"
