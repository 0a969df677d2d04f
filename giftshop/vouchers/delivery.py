"""Queueing the emails that deliver vouchers (sending is `vouchers/outbox.py`'s job).

Rows are written in the caller's transaction (fulfilment's, for receipts and
deliveries), so an email exists if and only if what it announces was committed.
"""
import secrets
from datetime import date, datetime, time, timezone

from flask import current_app, render_template
from sqlalchemy import select, update

from giftshop.audit import record_audit
from giftshop.email_address import INVALID, is_email
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import Order, OutboxMessage, Voucher, utcnow
from giftshop.vouchers import wallet
from giftshop.vouchers.codes import normalize_code
from giftshop.vouchers.ledger import lock_voucher
from giftshop.vouchers.picture import MAX_PICTURES, picture_cid
from giftshop.vouchers.qr import voucher_url
from giftshop.vouchers.search import refresh_search_text
from giftshop.localtime import LOCAL_TZ
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import OutboxStatus

DELIVERY_HOUR = time(9, 0)
_VOUCHER_EMAILS = ("delivery", "resend")


def delivery_time(deliver_on: date | None, now: datetime | None = None) -> datetime:
    """9:00 America/Los_Angeles on the delivery date, or now when that is already past."""
    now = now or utcnow()
    if deliver_on is None:
        return now
    due = datetime.combine(deliver_on, DELIVERY_HOUR, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    return max(due, now)


def message_domain() -> str:
    """The shop's host name, the right-hand side of every Message-ID."""
    domain = current_app.config["SHOP_BASE_URL"].split("://", 1)[-1].split("/", 1)[0]
    return domain.split(":", 1)[0] or "localhost"


def _message_id() -> str:
    return f"<{secrets.token_hex(16)}@{message_domain()}>"


def queue_email(*, kind: str, to_email: str, template: str, order: Order | None = None,
                voucher: Voucher | None = None, send_after: datetime | None = None,
                **context) -> OutboxMessage:
    """Render an email from `templates/email/<template>.{subject.txt,txt,html}` into the outbox.

    Does not commit: the message is sent only if the caller's transaction commits.
    The Message-ID is fixed here, so every retry of this row is the same email.
    """
    base_url = current_app.config["SHOP_BASE_URL"]
    context.update(order=order, voucher=voucher, base_url=base_url, picture_cid=picture_cid,
                   max_pictures=MAX_PICTURES)
    if voucher is not None:
        context.update(voucher_link=voucher_url(voucher.code),
                       pdf_link=f"{voucher_url(voucher.code)}.pdf",
                       wallet_link=wallet.pass_url(voucher.code))
    if order is not None:
        context.setdefault("order_link", order_url(order))
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    due = send_after or utcnow()
    message = OutboxMessage(
        kind=kind, order_id=order.id if order else None,
        voucher_id=voucher.id if voucher else None, to_email=to_email,
        subject=" ".join(subject.split())[:255],
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        message_id=_message_id(), send_after=due, next_attempt_at=due,
    )
    db.session.add(message)
    return message


def order_url(order: Order) -> str:
    """The buyer's order page as an absolute URL; needs no request (workers, CLI)."""
    path = current_app.url_map.bind("localhost").build(
        "checkout.order_page", {"public_id": order.public_id})
    return current_app.config["SHOP_BASE_URL"] + path


def queue_order_emails(order: Order, vouchers: list[Voucher], now: datetime | None = None) -> None:
    """The buyer's receipt (with every PDF) now; each recipient's email on its date.

    Does not commit.
    """
    queue_email(kind="receipt", to_email=order.purchaser_email, template="receipt",
                order=order, vouchers=vouchers, send_after=now)
    for voucher in vouchers:
        if voucher.recipient_email:
            queue_delivery(voucher, now=now)


def queue_delivery(voucher: Voucher, *, now: datetime | None = None,
                   kind: str = "delivery") -> OutboxMessage:
    """The voucher's email to its holder, due at 9:00 local on `deliver_on`. Does not commit.

    Goes to the recipient, else to the buyer (a package bought for oneself); a
    voucher with neither address is refused (ValidationFailed, 422).
    """
    to_email = voucher.recipient_email or (voucher.order.purchaser_email if voucher.order else None)
    if not to_email:
        raise ValidationFailed({"recipient_email": "This voucher has no email address."})
    send_after = delivery_time(voucher.deliver_on, now) if kind == "delivery" else now
    return queue_email(kind=kind, to_email=to_email, template="delivery",
                       order=voucher.order, voucher=voucher, send_after=send_after)


def order_voucher(order: Order, code: str) -> Voucher:
    """One of the order's vouchers by (any form of) its code; NotFound otherwise."""
    normalized = normalize_code(code or "")
    voucher = next((v for v in order.vouchers if v.code == normalized), None)
    if voucher is None:
        raise NotFound("That voucher is not part of this order.", code="unknown_code")
    return voucher


def pending_voucher_emails(voucher: Voucher) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.voucher_id == voucher.id,
                                    OutboxMessage.kind.in_(_VOUCHER_EMAILS),
                                    OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)))


@rolls_back_on_error
def resend_voucher_email(order: Order, code: str, *, now: datetime | None = None) -> OutboxMessage:
    """The buyer's resend from the order page: a paid order's voucher, as `resend`."""
    if not order.is_paid:
        raise Conflict("This order is not paid.", code="order_not_paid")
    return resend(order_voucher(order, code).id, actor=f"buyer:{order.purchaser_email}", now=now)


@rolls_back_on_error
def resend(voucher_id: int, *, staff=None, actor: str | None = None,
           now: datetime | None = None) -> OutboxMessage:
    """Queue the voucher's email again, to be sent at once (the buyer's and the owner's
    one resend). Locks the voucher; audits `voucher.email_resent`; commits.

    Idempotent while a resend is still waiting (a double click queues one email).
    Refused (409 `not_yet_delivered`) while the first delivery is still scheduled, since
    that would send early (correct the address instead), and (409 `no_email`) for a
    voucher with nobody to send to. A refusal leaves the session clean.
    """
    voucher = lock_voucher(voucher_id)
    pending = pending_voucher_emails(voucher)
    waiting = next((m for m in pending if m.kind == "resend"), None)
    if waiting is not None:
        db.session.rollback()
        return waiting
    if voucher.delivered_at is None and any(m.kind == "delivery" for m in pending):
        raise Conflict("This voucher's email is still scheduled; it has not been sent yet.",
                       code="not_yet_delivered")
    if not voucher.recipient_email and voucher.order is None:
        raise Conflict("This voucher has no email address to send to; add one first.",
                       code="no_email")
    message = queue_delivery(voucher, now=now or utcnow(), kind="resend")
    record_audit("voucher.email_resent", voucher, staff=staff, actor=actor,
                 after={"to_email": message.to_email})
    db.session.commit()
    return message


@rolls_back_on_error
def correct_recipient_email(order: Order, code: str, new_email: str, *,
                            now: datetime | None = None) -> Voucher:
    """The buyer changes where a not-yet-delivered voucher is emailed. Commits.

    Refused once the voucher has been delivered (409 `already_delivered`); otherwise
    as `readdress_voucher`.
    """
    return readdress_voucher(order_voucher(order, code).id, new_email, now=now,
                             action="voucher.recipient_email_corrected",
                             actor=f"buyer:{order.purchaser_email}")


@rolls_back_on_error
def readdress_voucher(voucher_id: int, new_email: str, *, action: str, staff=None,
                      actor: str | None = None, after_delivery: bool = False,
                      now: datetime | None = None) -> Voucher:
    """Point the voucher's email at `new_email` and reschedule it. Commits.

    Locks the voucher row; cancels its pending emails and queues a new delivery at the
    original date (at once if that is past), or a resend when it was already delivered
    and `after_delivery` allows that (the owner's case; the buyer gets 409
    `already_delivered`). A bad address is a 422 with nothing written; the same address
    is a no-op. Audited as `action` with the old and new address.
    """
    email = (new_email or "").strip()
    if not is_email(email):
        raise ValidationFailed({"recipient_email": INVALID})
    voucher = lock_voucher(voucher_id)
    if voucher.delivered_at is not None and not after_delivery:
        raise Conflict("This voucher was already delivered; use “Resend” instead.",
                       code="already_delivered")
    before = voucher.recipient_email
    if email == before:
        db.session.rollback()
        return voucher
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.voucher_id == voucher.id, OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.kind.in_(_VOUCHER_EMAILS))
        .values(status=OutboxStatus.CANCELLED, last_error="recipient email changed")
    )
    voucher.recipient_email = email
    refresh_search_text(voucher)
    queue_delivery(voucher, now=now, kind="delivery" if voucher.delivered_at is None else "resend")
    record_audit(action, voucher, staff=staff, actor=actor,
                 before={"recipient_email": before}, after={"recipient_email": email})
    db.session.commit()
    return voucher


def order_outbox(order: Order) -> list[OutboxMessage]:
    """Every email queued for the order, oldest first (shown when no mail server is set)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.order_id == order.id)
        .order_by(OutboxMessage.id)))
