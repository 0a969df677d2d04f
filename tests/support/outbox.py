"""The outbox table and its clock, for tests that send email."""
from datetime import timedelta

from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import OutboxMessage, utcnow


def tomorrow():
    """A clock past every same-day delivery: today's are held until 9:00 Pacific."""
    return utcnow() + timedelta(days=1)


def make_all_due() -> None:
    """For tests on the real clock: today's 9:00 delivery may still be hours away."""
    db.session.execute(OutboxMessage.__table__.update().values(next_attempt_at=utcnow()))
    db.session.commit()


def rows():
    """Every outbox message, oldest first."""
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
