from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow


class AuditLog(db.Model):
    """Who changed what, when, with the state before and after. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    actor: Mapped[str] = mapped_column(String(254))  # staff email, 'stripe', 'system', 'buyer'
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
