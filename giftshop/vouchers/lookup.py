"""Lookups of a voucher by code: what a holder may see, and nothing more; and the staff
API's one-statement view of a voucher with its history."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, select

from giftshop.errors import UnknownCode
from giftshop.extensions import db
from giftshop.models import ApiToken, LedgerEntry, Staff, Voucher
from giftshop.vouchers.codes import normalize_code
from giftshop.localtime import local_date
from giftshop.money import money
from giftshop.models.vocab import VoucherState

# What each ledger kind means to a holder (staff names and notes are never shown).
PUBLIC_LABELS = {
    "issue": "Issued", "redeem": "Used", "reverse": "Use undone (correction)",
    "cashout": "Remaining balance paid out in cash", "void": "Voided", "refund": "Refunded",
    "adjust": "Adjusted",
}
STATUS_TEXT = {
    "active": "Active", "used": "Fully used", "voided": "Voided — no longer valid",
    "refunded": "Refunded — no longer valid",
    "frozen": "On hold while a payment question is resolved — call us",
}


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    what: str
    change: str
    balance_after: str


def find_by_code(text: str) -> Voucher:
    """The voucher for a typed, printed or scanned code; UnknownCode (404) otherwise."""
    code = normalize_code(text or "")
    voucher = None
    if code is not None:
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is None:
        raise UnknownCode("No voucher has that code. Check it and try again.")
    return voucher


def find_with_history(text: str, *, token_id: int | None = None) -> tuple[Voucher, list]:
    """The staff view of a voucher in one Core statement: a detached `Voucher` holding
    what the view shows (id, code, kind, status, frozen, expires_on, initial, remaining,
    gratuity)
    and its entries oldest first as rows (entry_id, entry_kind, delta, balance_after,
    created_at, staff_email, note, reverses_id). UnknownCode (404) when there is none,
    or when `token_id` is given and that API token is no longer live (revoked, or its
    staff member disabled). Read-only."""
    code = normalize_code(text or "")
    if code is None:
        raise UnknownCode("No voucher has that code. Check it and try again.")
    params = {"code": code} if token_id is None else {"code": code, "token_id": token_id}
    rows = db.session.connection().execute(_staff_view(token_id is not None), params).all()
    if not rows:
        raise UnknownCode("No voucher has that code. Check it and try again.")
    first = rows[0]
    voucher = Voucher(id=first.id, code=first.code, kind=first.kind, status=first.status,
                      frozen=first.frozen, expires_on=first.expires_on, initial=first.initial,
                      remaining=first.remaining, gratuity_cents=first.gratuity_cents,
                      gratuity_paid_at=first.gratuity_paid_at,
                      gratuity_refund_id=first.gratuity_refund_id)
    return voucher, [row for row in rows if row.entry_id is not None]


@lru_cache(maxsize=2)
def _staff_view(with_token: bool):
    """Built once per process (bound parameters), not on every request."""
    v, e = Voucher.__table__, LedgerEntry.__table__
    by = Staff.__table__.alias("entry_staff")
    stmt = (
        select(v.c.id, v.c.code, v.c.kind, v.c.status, v.c.frozen, v.c.expires_on, v.c.initial,
               v.c.remaining, v.c.gratuity_cents, v.c.gratuity_paid_at, v.c.gratuity_refund_id,
               e.c.id.label("entry_id"), e.c.kind.label("entry_kind"), e.c.delta,
               e.c.balance_after, e.c.created_at, by.c.email.label("staff_email"), e.c.note,
               e.c.reverses_id)
        .select_from(v.outerjoin(e, e.c.voucher_id == v.c.id)
                     .outerjoin(by, by.c.id == e.c.staff_id))
        .where(v.c.code == bindparam("code"))
        .order_by(e.c.id)
    )
    return stmt.where(ApiToken.live(bindparam("token_id"))) if with_token else stmt


def sessions_text(count: int) -> str:
    """"1 session", "3 sessions", "-1 session": the one pluralisation of a session count."""
    return f"{count} session" if abs(count) == 1 else f"{count} sessions"


def amount_text(voucher: Voucher, value: int) -> str:
    """Cents as money for a money voucher, a session count for a package."""
    if voucher.is_money:
        return money(value)
    return sessions_text(value)


def gratuity_text(cents: int) -> str:
    """The one wording of a prepaid gratuity: certificate, pages, emails, Wallet pass."""
    return f"Gratuity of {money(cents)} included for your therapist"


def remaining_text(voucher: Voucher) -> str:
    """"$62.50 of $100.00" or "3 of 4 sessions left" (holder page, desk, wallet pass)."""
    if voucher.is_money:
        return f"{money(voucher.remaining)} of {money(voucher.initial)}"
    return f"{voucher.remaining} of {sessions_text(voucher.initial)} left"


def public_history(voucher: Voucher) -> list[PublicEntry]:
    """The voucher's ledger, oldest first, as a holder may see it: dates and amounts only."""
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.voucher_id == voucher.id).order_by(LedgerEntry.id))
    history = []
    for entry in entries:
        sign = "+" if entry.delta > 0 and entry.kind != "issue" else ""
        change = sign + amount_text(voucher, entry.delta) if entry.delta else "—"
        history.append(PublicEntry(at=entry.created_at, what=PUBLIC_LABELS.get(entry.kind, "Changed"),
                                   change=change, balance_after=amount_text(voucher, entry.balance_after)))
    return history


def status_text(voucher: Voucher) -> str:
    if voucher.display_status == VoucherState.EXPIRED:
        return f"Expired on {local_date(voucher.expires_on)} — no longer valid"
    return STATUS_TEXT.get(voucher.display_status, voucher.display_status)
