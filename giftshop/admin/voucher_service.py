"""The owner's corrections to a voucher's delivery: change the recipient's email, resend.

Unlike the buyer's own correction on the order page (vouchers/delivery.py), the owner
may change the address after delivery too (a typo found later): pending emails to the
old address are cancelled and the voucher is emailed to the new one at once (or on
its delivery date when that is still ahead). Each change locks the voucher, is
audited with the owner as actor, and commits.
"""
from giftshop.errors import NotFound
from giftshop.extensions import db
from giftshop.models import OutboxMessage, Voucher
from giftshop.vouchers.delivery import readdress_voucher, resend


def get_voucher(voucher_id: int) -> Voucher:
    voucher = db.session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound("No voucher has that number.")
    return voucher


def change_recipient_email(voucher_id: int, new_email: str, *, staff) -> Voucher:
    """The owner points the voucher's email at `new_email` and (re)sends it there, also
    after delivery. Commits; see `vouchers.delivery.readdress_voucher`."""
    return readdress_voucher(get_voucher(voucher_id).id, new_email, staff=staff,
                             action="voucher.recipient_email_changed", after_delivery=True)


def resend_email(voucher_id: int, *, staff) -> OutboxMessage:
    """The owner's Resend: `vouchers.delivery.resend` (double-click guard, not before the
    first delivery, 409 without an address), audited with the owner as actor. Commits."""
    return resend(get_voucher(voucher_id).id, staff=staff)
