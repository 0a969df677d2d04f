"""Promo codes in the back office: what each gave, creating one, deactivating one."""
from flask import flash, redirect, render_template, url_for

from giftshop.admin.blueprint import acting_owner, bp
from giftshop.admin.forms import PromoCodeForm
from giftshop.errors import ValidationFailed
from giftshop.promotions import codes as service
from giftshop.localtime import today_local


@bp.route("/promo-codes", methods=["GET", "POST"])
def promo_codes():
    form = PromoCodeForm()
    if form.validate_on_submit():
        try:
            promo = service.create_promo_code(form.to_data(), staff=acting_owner(),
                                              today=today_local())
        except ValidationFailed as exc:
            form.apply_errors(exc.errors)
        else:
            flash(f"Promo code {promo.code} created: {promo.describe}.", "info")
            return redirect(url_for("admin.promo_codes"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/promo_codes.html", form=form, report=service.promo_report(),
                           today=today_local()), status


@bp.post("/promo-codes/<int:promo_id>/deactivate")
def deactivate_promo_code(promo_id: int):
    promo = service.deactivate_promo_code(promo_id, staff=acting_owner())
    flash(f"Promo code {promo.code} is no longer accepted.", "info")
    return redirect(url_for("admin.promo_codes"), code=303)
