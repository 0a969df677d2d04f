"""The only module that talks to the Stripe SDK.

Everything it returns is a plain dict (Stripe's JSON), so the rest of the shop never
sees SDK objects. API failures become `PaymentProviderError`, which the webhook turns
into a 5xx so that Stripe retries.
"""
import json
import time

import stripe
from flask import current_app

from giftshop.checkout.gratuity import gratuity_line_items
from giftshop.errors import DomainError

TOLERANCE = 300  # seconds a webhook signature's timestamp may be off, either way


class PaymentProviderError(DomainError):
    code, status = "payment_provider_error", 502


class BadSignature(DomainError):
    code, status = "bad_signature", 400


def _client() -> stripe.StripeClient:
    """One client per app and settings, so HTTP keep-alive connections to Stripe are
    reused (the SDK keeps a session per thread) instead of a TLS handshake per call."""
    cfg = current_app.config
    key = (cfg["STRIPE_SECRET_KEY"], cfg.get("STRIPE_API_BASE") or "")
    clients = current_app.extensions.setdefault("stripe_clients", {})
    if key not in clients:
        clients[key] = stripe.StripeClient(
            key[0], base_addresses={"api": key[1]} if key[1] else None,
            max_network_retries=2)
    return clients[key]


def _plain(obj) -> dict:
    return obj.to_dict(recursive=True) if hasattr(obj, "to_dict") else dict(obj)


def _order_coupon(order, key: str) -> str:
    """A one-use Stripe coupon worth exactly the order's promo discount (computed and
    allocated by the shop, so Stripe's total is the order's total to the cent)."""
    params = {"amount_off": order.discount_cents, "currency": order.currency,
              "duration": "once", "max_redemptions": 1,
              "name": f"Promo {order.promo_code.code}"[:40],
              "metadata": {"order_id": order.public_id, "promo_code": order.promo_code.code}}
    try:
        coupon = _client().v1.coupons.create(params, {"idempotency_key": key + "-coupon"})
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused the discount: {exc.user_message or exc}")
    return coupon["id"]


def create_checkout_session(order, *, success_url: str, cancel_url: str,
                            replacing: str | None = None, expires_at=None) -> dict:
    """One Checkout Session per order; the idempotency key makes a retry return the same.

    `replacing` names the expired session this one succeeds, so a new session is made
    once per expiry (and a retry still returns the same one). A promo discount goes in
    as `discounts=[{"coupon": …}]`; `expires_at` (a datetime) ends the session early.
    """
    line_items = [
        {
            "quantity": item.quantity,
            "price_data": {
                "currency": order.currency,
                "unit_amount": item.unit_price_cents,
                "product_data": {"name": item.product_name},
            },
        }
        for item in order.items
    ] + gratuity_line_items(order)
    params = {
        "mode": "payment",
        "line_items": line_items,
        "customer_email": order.purchaser_email,
        "client_reference_id": order.public_id,
        "metadata": {"order_id": order.public_id},
        "payment_intent_data": {"metadata": {"order_id": order.public_id}},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    key = f"order-{order.public_id}-checkout" + (f"-after-{replacing}" if replacing else "")
    if order.discount_cents:
        params["discounts"] = [{"coupon": _order_coupon(order, key)}]
    if expires_at is not None:
        params["expires_at"] = int(expires_at.timestamp())
    try:
        session = _client().v1.checkout.sessions.create(params, {"idempotency_key": key})
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused the checkout: {exc.user_message or exc}")
    return _plain(session)


def retrieve_checkout_session(session_id: str) -> dict:
    try:
        return _plain(_client().v1.checkout.sessions.retrieve(session_id))
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Could not read the checkout session: {exc}")


def create_refund(payment_intent_id: str, amount_cents: int, *, idempotency_key: str,
                  metadata: dict | None = None) -> dict:
    params = {"payment_intent": payment_intent_id, "amount": amount_cents}
    if metadata:
        params["metadata"] = metadata
    try:
        refund = _client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused the refund: {exc.user_message or exc}")
    return _plain(refund)


def list_refunds(payment_intent_id: str) -> list[dict]:
    """Every refund of a PaymentIntent (newest first), as plain dicts."""
    try:
        listing = _client().v1.refunds.list({"payment_intent": payment_intent_id, "limit": 100})
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Could not list the refunds: {exc}")
    return [_plain(refund) for refund in listing.data]


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event as a dict, if `signature` is Stripe's for this raw body; else BadSignature."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not signature or not secret:
        raise BadSignature("Missing Stripe signature.")
    # The SDK refuses only old timestamps; one from the future would stay replayable.
    timestamp = next((value for key, _, value in (part.partition("=") for part in
                                                   signature.split(",")) if key.strip() == "t"), "")
    if timestamp.isascii() and timestamp.isdigit() and int(timestamp) > time.time() + TOLERANCE:
        raise BadSignature("The Stripe signature is timestamped in the future.")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret,
                                              TOLERANCE)
        return json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise BadSignature(f"Invalid Stripe signature: {exc}")
