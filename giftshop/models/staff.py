from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow
from giftshop.models.vocab import Role, one_of


class Staff(UserMixin, db.Model):
    """Someone at the front desk; the owner role may also run the back office."""

    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.STAFF)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every session's id: raising it ends all of this member's sessions.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="staff")

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session cookie names
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class ApiToken(db.Model):
    """A bearer token for the staff API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship(back_populates="tokens")

    @classmethod
    def live(cls, token_id):
        """SQL condition: token `token_id` (a value or a bind parameter) is unrevoked and
        its staff member active. Never correlated with the outer query's tables."""
        return (
            select(cls.id).join(Staff, Staff.id == cls.staff_id)
            .where(cls.id == token_id, cls.revoked_at.is_(None), Staff.active.is_(True))
            .correlate(None)
            .exists()
        )
