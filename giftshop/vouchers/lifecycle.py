"""A voucher's life after issue: void, freeze, unfreeze, close, reopen. The one home of
these rules, and the only code that writes `Voucher.status` or `Voucher.frozen`.

The desk and the staff API (the owner's void), refunds (a voucher refunded to zero is
closed; a refund Stripe failed reopens it) and payment disputes (freeze while Stripe
decides; unfreeze when won, void when lost) all call these functions. Each takes a
voucher whose row the caller already holds locked (`vouchers.ledger.lock_voucher`),
writes any ledger entry through `record_entry`, records an audit row where the change
is the owner's or Stripe's, and leaves the commit to the caller's transaction.

Expiry is not a change of state: a promotional voucher's printed date is compared with
Portland's today when it is read (`Voucher.expired`), and the ledger then refuses to
redeem or cash it out; nothing here writes it.
"""
from giftshop.audit import record_audit
from giftshop.models import LedgerEntry, Voucher
from giftshop.vouchers.ledger import record_entry
from giftshop.models.vocab import LedgerKind, VoucherStatus


def _state(voucher: Voucher) -> dict:
    return {"status": voucher.status, "remaining": voucher.remaining, "frozen": voucher.frozen}


def void(voucher: Voucher, *, reason: str, staff=None, actor: str | None = None,
         idempotency_key: str | None = None) -> LedgerEntry:
    """Take the voucher out of use for good: a `void` entry for all that remains, status
    `voided`, no longer frozen (there is nothing left to hold). Raises Gone when it is
    already voided or refunded. The caller holds the row lock and has answered a
    repeated `idempotency_key`; audits; does not commit."""
    before = _state(voucher)
    entry = record_entry(voucher, LedgerKind.VOID, -voucher.remaining,
                         staff_id=getattr(staff, "id", None), note=reason or "voided",
                         idempotency_key=idempotency_key)
    voucher.status = VoucherStatus.VOIDED
    voucher.frozen = False
    record_audit("voucher.void", voucher, staff=staff, actor=actor, before=before,
                 after={**_state(voucher), "reason": reason, "entry_id": entry.id,
                        "delta": entry.delta})
    return entry


def close_refunded(voucher: Voucher) -> bool:
    """After a refund entry: an active voucher with nothing left becomes `refunded` and
    takes no more redemptions. Returns whether it closed now. Caller holds the row lock;
    the refund's own audit row records it."""
    if voucher.remaining != 0 or voucher.status != VoucherStatus.ACTIVE:
        return False
    voucher.status = VoucherStatus.REFUNDED
    return True


def reopen_refunded(voucher: Voucher) -> bool:
    """Before the compensating entry of a refund Stripe failed or canceled: a voucher that
    refund had closed is `active` again (only an active voucher is refundable, so that is
    what it was). Returns whether it reopened. Caller holds the row lock; the
    `refund.failed` audit row records it."""
    if voucher.status != VoucherStatus.REFUNDED:
        return False
    voucher.status = VoucherStatus.ACTIVE
    return True


def freeze(voucher: Voucher, *, actor: str, reason: dict) -> bool:
    """Hold an active voucher while a payment dispute is open: the ledger then refuses
    redemptions and cash-outs (`frozen`). Returns whether this call froze it.
    Caller holds the row lock; audits; does not commit."""
    if voucher.status != VoucherStatus.ACTIVE or voucher.frozen:
        return False
    voucher.frozen = True
    record_audit("voucher.freeze", voucher, actor=actor, before={"frozen": False},
                 after={"frozen": True, **reason})
    return True


def unfreeze(voucher: Voucher, *, actor: str, reason: dict) -> bool:
    """Release a frozen active voucher (the dispute was won or closed harmlessly).
    Returns whether this call unfroze it. Caller holds the row lock; audits; no commit."""
    if voucher.status != VoucherStatus.ACTIVE or not voucher.frozen:
        return False
    voucher.frozen = False
    record_audit("voucher.unfreeze", voucher, actor=actor, before={"frozen": True},
                 after={"frozen": False, **reason})
    return True
