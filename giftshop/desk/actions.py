"""Front-desk actions: redeem, reverse, cash out, void. Each is a confirmed POST form
carrying an idempotency key; success redirects to a page showing what remains."""
from flask import redirect, render_template, url_for
from flask_login import current_user

from giftshop.desk import ledger
from giftshop.desk.auth import owner_required, staff_required
from giftshop.desk.blueprint import bp
from giftshop.desk.forms import (CashOutForm, RedeemAmountForm, RedeemSessionsForm,
                                 ReverseForm, VoidForm)
from giftshop.desk.presenter import PREFIX, amount, voucher_screen
from giftshop.errors import DomainError, UnknownCode
from giftshop.extensions import db


def _done(outcome: ledger.Outcome):
    return redirect(url_for("desk.done", code=outcome.voucher.code, entry_id=outcome.entry.id))


def _voucher_or_404(code: str):
    try:
        return ledger.voucher_by_code(code), None
    except UnknownCode as exc:
        return None, (render_template("desk/index.html", query=code, error=exc.message), 404)


def _refused(voucher, exc: DomainError, **submitted):
    db.session.rollback()
    return voucher_screen(voucher, error=exc.message, status=exc.status, **submitted)


@bp.post("/v/<code>/redeem")
@staff_required
def redeem(code: str):
    voucher, missing = _voucher_or_404(code)
    if missing:
        return missing
    form_cls = RedeemAmountForm if voucher.is_money else RedeemSessionsForm
    form = form_cls(prefix=PREFIX["redeem"])
    if not form.validate():
        return voucher_screen(voucher, status=422, redeem=form)
    quantity = {"amount_cents": form.cents} if voucher.is_money else {"sessions": form.sessions.data}
    try:
        outcome = ledger.redeem(voucher.code, staff=current_user._get_current_object(),
                                idempotency_key=form.idempotency_key.data, **quantity)
    except DomainError as exc:
        return _refused(voucher, exc, redeem=form)
    return _done(outcome)


@bp.post("/v/<code>/cashout")
@staff_required
def cash_out(code: str):
    voucher, missing = _voucher_or_404(code)
    if missing:
        return missing
    form = CashOutForm(prefix=PREFIX["cashout"])
    if not form.validate():
        return voucher_screen(voucher, status=422, cashout=form)
    try:
        outcome = ledger.cash_out(voucher.code, staff=current_user._get_current_object(),
                                  idempotency_key=form.idempotency_key.data)
    except DomainError as exc:
        return _refused(voucher, exc, cashout=form)
    return _done(outcome)


@bp.post("/v/<code>/void")
@owner_required
def void(code: str):
    voucher, missing = _voucher_or_404(code)
    if missing:
        return missing
    form = VoidForm(prefix=PREFIX["void"])
    if not form.validate():
        return voucher_screen(voucher, status=422, void=form)
    try:
        outcome = ledger.void_voucher(voucher.code, staff=current_user._get_current_object(),
                                      reason=form.reason.data,
                                      idempotency_key=form.idempotency_key.data)
    except DomainError as exc:
        return _refused(voucher, exc, void=form)
    return _done(outcome)


@bp.route("/entries/<int:entry_id>/reverse", methods=["GET", "POST"])
@staff_required
def reverse(entry_id: int):
    """A confirm page for undoing one redemption, and its POST."""
    entry = ledger.entry_by_id(entry_id)
    if entry is None:
        return render_template("desk/index.html", query="",
                               error="There is no such ledger entry."), 404
    form = ReverseForm(prefix=PREFIX["reverse"], entry_id=str(entry.id))
    error, status = None, 200
    if form.is_submitted():
        if form.validate() and form.entry_id.data == str(entry.id):
            try:
                outcome = ledger.reverse(entry.id, staff=current_user._get_current_object(),
                                         idempotency_key=form.idempotency_key.data)
                return _done(outcome)
            except DomainError as exc:
                db.session.rollback()
                error, status = exc.message, exc.status
        else:
            status = 422
    return render_template("desk/reverse.html", form=form, entry=entry, voucher=entry.voucher,
                           error=error, change=amount(entry.voucher, -entry.delta)), status
