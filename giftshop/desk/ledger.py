"""Front-desk ledger services: redeem, reverse, cash out, void.

Every function here writes through `giftshop.vouchers.ledger.record_entry` (the only
ledger writer: it locks the voucher row, re-checks status, frozen state and balance,
and writes). On top of that each service:

- takes plain arguments (a staff member, a code, numbers), never a request;
- holds the voucher's row lock while deciding (`lock_voucher`), so its own rules
  (the reversal window, cash-out eligibility) are checked against fresh data;
- is idempotent per `idempotency_key`: a repeat, even a concurrent one, returns the
  first entry and writes nothing (a unique-key race is caught, rolled back, and
  answered with the winner's entry);
- records an audit row and commits, or raises a DomainError with a stable code,
  leaving nothing written and the session rolled back (`rolls_back_on_error`).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from giftshop.audit import record_audit
from giftshop.errors import Conflict, DomainError, NotFound, UnknownCode, ValidationFailed
from giftshop.extensions import db
from giftshop.localtime import today_local
from giftshop.models import ApiToken, LedgerEntry, Staff, Voucher
from giftshop.models.base import utcnow
from giftshop.transactions import rolls_back_on_error
from giftshop.vouchers import gratuity, lifecycle
from giftshop.vouchers.codes import normalize_code
from giftshop.vouchers.ledger import (
    find_idempotent, lock_voucher, lock_voucher_with_key, record_entry, redeem_at_once)
from giftshop.models.vocab import LedgerKind, VoucherStatus

#: Staff may undo their redemptions for this long; the owner any time.
STAFF_REVERSAL_WINDOW = timedelta(hours=24)
#: ORS 646A.276: a balance below $5 after at least one use may be taken in cash.
CASHOUT_LIMIT_CENTS = 500
MAX_NOTE = 500
# Database integers are 32-bit (SQLite's are 64): larger ids and quantities can't exist.
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Outcome:
    """What a ledger action did: the entry, the voucher after it, and whether this call
    wrote it (False when an idempotency key replayed an earlier entry)."""

    entry: LedgerEntry
    voucher: Voucher
    created: bool


def entry_by_id(entry_id) -> LedgerEntry | None:
    """The ledger entry with this id, or None (also for ids no database could hold)."""
    if isinstance(entry_id, bool) or not isinstance(entry_id, int) or not 0 < entry_id <= MAX_INT:
        return None
    return db.session.get(LedgerEntry, entry_id)


def history(voucher: Voucher) -> list[LedgerEntry]:
    """The voucher's entries, oldest first, with their staff loaded. Read-only."""
    return list(db.session.scalars(
        select(LedgerEntry).options(joinedload(LedgerEntry.staff))
        .where(LedgerEntry.voucher_id == voucher.id).order_by(LedgerEntry.id)
    ))


def reversed_ids(entries: list[LedgerEntry]) -> set[int]:
    return {e.reverses_id for e in entries if e.reverses_id is not None}


def _clean_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed({"note": f"Use at most {MAX_NOTE} characters."})
    if "\x00" in note:  # PostgreSQL text cannot hold NUL
        raise ValidationFailed({"note": "The note contains a character that cannot be stored."})
    return note


def _clean_key(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key is not None and (len(key) > 255 or not key.isprintable()):
        raise ValidationFailed({"idempotency_key": "Use up to 255 printable characters."})
    return key


def _positive_int(value, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_INT:
        raise ValidationFailed({field: f"{label} must be a whole number above zero."})
    return value


def _replay(voucher_id: int, key: str | None, kind: str, delta: int | None) -> Outcome | None:
    """Under the row lock: the earlier entry for this key, if any (else None).

    A key reused for a different action is refused rather than silently answered
    with an unrelated entry.
    """
    if not key:
        return None
    return _replayed(find_idempotent(voucher_id, key), kind, delta)


def _replayed(existing: LedgerEntry | None, kind: str, delta: int | None) -> Outcome | None:
    """The answer for an entry already written with the request's key (None: none was)."""
    if existing is None:
        return None
    if existing.kind != kind or (delta is not None and existing.delta != delta):
        raise DomainError("That Idempotency-Key was already used for a different action.",
                          code="idempotency_key_reused", status=422)
    return Outcome(existing, existing.voucher, created=False)


def _write(voucher: Voucher, kind: str, delta: int, *, staff: Staff | None, action: str,
           note: str = "", key: str | None = None, reverses_id: int | None = None,
           replay_delta: int | None = None) -> Outcome:
    """Write one entry through `record_entry`, audit it and commit.

    A unique violation means a concurrent twin won (same idempotency key, or the same
    entry reversed twice): roll back and answer with what the winner wrote, if it was
    the same action with the same `replay_delta` (None: any amount), else refuse with
    `idempotency_key_reused` exactly as `_replay` does.
    """
    before = {"remaining": voucher.remaining, "status": voucher.status}
    voucher_id = voucher.id
    try:
        # Every caller holds the row lock and has answered a repeated key (`_replay`).
        if kind == LedgerKind.VOID:
            entry = lifecycle.void(voucher, reason=note, staff=staff, idempotency_key=key)
        else:
            entry = record_entry(voucher, kind, delta, staff_id=getattr(staff, "id", None),
                                 note=note, idempotency_key=key, reverses_id=reverses_id)
            after_extra = _gratuity_change(kind, entry)
            record_audit(f"voucher.{action}", voucher, staff=staff, before=before,
                         after={"remaining": voucher.remaining, "status": voucher.status,
                                "entry_id": entry.id, "delta": delta, **after_extra})
        _commit_keeping_values()
    except IntegrityError:
        db.session.rollback()
        if key and (existing := find_idempotent(voucher_id, key)) is not None:
            # The same check as the sequential path: the winner's entry answers only
            # a request for the same action (and amount, where the caller fixed one).
            return _replayed(existing, kind, replay_delta)
        if reverses_id is not None:
            raise Conflict("That entry has already been reversed.", code="already_reversed")
        raise
    return Outcome(entry, entry.voucher, created=True)


def _gratuity_change(kind: str, entry: LedgerEntry) -> dict:
    """The prepaid gratuity is paid out by the first redemption and held again when that
    is undone (vouchers/gratuity.py); what changed, for the audit row."""
    if kind == LedgerKind.REDEEM and gratuity.pay_out(entry.voucher, entry):
        return {"gratuity": "paid"}
    if kind == LedgerKind.REVERSE and gratuity.after_reversal(entry.voucher):
        return {"gratuity": "held"}
    return {}


def _commit_keeping_values() -> None:
    """Commit without expiring what this transaction loaded: the entry and the voucher
    were written under the row lock, so their values are the committed ones, and the
    caller's answer needs no further round trips to read them back."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _known_code(text: str) -> str:
    """The normalized code, or UnknownCode for text that cannot be one."""
    code = normalize_code(text or "")
    if code is None:
        raise UnknownCode("No voucher has that code. Check it and try again.")
    return code


def _quantity(voucher: Voucher, amount_cents, sessions) -> int:
    """How much a redemption takes, in the voucher's unit (ValidationFailed otherwise)."""
    if voucher.is_money:
        if sessions is not None:
            raise ValidationFailed({"sessions": "This is a money voucher: redeem an amount."})
        return _positive_int(amount_cents, "amount_cents", "The amount in cents")
    if amount_cents is not None:
        raise ValidationFailed({"amount_cents": "This is a sessions package: redeem sessions."})
    return _positive_int(sessions, "sessions", "The number of sessions")


@rolls_back_on_error
def redeem(code: str, *, staff: Staff | None, amount_cents: int | None = None,
           sessions: int | None = None, idempotency_key: str | None = None,
           note: str = "", token_id: int | None = None) -> Outcome:
    """Take `amount_cents` from a money voucher or `sessions` from a sessions voucher.

    Locks the voucher row; never overdraws (insufficient_balance / no_sessions_left),
    refuses voided/refunded (410), expired (410) and frozen (409) vouchers. Idempotent
    per key. Audits and commits. `token_id`: the staff API's cached token, re-checked
    in the locking statement (a dead one reads as UnknownCode). On PostgreSQL a
    redemption every rule allows is one statement (`ledger.redeem_at_once`); anything
    else takes the general path below, which says why.
    """
    key, note = _clean_key(idempotency_key), _clean_note(note)
    normalized = _known_code(code)
    if (done := _redeem_at_once(normalized, staff, amount_cents, sessions, key, note,
                                token_id)) is not None:
        return done
    only_if = None if token_id is None else ApiToken.live(token_id)
    voucher, earlier = lock_voucher_with_key(normalized, key, only_if=only_if)
    quantity = _quantity(voucher, amount_cents, sessions)
    if (replayed := _replayed(earlier, LedgerKind.REDEEM, -quantity)) is not None:
        return replayed
    return _write(voucher, LedgerKind.REDEEM, -quantity, staff=staff, action="redeem", note=note,
                  key=key, replay_delta=-quantity)


def _redeem_at_once(code, staff, amount_cents, sessions, key, note, token_id) -> Outcome | None:
    """The one-statement PostgreSQL redemption, when the request is well formed and
    carries a key; None (nothing written) sends the caller down the general path."""
    if not key or db.session.get_bind().dialect.name != "postgresql":
        return None
    kind, quantity = ("money", amount_cents) if sessions is None else ("sessions", sessions)
    if (amount_cents is None) == (sessions is None) or isinstance(quantity, bool) \
            or not isinstance(quantity, int) or not 0 < quantity <= MAX_INT:
        return None  # the general path words the refusal
    try:
        done = redeem_at_once(code, kind, quantity, key, staff_id=getattr(staff, "id", None),
                              actor=getattr(staff, "email", None) or "system", note=note,
                              today=today_local(), token_id=token_id)
    except IntegrityError:
        db.session.rollback()  # a concurrent twin wrote this key first
        return None
    if done is None:
        return None
    db.session.commit()
    voucher = Voucher(id=done.voucher_id, code=done.code, kind=done.kind, initial=done.initial,
                      remaining=done.remaining, status=VoucherStatus.ACTIVE)
    entry = LedgerEntry(id=done.entry_id, voucher_id=done.voucher_id, kind=LedgerKind.REDEEM,
                        delta=-quantity, balance_after=done.remaining,
                        staff_id=getattr(staff, "id", None), note=note, idempotency_key=key,
                        created_at=done.created_at)
    return Outcome(entry, voucher, created=True)


@rolls_back_on_error
def reverse(entry_id: int, *, staff: Staff, idempotency_key: str | None = None,
            note: str = "", now: datetime | None = None) -> Outcome:
    """Undo a redemption with a compensating `reverse` entry that points at it.

    Staff may reverse within 24 hours of the redemption, the owner any time. An entry
    is reversed at most once (already_reversed), also under concurrency, because
    `reverses_id` is unique. Locks the voucher row; idempotent per key; audits; commits.
    """
    key, note = _clean_key(idempotency_key), _clean_note(note)
    target = entry_by_id(entry_id)
    if target is None:
        raise NotFound("There is no such ledger entry.", code="unknown_entry")
    if target.kind != LedgerKind.REDEEM:
        raise Conflict("Only a redemption can be reversed.", code="not_reversible")
    now = now or utcnow()
    if not staff.is_owner and now - target.created_at > STAFF_REVERSAL_WINDOW:
        raise DomainError("Redemptions older than 24 hours can only be reversed by the owner.",
                          code="reversal_window_passed", status=403)
    voucher = lock_voucher(target.voucher_id)
    if (replayed := _replay(voucher.id, key, LedgerKind.REVERSE, -target.delta)) is not None:
        return replayed
    already = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == target.id))
    if already is not None:
        raise Conflict("That redemption has already been reversed.", code="already_reversed")
    return _write(voucher, LedgerKind.REVERSE, -target.delta, staff=staff, action="reverse",
                  note=note, key=key, reverses_id=target.id, replay_delta=-target.delta)


def cashable(voucher: Voucher, entries: list[LedgerEntry] | None = None) -> bool:
    """ORS 646A.276: a money balance above $0 and under $5 after at least one
    redemption that was not reversed, on a sold certificate (never a promotional one)."""
    if not voucher.is_money or voucher.status != VoucherStatus.ACTIVE or voucher.frozen \
            or voucher.promotional:
        return False
    if not 0 < voucher.remaining < CASHOUT_LIMIT_CENTS:
        return False
    entries = history(voucher) if entries is None else entries
    undone = reversed_ids(entries)
    return any(e.kind == LedgerKind.REDEEM and e.id not in undone for e in entries)


@rolls_back_on_error
def cash_out(code: str, *, staff: Staff | None, idempotency_key: str | None = None,
             note: str = "") -> Outcome:
    """Pay out a money balance under $5 after at least one use: a `cashout` entry of
    -remaining (not_cashable otherwise). Locks; idempotent per key; audits; commits."""
    key, note = _clean_key(idempotency_key), _clean_note(note)
    voucher = lock_voucher(code=_known_code(code))
    if (replayed := _replay(voucher.id, key, LedgerKind.CASHOUT, None)) is not None:
        return replayed
    # A closed, frozen or expired voucher gets record_entry's own refusal (voided,
    # refunded, frozen, expired), which says more than "not cashable".
    closed = voucher.status != VoucherStatus.ACTIVE or voucher.frozen or voucher.expired()
    if not closed and not cashable(voucher):
        raise Conflict("Only a money balance under $5.00 after at least one redemption "
                       "can be cashed out.", code="not_cashable")
    return _write(voucher, LedgerKind.CASHOUT, -voucher.remaining, staff=staff, action="cashout",
                  note=note, key=key)


@rolls_back_on_error
def void_voucher(code: str, *, staff: Staff, reason: str,
                 idempotency_key: str | None = None) -> Outcome:
    """Owner only: take the remaining value to zero with a `void` entry carrying the
    reason, then mark the voucher voided. Locks; idempotent per key; audits; commits."""
    if staff is None or not staff.is_owner:
        raise DomainError("Only the owner can void a voucher.", code="forbidden", status=403)
    key, reason = _clean_key(idempotency_key), _clean_note(reason)
    if not reason:
        raise ValidationFailed({"reason": "Say why the voucher is being voided."})
    voucher = lock_voucher(code=_known_code(code))
    if (replayed := _replay(voucher.id, key, LedgerKind.VOID, None)) is not None:
        return replayed
    return _write(voucher, LedgerKind.VOID, -voucher.remaining, staff=staff, action="void",
                  note=reason, key=key)
