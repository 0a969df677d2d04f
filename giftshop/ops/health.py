"""`GET /healthz` for a load balancer or uptime monitor.

200 with `{"status": "ok", "database": "ok", "outbox": {...}}` when the database
answers; 503 with `"database": "unreachable"` when it does not. The outbox part
tells a monitor whether email is stuck: how many messages are due and how long
the oldest has waited. Reads only; no session, cookie or rate limit involved.
"""
from datetime import datetime

from flask import Blueprint, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from giftshop.extensions import db, limiter
from giftshop.models import OutboxMessage, utcnow
from giftshop.models.vocab import OutboxStatus

bp = Blueprint("health", __name__)


def outbox_backlog(now: datetime) -> dict:
    """Pending messages already due at `now`, and the age in seconds of the oldest one."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.send_after))
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.send_after <= now)
    ).one()
    age = 0 if oldest is None else max(0, int((now - oldest).total_seconds()))
    return {"due": int(count), "oldest_due_age_seconds": age}


def health(now: datetime | None = None) -> tuple[bool, dict]:
    """(healthy, body). Never raises for a database fault; leaves the session clean."""
    try:
        db.session.execute(select(1))
        backlog = outbox_backlog(now or utcnow())
    except SQLAlchemyError:
        db.session.rollback()
        return False, {"status": "unavailable", "database": "unreachable"}
    db.session.rollback()
    return True, {"status": "ok", "database": "ok", "outbox": backlog}


@bp.get("/healthz")
@limiter.exempt
def healthz():
    healthy, body = health()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
