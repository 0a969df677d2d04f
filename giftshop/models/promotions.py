from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow


class BonusCampaign(db.Model):
    """Between two local dates, a paid order of at least `min_purchase_cents` also earns
    the buyer a promotional money voucher of `bonus_cents` expiring on `bonus_expires_on`."""

    __tablename__ = "bonus_campaign"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("bonus_expires_on > ends_on", name="expires_after_end"),
        CheckConstraint("min_purchase_cents > 0", name="min_positive"),
        CheckConstraint("bonus_cents > 0", name="bonus_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    min_purchase_cents: Mapped[int]
    bonus_cents: Mapped[int]
    bonus_expires_on: Mapped[date]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
