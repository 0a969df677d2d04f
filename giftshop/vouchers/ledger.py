"""The only writer of ledger entries.

A voucher's value is the sum of its entries. A caller first locks the voucher row
with `lock_voucher` (PostgreSQL `SELECT ... FOR UPDATE`; on SQLite the database write
lock) and answers a repeated idempotency key itself; `record_entry` then re-checks
the rules against that fresh row, appends one entry and updates the cached
`remaining` under the same lock. It never commits: the caller's transaction decides.
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, false, select, text, update

from giftshop.errors import Conflict, DomainError, Gone, UnknownCode
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher
from giftshop.models.base import utcnow
from giftshop.vouchers.lookup import amount_text
from giftshop.models.vocab import Kind, LedgerKind, VoucherStatus

# Kinds that may still be written to a voucher that is no longer active.
_ALLOWED_WHEN_CLOSED = {LedgerKind.ADJUST}
# Kinds refused while the voucher is frozen by a payment dispute, or once it expired.
_BLOCKED_WHEN_FROZEN = _BLOCKED_WHEN_EXPIRED = {LedgerKind.REDEEM, LedgerKind.CASHOUT}


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


def lock_voucher_with_key(code: str, key: str | None,
                          only_if=None) -> tuple[Voucher, LedgerEntry | None]:
    """`lock_voucher(code=…)` that also returns the entry already written with `key` on
    that voucher (or None), in the same round trip: the usual case of a redemption.
    `only_if`: an extra SQL condition of the caller's, checked in that statement (the
    staff API's cached token still live); when false, UnknownCode and nothing locked."""
    if not key and only_if is None:
        return lock_voucher(code=code), None
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Voucher).where(Voucher.code == code)
                           .values(remaining=Voucher.remaining))
    stmt = (
        select(Voucher, LedgerEntry)
        .outerjoin(LedgerEntry, and_(LedgerEntry.voucher_id == Voucher.id,
                                     LedgerEntry.idempotency_key == key if key else false()))
        .where(Voucher.code == code)
        .with_for_update(of=Voucher)
        .execution_options(populate_existing=True)
    )
    row = db.session.execute(stmt if only_if is None else stmt.where(only_if)).one_or_none()
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
    if voucher.status == VoucherStatus.VOIDED and kind not in _ALLOWED_WHEN_CLOSED:
        raise Gone("This voucher has been voided.", code="voided")
    if voucher.status == VoucherStatus.REFUNDED and kind not in _ALLOWED_WHEN_CLOSED:
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
        return "No sessions left." if voucher.kind == Kind.SESSIONS else "No balance left."
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
        code = "no_sessions_left" if voucher.kind == Kind.SESSIONS else "insufficient_balance"
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


# The PostgreSQL path of a redemption: the same rules as `lock_voucher_with_key` +
# `record_entry` + the desk service's audit row, in one statement. The voucher row is
# taken FOR UPDATE only if every rule lets the entry be written (PostgreSQL re-checks
# the row's conditions on its latest version once it holds the lock, so two
# redemptions never both see the old balance); any refusal, an earlier entry under the
# same key, an unknown code or a dead API token write nothing and return no row, and
# the caller then takes the general path, which says why. The unique (voucher_id,
# idempotency_key) index still refuses a concurrent twin (IntegrityError).
_REDEEM_SQL = text("""
WITH v AS (
    SELECT voucher.id FROM voucher
    WHERE voucher.code = :code AND voucher.kind = :kind AND voucher.status = '{active}'
      AND NOT voucher.frozen AND (voucher.expires_on IS NULL OR voucher.expires_on >= :today)
      AND voucher.remaining >= :quantity
      -- a gratuity still held is paid out by this redemption: that takes the usual path
      AND (voucher.gratuity_cents = 0 OR voucher.gratuity_paid_at IS NOT NULL
           OR voucher.gratuity_refund_id IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM ledger_entry k WHERE k.voucher_id = voucher.id
                      AND k.idempotency_key = :key)
      AND (CAST(:token_id AS integer) IS NULL OR EXISTS (
          SELECT 1 FROM api_token t JOIN staff s ON s.id = t.staff_id
          WHERE t.id = :token_id AND t.revoked_at IS NULL AND s.active))
    FOR UPDATE
), upd AS (
    UPDATE voucher SET remaining = voucher.remaining - :quantity FROM v
    WHERE voucher.id = v.id AND voucher.remaining >= :quantity
    RETURNING voucher.id, voucher.code, voucher.kind, voucher.initial, voucher.remaining
), ins AS (
    INSERT INTO ledger_entry (voucher_id, kind, delta, balance_after, staff_id, note,
                              idempotency_key, created_at)
    SELECT upd.id, '{redeem}', -:quantity, upd.remaining, :staff_id, :note, :key, :now FROM upd
    RETURNING id, voucher_id
), audit AS (
    INSERT INTO audit_log (staff_id, actor, action, target_type, target_id, before, after,
                           created_at)
    SELECT :staff_id, :actor, 'voucher.redeem', 'voucher', CAST(upd.id AS varchar),
           json_build_object('remaining', upd.remaining + :quantity, 'status', '{active}'),
           json_build_object('remaining', upd.remaining, 'status', '{active}',
                             'entry_id', ins.id, 'delta', -:quantity), :now
    FROM upd JOIN ins ON ins.voucher_id = upd.id
)
SELECT ins.id AS entry_id, upd.id, upd.code, upd.kind, upd.initial, upd.remaining
FROM upd JOIN ins ON ins.voucher_id = upd.id
""".format(active=VoucherStatus.ACTIVE, redeem=LedgerKind.REDEEM))


@dataclass(frozen=True)
class Redeemed:
    """What `redeem_at_once` wrote: the entry's id and the voucher after it."""

    entry_id: int
    voucher_id: int
    code: str
    kind: str
    initial: int
    remaining: int
    created_at: datetime


def redeem_at_once(code: str, kind: str, quantity: int, key: str, *, staff_id: int | None,
                   actor: str, note: str, today: date,
                   token_id: int | None = None) -> Redeemed | None:
    """PostgreSQL only: lock, re-check every rule (active, not frozen, not expired on
    `today`, enough left, `kind` matches, no prepaid gratuity waiting to be paid out
    by it, no entry under `key`, the API token
    `token_id` still live), append the `redeem` entry of -`quantity`, move `remaining`
    and write the audit row, in one statement: in the caller's transaction if one is
    open (the caller commits), else committed by itself. None when anything stands in
    the way (nothing written)."""
    now = utcnow()
    params = {"code": code, "kind": kind, "quantity": quantity, "key": key, "today": today,
              "token_id": token_id, "staff_id": staff_id, "actor": actor, "note": note,
              "now": now}
    if db.session().in_transaction():
        row = db.session.execute(_REDEEM_SQL, params).one_or_none()
    else:
        # Nothing else is in this request's transaction: the statement commits on its
        # own, sparing the BEGIN and COMMIT round trips.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(_REDEEM_SQL, params).one_or_none()
    if row is None:
        return None
    return Redeemed(entry_id=row.entry_id, voucher_id=row.id, code=row.code, kind=row.kind,
                    initial=row.initial, remaining=row.remaining, created_at=now)
