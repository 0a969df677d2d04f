from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow
from giftshop.models.catalog import design_check, design_column
from giftshop.models.vocab import PAID_ORDER_STATUSES, OrderStatus, RefundStatus, one_of


class Order(db.Model):
    """A purchase. `public_id` is unguessable and is the buyer's credential for its page."""

    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(one_of("status", OrderStatus), name="status"),
        CheckConstraint("total_cents >= 0", name="total_nonneg"),
        CheckConstraint("discount_cents >= 0", name="discount_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.PENDING, index=True)
    purchaser_name: Mapped[str] = mapped_column(String(120))
    purchaser_email: Mapped[str] = mapped_column(String(254), index=True)
    total_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    stripe_session_id: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[Optional[str]] = mapped_column(String(255), index=True)
    # How it was paid: 'stripe', 'demo', or a desk method for vouchers sold by hand.
    payment_method: Mapped[str] = mapped_column(String(32), default="stripe")
    refunded_cents: Mapped[int] = mapped_column(default=0)
    dispute_status: Mapped[Optional[str]] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # A promo code: `discount_cents` is off the gifts' sum (total_cents is what is charged);
    # the order holds one of the code's uses while pending until `promo_held_until`.
    promo_code_id: Mapped[Optional[int]] = mapped_column(ForeignKey("promo_code.id"), index=True)
    discount_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    promo_held_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    vouchers: Mapped[list["Voucher"]] = relationship(  # noqa: F821
        back_populates="order", order_by="Voucher.id"
    )
    refunds: Mapped[list["Refund"]] = relationship(back_populates="order", order_by="Refund.id")
    promo_code: Mapped[Optional["PromoCode"]] = relationship()  # noqa: F821

    @property
    def subtotal_cents(self) -> int:
        """The gifts at their catalog prices, before a promo code's discount (no gratuity)."""
        return sum(item.line_total_cents for item in self.items)

    @property
    def gifts_paid_cents(self) -> int:
        """What the buyer pays for the gifts: after a promo code's discount, without gratuity."""
        return sum(item.paid_cents for item in self.items)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_ORDER_STATUSES


def _full_line_price(context) -> int:
    """An order line written without a discount was paid in full."""
    params = context.get_current_parameters()
    return params["unit_price_cents"] * (params.get("quantity") or 1)


class OrderItem(db.Model):
    """One line of an order, with the product as it was when the order was placed."""

    __tablename__ = "order_item"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 10", name="quantity"),
        CheckConstraint("unit_price_cents > 0", name="unit_price_positive"),
        CheckConstraint(design_check(), name="design"),
        CheckConstraint("gratuity_cents >= 0", name="gratuity_nonneg"),
        CheckConstraint("gratuity_percent IS NULL OR gratuity_percent BETWEEN 1 AND 100",
                        name="gratuity_percent"),
        CheckConstraint("paid_cents >= 0", name="paid_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("product.id"))
    product_slug: Mapped[str] = mapped_column(String(80))
    product_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    unit_price_cents: Mapped[int]
    sessions: Mapped[Optional[int]]
    service: Mapped[Optional[str]] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(default=1)
    recipient_name: Mapped[Optional[str]] = mapped_column(String(120))
    recipient_email: Mapped[Optional[str]] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text, default="")
    deliver_on: Mapped[date]
    design: Mapped[str] = design_column()
    # The prepaid gratuity per unit (each voucher carries one), kept apart from the
    # gift's value; `gratuity_percent` is the share chosen, None for an amount.
    gratuity_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    gratuity_percent: Mapped[Optional[int]]

    # What is charged for the whole line: line_total_cents less its share of a promo
    # code's discount (promotions/codes.py allocates it to the cent).
    paid_cents: Mapped[int] = mapped_column(default=_full_line_price)

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def line_total_cents(self) -> int:
        """The gifts' price on this line (the gratuity is charged on a line of its own)."""
        return self.unit_price_cents * self.quantity

    @property
    def gratuity_total_cents(self) -> int:
        return self.gratuity_cents * self.quantity

    def unit_paid_cents(self, unit: int) -> int:
        """What unit `unit` (0-based) of the line was paid: the line's paid amount split
        evenly, the first units taking the leftover cents."""
        share, extra = divmod(self.paid_cents, self.quantity)
        return share + (1 if unit < extra else 0)


class Refund(db.Model):
    """Money returned to the buyer through Stripe (made here or in the dashboard)."""

    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    stripe_refund_id: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(32), default=RefundStatus.SUCCEEDED)
    source: Mapped[str] = mapped_column(String(16), default="shop")
    reason: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="refunds")


class StripeEvent(db.Model):
    """Every Stripe event id seen; the primary key makes replays harmless."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
