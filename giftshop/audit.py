"""The audit trail: who changed what, when, with the state before and after."""
from typing import Any

from giftshop.extensions import db
from giftshop.models import AuditLog


def record_audit(action: str, target, *, staff=None, actor: str | None = None,
                 before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None) -> AuditLog:
    """Append one audit row in the caller's transaction. Does not commit.

    `target` is a model instance (its table name and id are recorded). `actor` defaults
    to the staff member's email, else 'system'.
    """
    row = AuditLog(
        staff_id=getattr(staff, "id", None),
        actor=actor or getattr(staff, "email", None) or "system",
        action=action,
        target_type=target.__tablename__,
        target_id=str(target.id),
        before=before,
        after=after,
    )
    db.session.add(row)
    return row
