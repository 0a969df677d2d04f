"""Checkout pages: the order form post, Stripe's return, demo pay, the order page, the webhook."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from giftshop.catalog.forms import OrderForm
from giftshop.catalog.service import active_products, product_by_slug
from giftshop.checkout import review, service, stripe_gateway, webhooks
from giftshop.checkout.fulfilment import fulfil_order
from giftshop.checkout.validation import validate_order
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import csrf
from giftshop.vouchers import delivery
from giftshop.vouchers.pdf import order_pdf
from giftshop.localtime import today_local
from giftshop.web import error_response, keep_private, pdf_response
from giftshop.models.vocab import OrderStatus

bp = Blueprint("checkout", __name__)


@bp.post("/p/<slug>/buy")
def buy(slug: str):
    """A gift from the product form: a new order, or one added to/edited in an unpaid
    order; either way the buyer reviews the order before paying."""
    product = product_by_slug(slug)
    form = OrderForm(product)
    next_url = order_from_form(product, form)
    if next_url:
        return redirect(next_url, code=303)
    return render_template("catalog/product.html", product=product, form=form), 422


def order_from_form(product, form: OrderForm, *, review_first: bool = True) -> str | None:
    """Save the gift a submitted form describes and return where to go next: the order's
    review page (the shop), or straight to payment (the embedded dialog, which has no
    room for a review step). On bad input put the errors on the form and return None
    (nothing written)."""
    # The form only coerces types; the order rules are the service's (shared with the
    # API). They run even when coercion failed, so every problem is shown at once.
    coerced = form.validate_on_submit()
    data = form.to_order_request(product)
    try:
        if coerced:
            if review_first:
                order = review.save_gift(data["items"][0], data["purchaser"],
                                         order_id=form.order_ref.data,
                                         item_id=form.item_ref.data, today=today_local())
                return url_for("checkout.order_page", public_id=order.public_id)
            return service.start_checkout(service.place_order(data, today=today_local()))
        validate_order(data, today_local())
    except ValidationFailed as exc:
        form.apply_errors(exc.errors)
    return None


@bp.get("/orders/<public_id>/add/<slug>")
def add_gift(public_id: str, slug: str):
    order = service.order_by_public_id(public_id)
    product = product_by_slug(slug)
    form = OrderForm(product)
    form.fill_from(order)
    return render_template("catalog/product.html", product=product, form=form, order=order)


@bp.get("/orders/<public_id>/items/<int:item_id>/edit")
def edit_gift(public_id: str, item_id: int):
    order = service.order_by_public_id(public_id)
    item = next((i for i in order.items if i.id == item_id), None)
    if item is None:
        raise NotFound("That gift is not part of this order.")
    product = product_by_slug(item.product_slug)
    form = OrderForm(product)
    form.fill_from(order, item)
    return render_template("catalog/product.html", product=product, form=form, order=order)


@bp.post("/orders/<public_id>/items/<int:item_id>/remove")
def remove_gift(public_id: str, item_id: int):
    if review.remove_item(service.order_by_public_id(public_id), item_id):
        return redirect(url_for("checkout.order_page", public_id=public_id), code=303)
    flash("Order cancelled: nothing was charged.", "info")
    return redirect(url_for("catalog.home"), code=303)


@bp.post("/orders/<public_id>/cancel")
def cancel_order(public_id: str):
    review.cancel_order(service.order_by_public_id(public_id))
    flash("Order cancelled: nothing was charged.", "info")
    return redirect(url_for("catalog.home"), code=303)


@bp.post("/orders/<public_id>/promo")
def apply_promo(public_id: str):
    order = service.order_by_public_id(public_id)
    try:
        review.apply_code(order, request.form.get("promo_code", ""), today=today_local())
    except (ValidationFailed, Conflict) as exc:
        message = exc.errors.get("promo_code", exc.message) \
            if isinstance(exc, ValidationFailed) else exc.message
        code = "promo_invalid" if isinstance(exc, ValidationFailed) else exc.code
        return _render_order(order, exc.status, message, code,
                             typed_code=request.form.get("promo_code", "")[:40])
    flash(f"Promo code {order.promo_code.code} applied: {order.promo_code.describe}.", "info")
    # to the sums: on a phone the new total and the Pay button are then on screen
    return redirect(url_for("checkout.order_page", public_id=public_id, _anchor="order-sums"),
                    code=303)


@bp.post("/orders/<public_id>/promo/remove")
def remove_promo(public_id: str):
    review.remove_code(service.order_by_public_id(public_id))
    return redirect(url_for("checkout.order_page", public_id=public_id), code=303)


@bp.post("/orders/<public_id>/pay")
def pay(public_id: str):
    order = service.order_by_public_id(public_id)
    try:
        return redirect(review.pay_now(order), code=303)
    except Conflict as exc:
        if exc.code != "promo_unavailable":
            raise
        return _render_order(order, exc.status, exc.message, exc.code)


@bp.get("/checkout/success")
def success():
    """Stripe sends the buyer here; fulfil now in case this beats the webhook."""
    session_id = request.args.get("session_id", "")
    if not session_id.startswith("cs_"):
        raise NotFound("That checkout session is unknown.")
    order = service.order_by_session_id(session_id)
    if not order.is_paid:
        try:
            fulfil_order(order.id, stripe_gateway.retrieve_checkout_session(session_id))
        except stripe_gateway.PaymentProviderError as exc:
            # The buyer still sees the order (pending, refreshing); the webhook fulfils.
            current_app.logger.warning("success page could not re-read %s: %s",
                                       session_id, exc.message)
    # Still unpaid: the order page waits a few minutes for the webhook, then offers Pay now.
    paying = {} if order.is_paid else {"paying": 1}
    return redirect(url_for("checkout.order_page", public_id=order.public_id, **paying), code=303)


@bp.get("/checkout/cancel/<public_id>")
def cancel(public_id: str):
    order = service.order_by_public_id(public_id)
    flash("Payment cancelled: nothing was charged. Pay now, or start again.", "info")
    return redirect(url_for("checkout.order_page", public_id=order.public_id))


@bp.route("/checkout/demo/<public_id>", methods=["GET", "POST"])
def demo_pay(public_id: str):
    if not current_app.config["DEMO_PAYMENTS"]:
        raise NotFound("Demo payments are off.")
    order = service.order_by_public_id(public_id)
    if request.method == "POST" and not order.is_paid:
        fulfil_order(order.id, None)
        return redirect(url_for("checkout.order_page", public_id=order.public_id), code=303)
    return render_template("checkout/demo_pay.html", order=order)


@bp.get("/orders/<public_id>")
def order_page(public_id: str):
    return _render_order(service.order_by_public_id(public_id))


def _render_order(order, status: int = 200, error: str | None = None, error_code: str = "",
                  typed_code: str = ""):
    emails = delivery.order_outbox(order)
    latest = {m.voucher_id: m for m in emails if m.kind in ("delivery", "resend")}
    editable = review.is_editable(order)
    return keep_private(render_template(
        "checkout/order.html", order=order, voucher_emails=latest, outbox=emails,
        show_outbox=not current_app.config["MAIL_SERVER"], error=error, error_code=error_code,
        editable=editable, products=active_products() if editable else [],
        waiting=order.status == OrderStatus.PENDING and bool(request.args.get("paying"))
        and review.recently_changed(order), today=today_local(), typed_code=typed_code,
    )), status


@bp.get("/orders/<public_id>/vouchers.pdf")
def order_vouchers_pdf(public_id: str):
    order = service.order_by_public_id(public_id)
    if not order.vouchers:
        raise NotFound("This order has no vouchers yet.")
    return pdf_response(order_pdf(order), "vouchers.pdf")


@bp.post("/orders/<public_id>/vouchers/<code>/resend")
def resend_voucher(public_id: str, code: str):
    order = service.order_by_public_id(public_id)
    try:
        message = delivery.resend_voucher_email(order, code)
    except Conflict as exc:
        return _render_order(order, exc.status, exc.message, exc.code)
    flash(f"The voucher email will be sent again to {message.to_email}.", "info")
    return redirect(url_for("checkout.order_page", public_id=order.public_id), code=303)


@bp.post("/orders/<public_id>/vouchers/<code>/recipient")
def correct_recipient(public_id: str, code: str):
    order = service.order_by_public_id(public_id)
    try:
        voucher = delivery.correct_recipient_email(order, code,
                                                   request.form.get("recipient_email", ""))
    except (Conflict, ValidationFailed) as exc:
        message = exc.errors.get("recipient_email", exc.message) \
            if isinstance(exc, ValidationFailed) else exc.message
        return _render_order(order, exc.status, message, exc.code)
    flash(f"Updated: the voucher will be emailed to {voucher.recipient_email}.", "info")
    return redirect(url_for("checkout.order_page", public_id=order.public_id), code=303)


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    outcome = webhooks.process_event(request.get_data(), request.headers.get("Stripe-Signature"))
    return {"received": True, "outcome": outcome}, 200


@bp.errorhandler(stripe_gateway.PaymentProviderError)
def provider_error(exc):
    current_app.logger.warning("Stripe error: %s", exc.message)
    return error_response(503 if request.path.startswith("/stripe/") else 502, exc.code,
                          exc.message)
