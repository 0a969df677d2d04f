"""Public lookups of a voucher by code: what a holder may see, and nothing more."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from giftshop.errors import UnknownCode
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher
from giftshop.vouchers.codes import normalize_code
from giftshop.localtime import local_date
from giftshop.money import money

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


def sessions_text(count: int) -> str:
    """"1 session", "3 sessions", "-1 session": the one pluralisation of a session count."""
    return f"{count} session" if abs(count) == 1 else f"{count} sessions"


def amount_text(voucher: Voucher, value: int) -> str:
    """Cents as money for a money voucher, a session count for a package."""
    if voucher.is_money:
        return money(value)
    return sessions_text(value)


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
    if voucher.display_status == "expired":
        return f"Expired on {local_date(voucher.expires_on)} — no longer valid"
    return STATUS_TEXT.get(voucher.display_status, voucher.display_status)
