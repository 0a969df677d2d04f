"""The only writer of ledger entries.

A voucher's value is the sum of its entries. A caller first locks the voucher row
with `lock_voucher` (PostgreSQL `SELECT ... FOR UPDATE`; on SQLite the database write
lock) and answers a repeated idempotency key itself; `record_entry` then re-checks
the rules against that fresh row, appends one entry and updates the cached
`remaining` under the same lock. It never commits: the caller's transaction decides.
"""
from sqlalchemy import and_, select, update

from giftshop.errors import Conflict, DomainError, Gone, UnknownCode
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher
from giftshop.vouchers.lookup import amount_text

# Kinds that may still be written to a voucher that is no longer active.
_ALLOWED_WHEN_CLOSED = {"adjust"}
# Kinds refused while the voucher is frozen by a payment dispute, or once it expired.
_BLOCKED_WHEN_FROZEN = _BLOCKED_WHEN_EXPIRED = {"redeem", "cashout"}


def lock_voucher(voucher_id: int | None = None, *, code: str | None = None) -> Voucher:
    """Lock and return the voucher (by id, or by its normalized code) with fresh column
    values, in one statement; raises UnknownCode when there is none."""
    match = Voucher.id == voucher_id if code is None else Voucher.code == code
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks; a no-op write takes the database write lock now,
        # so the read below cannot be stale when we write.
        db.session.execute(update(Voucher).where(match).values(remaining=Voucher.remaining))
    voucher = db.session.execute(
        select(Voucher)
        .where(match)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if voucher is None:
        raise UnknownCode("No voucher has that code. Check it and try again.")
    return voucher


def lock_voucher_with_key(code: str, key: str | None) -> tuple[Voucher, LedgerEntry | None]:
    """`lock_voucher(code=…)` that also returns the entry already written with `key` on
    that voucher (or None), in the same round trip: the usual case of a redemption."""
    if not key:
        return lock_voucher(code=code), None
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Voucher).where(Voucher.code == code)
                           .values(remaining=Voucher.remaining))
    row = db.session.execute(
        select(Voucher, LedgerEntry)
        .outerjoin(LedgerEntry, and_(LedgerEntry.voucher_id == Voucher.id,
                                     LedgerEntry.idempotency_key == key))
        .where(Voucher.code == code)
        .with_for_update(of=Voucher)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise UnknownCode("No voucher has that code. Check it and try again.")
    return row[0], row[1]


def find_idempotent(voucher_id: int, key: str) -> LedgerEntry | None:
    return db.session.execute(
        select(LedgerEntry).where(
            LedgerEntry.voucher_id == voucher_id, LedgerEntry.idempotency_key == key
        )
    ).scalar_one_or_none()


def _refuse_if_closed(voucher: Voucher, kind: str) -> None:
    """The voucher's state rules: voided/refunded (410), expired (410), frozen (409)."""
    if voucher.status == "voided" and kind not in _ALLOWED_WHEN_CLOSED:
        raise Gone("This voucher has been voided.", code="voided")
    if voucher.status == "refunded" and kind not in _ALLOWED_WHEN_CLOSED:
        raise Gone("This voucher has been refunded.", code="refunded")
    if kind in _BLOCKED_WHEN_EXPIRED and voucher.expired():
        raise Gone(f"This promotional voucher expired on {voucher.expires_on:%B %-d, %Y}.",
                   code="expired")
    if voucher.frozen and kind in _BLOCKED_WHEN_FROZEN:
        raise Conflict(
            "This voucher is frozen while a payment dispute is open; it cannot be redeemed.",
            code="frozen",
        )


def what_is_left(voucher: Voucher) -> str:
    """Why an overdraw is refused, in the words the desk needs: "Only 3 sessions left.",
    "Only $12.50 left.", "No sessions left"."""
    if voucher.remaining <= 0:
        return "No sessions left." if voucher.kind == "sessions" else "No balance left."
    return f"Only {amount_text(voucher, voucher.remaining)} left."


def record_entry(
    voucher: Voucher,
    kind: str,
    delta: int,
    *,
    staff_id: int | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    reverses_id: int | None = None,
    refund_id: int | None = None,
) -> LedgerEntry:
    """Append one entry and move `remaining` by `delta`, or raise a DomainError.

    Guarantees: the balance never goes below zero nor above the initial value, a
    voided or refunded voucher takes no entry but `adjust`, a frozen or expired one
    takes no redemption or cash-out. The caller must hold the voucher's row lock
    (`lock_voucher`, or a voucher created in this transaction) and must itself have
    answered a repeated `idempotency_key` (`find_idempotent`, `lock_voucher_with_key`);
    the unique key still refuses a concurrent twin with an IntegrityError. Does not commit.
    """
    _refuse_if_closed(voucher, kind)
    new_remaining = voucher.remaining + delta
    if new_remaining < 0:
        code = "no_sessions_left" if voucher.kind == "sessions" else "insufficient_balance"
        raise Conflict(what_is_left(voucher), code=code)
    if new_remaining > voucher.initial:
        raise DomainError("That would leave more than the voucher was issued for.",
                          code="over_initial", status=409)
    voucher.remaining = new_remaining
    entry = LedgerEntry(
        voucher=voucher,
        kind=kind,
        delta=delta,
        balance_after=new_remaining,
        staff_id=staff_id,
        note=note,
        idempotency_key=idempotency_key,
        reverses_id=reverses_id,
        refund_id=refund_id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
