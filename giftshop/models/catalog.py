from datetime import datetime
from enum import StrEnum
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow
from giftshop.models.vocab import Kind, one_of


class Design(StrEnum):
    """The certificate's occasion design: one list for the database, the API and the pages."""

    CLASSIC = "classic"
    BIRTHDAY = "birthday"
    HOLIDAY = "holiday"
    THANK_YOU = "thank_you"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def design_check(column: str = "design") -> str:
    """The CHECK constraint admitting exactly the designs of `Design`."""
    return one_of(column, Design)


def design_column():
    """`design` on order lines and vouchers: the design chosen when the order was placed."""
    return mapped_column(String(16), default=Design.CLASSIC.value,
                         server_default=Design.CLASSIC.value)


class DesignChoice(db.Model):
    """The owner's switch for one design; a design with no row is offered."""

    __tablename__ = "design_choice"
    __table_args__ = (CheckConstraint(design_check("slug"), name="slug"),)

    slug: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def id(self) -> str:  # what the audit trail records as the target's id
        return self.slug


class Product(db.Model):
    """Something sold: a money certificate (min/max bounds) or a sessions package (price)."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint(one_of("kind", Kind), name="kind"),
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
        return self.kind == Kind.MONEY

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class ProductSlug(db.Model):
    """An address a product used to have: `/p/<slug>` redirects permanently to the
    product's current page. A slug here belongs to that product alone (no other product
    may take it while it redirects); the product itself may take it back."""

    __tablename__ = "product_slug"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
