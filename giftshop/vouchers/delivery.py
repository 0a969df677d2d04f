"""Queueing the emails that deliver vouchers (sending is `vouchers/outbox.py`'s job)."""
import secrets
from datetime import date, datetime, time, timezone

from flask import current_app, render_template, url_for

from giftshop.extensions import db
from giftshop.models import Order, OutboxMessage, Voucher, utcnow
from giftshop.web import LOCAL_TZ

DELIVERY_HOUR = time(9, 0)


def delivery_time(deliver_on: date | None, now: datetime | None = None) -> datetime:
    """9:00 America/Los_Angeles on the delivery date, or now when that is already past."""
    now = now or utcnow()
    if deliver_on is None:
        return now
    due = datetime.combine(deliver_on, DELIVERY_HOUR, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    return max(due, now)


def _message_id() -> str:
    domain = current_app.config["SHOP_BASE_URL"].split("://", 1)[-1].split("/", 1)[0]
    domain = domain.split(":", 1)[0] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def queue_email(*, kind: str, to_email: str, template: str, order: Order | None = None,
                voucher: Voucher | None = None, send_after: datetime | None = None,
                **context) -> OutboxMessage:
    """Render an email from `templates/email/<template>.{txt,html}` into the outbox.

    Does not commit: the message is sent only if the caller's transaction commits.
    """
    context.update(order=order, voucher=voucher, base_url=current_app.config["SHOP_BASE_URL"])
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    message = OutboxMessage(
        kind=kind, order_id=order.id if order else None,
        voucher_id=voucher.id if voucher else None, to_email=to_email, subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        message_id=_message_id(), send_after=send_after or utcnow(),
        next_attempt_at=send_after or utcnow(),
    )
    db.session.add(message)
    return message


def order_url(order: Order) -> str:
    return current_app.config["SHOP_BASE_URL"] + url_for(
        "checkout.order_page", public_id=order.public_id)


def queue_order_emails(order: Order, vouchers: list[Voucher], now: datetime | None = None) -> None:
    """The buyer's receipt (with every PDF) now; each recipient's email on its date."""
    queue_email(kind="receipt", to_email=order.purchaser_email, template="receipt",
                order=order, vouchers=vouchers, order_link=order_url(order))
    for voucher in vouchers:
        if voucher.recipient_email:
            queue_delivery(voucher, now=now)


def queue_delivery(voucher: Voucher, *, now: datetime | None = None,
                   kind: str = "delivery") -> OutboxMessage:
    return queue_email(kind=kind, to_email=voucher.recipient_email, template="delivery",
                       order=voucher.order, voucher=voucher,
                       send_after=delivery_time(voucher.deliver_on, now))
