"""Front-desk actions: redeem, reverse, cash out, void. Each is a confirmed POST form
carrying an idempotency key; success redirects to a page showing what remains."""
from flask import redirect, render_template, url_for
from flask_login import current_user

from giftshop.desk import ledger
from giftshop.desk.auth import owner_required, staff_required
from giftshop.desk.blueprint import bp
from giftshop.desk.forms import CashOutForm, RedeemAmountForm, RedeemSessionsForm, VoidForm
from giftshop.desk.presenter import PREFIX, undo_form, voucher_screen
from giftshop.errors import DomainError, UnknownCode
from giftshop.vouchers.lookup import amount_text, find_by_code


def _done(outcome: ledger.Outcome):
    return redirect(url_for("desk.done", code=outcome.voucher.code, entry_id=outcome.entry.id))


def _voucher_or_404(code: str):
    try:
        return find_by_code(code), None
    except UnknownCode as exc:
        return None, (render_template("desk/index.html", query=code, error=exc.message), 404)


def _refused(voucher, exc: DomainError, **submitted):
    return voucher_screen(voucher, error=exc.message, status=exc.status, **submitted)


def _act(code: str, slot: str, form_class, call):
    """What every voucher action does: find the voucher, check the confirmed form, call
    the ledger service, then show what remains (or the refusal beside the form).

    `form_class` is a form class, or a function of the voucher returning one."""
    voucher, missing = _voucher_or_404(code)
    if missing:
        return missing
    if not isinstance(form_class, type):
        form_class = form_class(voucher)
    form = form_class(prefix=PREFIX[slot])
    if not form.validate():
        return voucher_screen(voucher, status=422, **{slot: form})
    try:
        outcome = call(voucher, form, current_user._get_current_object())
    except DomainError as exc:
        return _refused(voucher, exc, **{slot: form})
    return _done(outcome)


@bp.post("/v/<code>/redeem")
@staff_required
def redeem(code: str):
    def call(voucher, form, staff):
        quantity = ({"amount_cents": form.cents} if voucher.is_money
                    else {"sessions": form.sessions.data})
        return ledger.redeem(voucher.code, staff=staff,
                             idempotency_key=form.idempotency_key.data, **quantity)

    return _act(code, "redeem",
                lambda voucher: RedeemAmountForm if voucher.is_money else RedeemSessionsForm,
                call)


@bp.post("/v/<code>/cashout")
@staff_required
def cash_out(code: str):
    return _act(code, "cashout", CashOutForm, lambda voucher, form, staff: ledger.cash_out(
        voucher.code, staff=staff, idempotency_key=form.idempotency_key.data))


@bp.post("/v/<code>/void")
@owner_required
def void(code: str):
    return _act(code, "void", VoidForm, lambda voucher, form, staff: ledger.void_voucher(
        voucher.code, staff=staff, reason=form.reason.data,
        idempotency_key=form.idempotency_key.data))


@bp.route("/entries/<int:entry_id>/reverse", methods=["GET", "POST"])
@staff_required
def reverse(entry_id: int):
    """A confirm page for undoing one redemption, and its POST."""
    entry = ledger.entry_by_id(entry_id)
    if entry is None:
        return render_template("desk/index.html", query="",
                               error="There is no such ledger entry."), 404
    form = undo_form(entry)
    error, status = None, 200
    if form.is_submitted():
        if form.validate() and form.entry_id.data == str(entry.id):
            try:
                outcome = ledger.reverse(entry.id, staff=current_user._get_current_object(),
                                         idempotency_key=form.idempotency_key.data)
                return _done(outcome)
            except DomainError as exc:
                error, status = exc.message, exc.status
        else:
            status = 422
    return render_template("desk/reverse.html", form=form, entry=entry, voucher=entry.voucher,
                           error=error, change=amount_text(entry.voucher, -entry.delta)), status
