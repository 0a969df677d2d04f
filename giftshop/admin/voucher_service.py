"""The owner's corrections to a voucher's delivery: change the recipient's email, resend.

Unlike the buyer's own correction on the order page (vouchers/delivery.py), the owner
may change the address after delivery too (a typo found later): pending emails to the
old address are cancelled and the voucher is emailed to the new one at once (or on
its delivery date when that is still ahead). Each change locks the voucher, is
audited with the owner as actor, and commits.
"""
from sqlalchemy import update

from giftshop.audit import record_audit
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import OutboxMessage, Voucher
from giftshop.vouchers.delivery import EMAIL_RE, queue_delivery
from giftshop.vouchers.ledger import lock_voucher

_VOUCHER_EMAILS = ("delivery", "resend")


def get_voucher(voucher_id: int) -> Voucher:
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound("No voucher has that number.")
    return voucher


def change_recipient_email(voucher_id: int, new_email: str, *, staff) -> Voucher:
    """Point the voucher's email at `new_email` and (re)send it there. Commits.

    422 for a bad address (nothing written); no-op when unchanged.
    """
    email = (new_email or "").strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValidationFailed({"recipient_email": "Enter a valid email address."})
    voucher = lock_voucher(get_voucher(voucher_id).id)
    before = voucher.recipient_email
    if email == before:
        db.session.rollback()
        return voucher
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.voucher_id == voucher.id, OutboxMessage.status == "pending",
               OutboxMessage.kind.in_(_VOUCHER_EMAILS))
        .values(status="cancelled", last_error="recipient email changed by the owner"))
    voucher.recipient_email = email
    queue_delivery(voucher, kind="delivery" if voucher.delivered_at is None else "resend")
    record_audit("voucher.recipient_email_changed", voucher, staff=staff,
                 before={"recipient_email": before}, after={"recipient_email": email})
    db.session.commit()
    return voucher


def resend_email(voucher_id: int, *, staff) -> OutboxMessage:
    """Queue the voucher's email again, to go out now. Commits.

    Refused (409) for a voucher with nobody to send to.
    """
    voucher = lock_voucher(get_voucher(voucher_id).id)
    if not voucher.recipient_email and voucher.order is None:
        db.session.rollback()
        raise Conflict("This voucher has no email address to send to; add one first.",
                       code="no_email")
    message = queue_delivery(voucher, kind="resend")
    record_audit("voucher.email_resent", voucher, staff=staff,
                 after={"to_email": message.to_email})
    db.session.commit()
    return message
