"""Checkout pages: the order form post, Stripe's return, demo pay, the order page, the webhook."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from giftshop.catalog.forms import OrderForm
from giftshop.catalog.service import product_by_slug
from giftshop.checkout import service, stripe_gateway, webhooks
from giftshop.checkout.fulfilment import fulfil_order
from giftshop.checkout.validation import validate_order
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import csrf
from giftshop.vouchers import delivery
from giftshop.vouchers.pdf import order_pdf
from giftshop.vouchers.views import pdf_response
from giftshop.web import error_response, today_local

bp = Blueprint("checkout", __name__)


@bp.post("/p/<slug>/buy")
def buy(slug: str):
    product = product_by_slug(slug)
    form = OrderForm(product)
    checkout_url = order_from_form(product, form)
    if checkout_url:
        return redirect(checkout_url, code=303)
    return render_template("catalog/product.html", product=product, form=form), 422


def order_from_form(product, form: OrderForm) -> str | None:
    """Place the order a submitted form describes and return where to pay; on bad input
    put the errors on the form and return None (nothing written). Shared by the shop's
    own product page and the embedded one."""
    # The form only coerces types; the order rules are the service's (shared with the
    # API). They run even when coercion failed, so every problem is shown at once.
    coerced = form.validate_on_submit()
    try:
        if coerced:
            order = service.place_order(form.to_order_request(product), today=today_local())
            return service.start_checkout(order)
        validate_order(form.to_order_request(product), today_local())
    except ValidationFailed as exc:
        form.apply_errors(exc.errors)
    return None


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
    return redirect(url_for("checkout.order_page", public_id=order.public_id), code=303)


@bp.get("/checkout/cancel/<public_id>")
def cancel(public_id: str):
    order = service.order_by_public_id(public_id)
    flash("Payment cancelled: nothing was charged. You can try again below.", "info")
    slug = order.items[0].product_slug if order.items else None
    return redirect(url_for("catalog.product", slug=slug) if slug else url_for("catalog.home"))


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


def _render_order(order, status: int = 200, error: str | None = None, error_code: str = ""):
    emails = delivery.order_outbox(order)
    latest = {m.voucher_id: m for m in emails if m.kind in ("delivery", "resend")}
    return render_template(
        "checkout/order.html", order=order, voucher_emails=latest, outbox=emails,
        show_outbox=not current_app.config["MAIL_SERVER"], error=error, error_code=error_code,
    ), status


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
