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


class PromoCode(db.Model):
    """A code the buyer types at checkout: `percent_off` or `amount_off_cents` off the
    gifts, usable on local dates `starts_on`..`ends_on`, at most `max_uses` paid orders
    (None: no limit), while `active`. `code` is stored upper-case (typed in any case)."""

    __tablename__ = "promo_code"
    __table_args__ = (
        CheckConstraint("(percent_off IS NULL) <> (amount_off_cents IS NULL)", name="one_kind"),
        CheckConstraint("percent_off IS NULL OR percent_off BETWEEN 1 AND 100", name="percent"),
        CheckConstraint("amount_off_cents IS NULL OR amount_off_cents > 0", name="amount"),
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    percent_off: Mapped[Optional[int]]
    amount_off_cents: Mapped[Optional[int]]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    max_uses: Mapped[Optional[int]]
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def describe(self) -> str:
        if self.percent_off is not None:
            return f"{self.percent_off}% off"
        dollars, cents = divmod(self.amount_off_cents, 100)
        return f"${dollars:,}{f'.{cents:02d}' if cents else ''} off"
