from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow

MONEY = "money"
SESSIONS = "sessions"


class Product(db.Model):
    """Something sold: a money certificate (min/max bounds) or a sessions package (price)."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("kind in ('money', 'sessions')", name="kind"),
        CheckConstraint(
            "(kind = 'money' AND min_cents IS NOT NULL AND max_cents IS NOT NULL"
            " AND min_cents > 0 AND max_cents >= min_cents)"
            " OR (kind = 'sessions' AND price_cents IS NOT NULL AND price_cents > 0"
            " AND sessions IS NOT NULL AND sessions > 0)",
            name="kind_fields",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[Optional[int]]
    min_cents: Mapped[Optional[int]]
    max_cents: Mapped[Optional[int]]
    sessions: Mapped[Optional[int]]
    service: Mapped[Optional[str]] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_money(self) -> bool:
        return self.kind == MONEY

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"
