from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from giftshop.extensions import db
from giftshop.models.base import UTCDateTime, utcnow
from giftshop.models.vocab import OutboxStatus, one_of


class OutboxMessage(db.Model):
    """An email to send, written in the same transaction as what caused it.

    Attachments are derived at send time: a receipt carries its order's voucher PDFs,
    a delivery carries its voucher's PDF.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(one_of("status", OutboxStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # receipt | delivery | resend | digest | reminder
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("order.id"), index=True)
    voucher_id: Mapped[Optional[int]] = mapped_column(ForeignKey("voucher.id"), index=True)
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailOptOut(db.Model):
    """An address that asked for no more reminder emails (the unsubscribe link).

    Stored in lower case; receipts and the vouchers themselves are still sent.
    """

    __tablename__ = "email_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # 'one_click' (the mail client's List-Unsubscribe-Post) or 'page' (the confirm button).
    source: Mapped[str] = mapped_column(String(16), default="page")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
