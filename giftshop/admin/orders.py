"""Orders: search, detail, refunds through Stripe, and vouchers issued by hand."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from giftshop.admin import queries
from giftshop.admin.blueprint import acting_owner, bp
from giftshop.admin.forms import IssueForm, RefundForm
from giftshop.admin.issue_service import issue_by_hand
from giftshop.checkout import refunds
from giftshop.checkout.demo_gateway import is_demo_refund
from giftshop.checkout.orders import order_by_id
from giftshop.checkout.stripe_gateway import PaymentProviderError
from giftshop.errors import DomainError, ValidationFailed
from giftshop.extensions import db
from giftshop.models.base import parse_db_int
from giftshop.models import Product
from giftshop.localtime import today_local
from giftshop.money import money, parse_dollars
from giftshop.web import page_arg


def _date_arg(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2999:
        abort(400, description=f"{name.replace('_', ' ')} must be a date like 2026-12-24.")
    return day


@bp.get("/orders")
def orders():
    search = queries.OrderSearch(text=request.args.get("q", "")[:200],
                                 date_from=_date_arg("from"), date_to=_date_arg("to"))
    return render_template("admin/orders.html", search=search,
                           page=queries.search_orders(search, page_arg()))


def _order_page(order_id: int, form: RefundForm | None = None, *, error: str | None = None,
                field_errors: dict | None = None, status: int = 200):
    order = order_by_id(order_id)
    form = form or RefundForm()
    if order.payment_method == "demo":
        form.confirm.label.text = "Yes, make this refund (demo payment: no money moves)"
    return render_template("admin/order.html", order=order, form=form,
                           refundable=refunds.refundable,
                           refunds_online=refunds.refunds_online(order),
                           refund_left=bool(refunds.full_allocation(order)),
                           error=error, field_errors=field_errors or {}), status


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return _order_page(order_id)


def _allocation(order) -> dict[int, int]:
    """voucher id → units from the `refund_<id>` fields (dollars for money, sessions)."""
    allocation, errors = {}, {}
    for voucher in order.vouchers:
        text = request.form.get(f"refund_{voucher.id}", "").strip()
        if not text:
            continue
        units = parse_dollars(text) if voucher.is_money else parse_db_int(text)
        if units is None:
            errors[f"vouchers.{voucher.id}"] = "Enter dollars (like 25.00)." if voucher.is_money \
                else "Enter a whole number of sessions."
        else:
            allocation[voucher.id] = units
    if errors:
        raise ValidationFailed(errors, "The refund was not made: check the amounts.")
    return allocation


@bp.post("/orders/<int:order_id>/refund")
def refund(order_id: int):
    order = order_by_id(order_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return _order_page(order_id, form, error="The refund was not made: tick the box to "
                           "confirm.", status=422)
    try:
        allocation = refunds.full_allocation(order) if form.everything.data \
            else _allocation(order)
        made = refunds.refund_order(order.id, allocation, request_key=form.request_key.data,
                                    staff=acting_owner(), reason=form.reason.data or "")
    except ValidationFailed as exc:
        return _order_page(order_id, form, error=exc.message, field_errors=exc.errors,
                           status=422)
    except (PaymentProviderError, DomainError) as exc:
        return _order_page(order_id, form, error=exc.message, status=exc.status)
    if is_demo_refund(made.stripe_refund_id):
        flash(f"Refunded {money(made.amount_cents)} (demo payment: no money moved; "
              f"{made.stripe_refund_id}).", "info")
    else:
        flash(f"Refunded {money(made.amount_cents)} through Stripe ({made.stripe_refund_id}).",
              "info")
    return redirect(url_for("admin.order", order_id=order.id), code=303)


def _issue_form() -> IssueForm:
    form = IssueForm()
    products = db.session.scalars(db.select(Product).order_by(Product.position, Product.id))
    form.product.choices = [SelectChoice(p.id, p.name + ("" if p.active else " (off sale)"))
                            for p in products]
    return form


@bp.route("/vouchers/issue", methods=["GET", "POST"])
def issue():
    form = _issue_form()
    if form.validate_on_submit():
        try:
            voucher = issue_by_hand(form.to_data(), product=db.session.get(Product,
                                                                           form.product.data),
                                    staff=acting_owner(), today=today_local())
        except ValidationFailed as exc:
            form.apply_errors(exc.errors)
        else:
            flash(f"Issued {voucher.title}: {voucher.code}.", "info")
            return redirect(url_for("admin.vouchers", q=voucher.code), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/issue.html", form=form), status
