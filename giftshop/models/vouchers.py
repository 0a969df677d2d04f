from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from giftshop.extensions import db
from giftshop.localtime import today_local
from giftshop.models.base import UTCDateTime, utcnow
from giftshop.models.catalog import design_check, design_column
from giftshop.models.vocab import (GratuityStatus, Kind, LedgerKind, VoucherState,
                                   VoucherStatus, one_of)


class Voucher(db.Model):
    """A gift certificate (cents) or a sessions package (a count).

    Its value is the sum of its ledger entries; `remaining` is a cached copy of that
    sum, written only by the ledger service under the voucher's row lock.
    """

    __tablename__ = "voucher"
    __table_args__ = (
        CheckConstraint(one_of("kind", Kind), name="kind"),
        CheckConstraint(one_of("status", VoucherStatus), name="status"),
        CheckConstraint("remaining >= 0", name="remaining_nonneg"),
        CheckConstraint("remaining <= initial", name="remaining_le_initial"),
        CheckConstraint(design_check(), name="design"),
        CheckConstraint("gratuity_cents >= 0", name="gratuity_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalized: upper case, no separators.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    initial: Mapped[int]
    remaining: Mapped[int]
    # What was paid for the whole voucher (0 for complimentary ones); values sessions.
    value_cents: Mapped[int] = mapped_column(default=0)
    service: Mapped[Optional[str]] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16), default=VoucherStatus.ACTIVE, index=True)
    frozen: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("order.id"), index=True)
    order_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("order_item.id"))
    purchaser_name: Mapped[str] = mapped_column(String(120), default="")
    recipient_name: Mapped[Optional[str]] = mapped_column(String(120))
    recipient_email: Mapped[Optional[str]] = mapped_column(String(254))
    # Names and emails folded to lower case without accents, for the desk search
    # (written by giftshop.vouchers.search.refresh_search_text).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    message: Mapped[str] = mapped_column(Text, default="")
    deliver_on: Mapped[Optional[date]]
    design: Mapped[str] = design_column()
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Only promotional (free or discounted) vouchers may expire (ORS 646A.278).
    promotional: Mapped[bool] = mapped_column(default=False)
    expires_on: Mapped[Optional[date]]
    # The campaign whose bonus this voucher is (None for every other voucher).
    bonus_campaign_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("bonus_campaign.id"), index=True)
    # The buyer's prepaid gratuity for the therapist: never part of the value (not in the
    # ledger, not redeemable, not cashed out). Paid out at the first redemption, returned
    # to the buyer by a refund that closes the voucher before that (vouchers/gratuity.py).
    gratuity_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    gratuity_paid_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    gratuity_refund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("refund.id"))
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    issue_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    order: Mapped[Optional["Order"]] = relationship(back_populates="vouchers")  # noqa: F821
    entries: Mapped[list["LedgerEntry"]] = relationship(
        back_populates="voucher", order_by="LedgerEntry.id"
    )

    @property
    def is_money(self) -> bool:
        return self.kind == Kind.MONEY

    @hybrid_method
    def value_of(self, units):
        """What `units` of this voucher are worth at the price paid: units × value_cents ÷
        initial, rounded down to the cent (a sold money certificate's cents one for one;
        sessions pro rata; nothing for a complimentary one). The refund rule and the
        liability report both use it; in a query it is the same SQL expression."""
        if self.initial <= 0:
            return 0
        return units * self.value_cents // self.initial

    @value_of.expression
    def value_of(cls, units):
        return (units * cls.value_cents) // cls.initial

    def expired(self, today: date | None = None) -> bool:
        """ORS 646A.278: a promotional voucher's printed date is the last day it is good
        for; from the next Portland day on it is expired (only issuance sets the date)."""
        if self.expires_on is None:
            return False
        return (today or today_local()) > self.expires_on

    @property
    def kind_label(self) -> str:
        """What the voucher is called on paper and pages: one session is not a package."""
        if self.is_money:
            return "Gift certificate"
        return "Massage gift certificate" if self.initial == 1 else "Session package"

    @property
    def gratuity_status(self) -> GratuityStatus:
        if not self.gratuity_cents:
            return GratuityStatus.NONE
        if self.gratuity_refund_id is not None:
            return GratuityStatus.REFUNDED
        return GratuityStatus.PAID if self.gratuity_paid_at is not None else GratuityStatus.HELD

    @property
    def display_status(self) -> VoucherState:
        if self.status != VoucherStatus.ACTIVE:
            return VoucherState(self.status)
        if self.expired():
            return VoucherState.EXPIRED
        if self.frozen:
            return VoucherState.FROZEN
        if self.remaining == 0:
            return VoucherState.USED
        return VoucherState.ACTIVE


class LedgerEntry(db.Model):
    """Append-only: rows are never updated or deleted; a mistake gets a compensating row."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint(one_of("kind", LedgerKind), name="kind"),
        UniqueConstraint("voucher_id", "idempotency_key", name="uq_ledger_entry_idempotency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Cents for money vouchers, sessions for session vouchers; negative takes value away.
    delta: Mapped[int]
    balance_after: Mapped[int]
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(255))
    # A reversal points at the entry it undoes; unique, so an entry is undone once.
    reverses_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("ledger_entry.id"), unique=True
    )
    refund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("refund.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    voucher: Mapped[Voucher] = relationship(back_populates="entries")
    staff: Mapped[Optional["Staff"]] = relationship()  # noqa: F821
