"""What happens to a voucher's prepaid gratuity after the sale (the one home of its rules).

The gratuity is money the buyer gave the therapist, charged with the order but never part
of the voucher's value: it is not in the ledger, so it is never redeemed, never counted in
the balance or the liability, and never cashed out. Its life, in `voucher` columns:

- **held** from the sale until the first session: the shop holds it for the therapist;
- **paid** (`gratuity_paid_at`) at the voucher's first redemption, in the same transaction:
  the session was given, so the gratuity is the therapist's from then on. Undoing that
  redemption (when no other redemption stands) makes it held again;
- **refunded** (`gratuity_refund_id`) when a refund takes all that remains on a voucher
  whose gratuity is still held: the buyer gets the gratuity back with the gift. A refund
  that leaves value on the voucher leaves the gratuity held (a session is still to come);
  once paid, refunds no longer return it. A refund Stripe fails or cancels makes it held
  again.

Every function runs under the caller's row locks and transaction; none commits.
"""
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher, utcnow
from giftshop.models.vocab import GratuityStatus, LedgerKind


def pay_out(voucher: Voucher, entry: LedgerEntry) -> bool:
    """After a redemption entry: the first one pays a held gratuity out. True if it did."""
    if entry.kind != LedgerKind.REDEEM or voucher.gratuity_status != GratuityStatus.HELD:
        return False
    voucher.gratuity_paid_at = entry.created_at or utcnow()
    return True


def _standing_redemption(voucher_id: int):
    undo = aliased(LedgerEntry)
    return exists().where(
        LedgerEntry.voucher_id == voucher_id, LedgerEntry.kind == LedgerKind.REDEEM,
        ~exists().where(undo.reverses_id == LedgerEntry.id))


def after_reversal(voucher: Voucher) -> bool:
    """After a redemption was undone: with no redemption left standing, the gratuity was
    not earned yet and is held again. True if it changed."""
    if voucher.gratuity_status != GratuityStatus.PAID:
        return False
    if db.session.scalar(select(_standing_redemption(voucher.id))):
        return False
    voucher.gratuity_paid_at = None
    return True


def returned_by_refund(voucher: Voucher, units: int) -> int:
    """The gratuity (cents) a refund of `units` gives back: all of a held gratuity when the
    refund takes everything that remains, else 0."""
    if voucher.gratuity_status == "held" and units >= voucher.remaining > 0:
        return voucher.gratuity_cents
    return 0


def mark_refunded(voucher: Voucher, refund) -> None:
    voucher.gratuity_refund_id = refund.id


def restore_after_failed_refund(refund) -> list[Voucher]:
    """A refund Stripe failed or canceled returned no gratuity either: held again."""
    vouchers = db.session.scalars(
        select(Voucher).where(Voucher.gratuity_refund_id == refund.id)).all()
    for voucher in vouchers:
        voucher.gratuity_refund_id = None
    return list(vouchers)
