"""How a voucher reads at the desk: what remains, its history, which actions apply."""
from dataclasses import dataclass
from datetime import timedelta

from flask import render_template
from flask_login import current_user

from giftshop.desk.forms import (CashOutForm, RedeemAmountForm, RedeemSessionsForm,
                                 ReverseForm, VoidForm)
from giftshop.desk.ledger import STAFF_REVERSAL_WINDOW, cashable, history, reversed_ids
from giftshop.models import LedgerEntry, Voucher
from giftshop.models.base import utcnow
from giftshop.vouchers.lookup import amount_text, remaining_text
from giftshop.models.vocab import GratuityStatus, LedgerKind, VoucherStatus

KIND_LABELS = {"issue": "Issued", "redeem": "Redeemed", "reverse": "Reversed",
               "cashout": "Cashed out", "void": "Voided", "refund": "Refunded",
               "adjust": "Adjusted"}
# Form prefixes keep field ids unique when several forms share the voucher screen.
PREFIX = {"redeem": "redeem", "cashout": "cashout", "void": "void", "reverse": "reverse"}


@dataclass
class HistoryRow:
    entry: LedgerEntry
    label: str
    change: str
    who: str
    reversed: bool
    can_reverse: bool


def undoable(entry: LedgerEntry, staff, undone: set[int], now) -> bool:
    """Whether this staff member may undo the entry now: a redemption not yet reversed,
    on an active voucher, within the staff window (the owner any time). The ledger
    service checks the same window again when the undo is posted."""
    in_window = staff.is_owner or now - entry.created_at <= STAFF_REVERSAL_WINDOW
    return (entry.kind == LedgerKind.REDEEM and entry.id not in undone and in_window
            and entry.voucher.status == VoucherStatus.ACTIVE)


def history_rows(voucher: Voucher, staff) -> list[HistoryRow]:
    entries = history(voucher)
    undone = reversed_ids(entries)
    now = utcnow()
    return [HistoryRow(entry=e, label=KIND_LABELS.get(e.kind, e.kind),
                       change=amount_text(voucher, abs(e.delta)),
                       who=e.staff.display_name if e.staff else "Shop",
                       reversed=e.id in undone, can_reverse=undoable(e, staff, undone, now))
            for e in entries]


def undo_form(entry: LedgerEntry, **kwargs) -> ReverseForm:
    """The one-tap undo of a redemption; its label says what comes back."""
    form = ReverseForm(prefix=PREFIX["reverse"], entry_id=str(entry.id), **kwargs)
    form.submit.label.text = f"Undo: give back {amount_text(entry.voucher, abs(entry.delta))}"
    return form


def done_screen(entry: LedgerEntry):
    """What an action did and what remains, with a one-tap Undo while the redemption
    can still be undone by whoever is signed in."""
    voucher = entry.voucher
    undo = None
    if undoable(entry, current_user, reversed_ids(history(voucher)), utcnow()):
        undo = undo_form(entry, formdata=None)
    # The first redemption pays the prepaid gratuity out (vouchers/gratuity.py): say so.
    paid_now = (entry.kind == LedgerKind.REDEEM and voucher.gratuity_status == GratuityStatus.PAID
                and voucher.gratuity_paid_at == entry.created_at)
    return render_template("desk/done.html", voucher=voucher, what=entry_summary(entry),
                           remaining=remaining_text(voucher), entry=entry, undo=undo,
                           gratuity_paid_now=paid_now)


def action_forms(voucher: Voucher, **submitted) -> dict:
    """Fresh forms (each with a new idempotency key), or the ones just submitted."""
    redeem_cls = RedeemAmountForm if voucher.is_money else RedeemSessionsForm
    forms = {
        "redeem": redeem_cls(prefix=PREFIX["redeem"], formdata=None),
        "cashout": CashOutForm(prefix=PREFIX["cashout"], formdata=None),
        "void": VoidForm(prefix=PREFIX["void"], formdata=None),
    }
    forms.update(submitted)
    return forms


def voucher_screen(voucher: Voucher, *, error: str | None = None, status: int = 200,
                   **submitted):
    staff = current_user
    rows = history_rows(voucher, staff)
    page = render_template(
        "desk/voucher.html", voucher=voucher, remaining=remaining_text(voucher),
        rows=list(reversed(rows)), forms=action_forms(voucher, **submitted), error=error,
        can_redeem=(voucher.status == VoucherStatus.ACTIVE and not voucher.frozen
                    and voucher.remaining > 0),
        can_cash_out=cashable(voucher, [r.entry for r in rows]),
        can_void=staff.is_owner and voucher.status == VoucherStatus.ACTIVE,
        amount=lambda value: amount_text(voucher, value),
        window_hours=int(STAFF_REVERSAL_WINDOW / timedelta(hours=1)),
    )
    return page, status


def entry_summary(entry: LedgerEntry) -> str:
    """"Redeemed 1 session", "Reversed +$20.00" — what one entry did, for people."""
    change = amount_text(entry.voucher, abs(entry.delta))
    return f"{KIND_LABELS.get(entry.kind, entry.kind)} {change}"
