"""Vouchers: the filtered list, and the owner's email corrections."""
from flask import flash, redirect, render_template, request, url_for

from giftshop.admin import queries, voucher_service
from giftshop.admin.blueprint import acting_owner, bp
from giftshop.admin.forms import ButtonForm, EmailChangeForm
from giftshop.errors import DomainError, ValidationFailed
from giftshop.web import page_arg


@bp.get("/vouchers")
def vouchers():
    state = request.args.get("state", "all")
    if state not in queries.VOUCHER_FILTERS:
        state = "all"
    text = request.args.get("q", "")[:200]
    page = queries.filter_vouchers(state, text, page_arg())
    return render_template("admin/vouchers.html", page=page, state=state, q=text,
                           filters=queries.VOUCHER_FILTERS, button=ButtonForm(),
                           email_form=EmailChangeForm())


@bp.post("/vouchers/<int:voucher_id>/email")
def change_email(voucher_id: int):
    form = EmailChangeForm()
    voucher = voucher_service.get_voucher(voucher_id)
    if form.validate_on_submit():
        try:
            voucher_service.change_recipient_email(voucher_id, form.recipient_email.data,
                                                   staff=acting_owner())
        except ValidationFailed as exc:
            form.apply_errors(exc.errors)
        else:
            flash(f"{voucher.code}: email now goes to {form.recipient_email.data}.", "info")
            return redirect(url_for("admin.vouchers", q=voucher.code), code=303)
    return render_template("admin/voucher_email.html", voucher=voucher, form=form), 422


@bp.get("/vouchers/<int:voucher_id>/email")
def email_page(voucher_id: int):
    voucher = voucher_service.get_voucher(voucher_id)
    form = EmailChangeForm(recipient_email=voucher.recipient_email)
    return render_template("admin/voucher_email.html", voucher=voucher, form=form)


@bp.post("/vouchers/<int:voucher_id>/resend")
def resend(voucher_id: int):
    if ButtonForm().validate_on_submit():
        try:
            message = voucher_service.resend_email(voucher_id, staff=acting_owner())
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Email queued again to {message.to_email}.", "info")
    return redirect(request.referrer or url_for("admin.vouchers"), code=303)
