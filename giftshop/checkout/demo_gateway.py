"""The demo payment provider: what stands in for Stripe when the shop runs without a key.

Orders paid on the demo pay page moved no money, so a refund of one moves none
either; it answers like Stripe's refund API (a plain dict with an id, amount and
status) so the refund service treats both alike. The id is derived from the
idempotency key, as Stripe returns the same refund for the same key: a repeated
submission finds the refund already recorded.
"""
import hashlib

from giftshop.models.vocab import RefundStatus

ID_PREFIX = "demo_re_"


def create_refund(payment_intent_id: str | None, amount_cents: int, *, idempotency_key: str,
                  metadata: dict | None = None) -> dict:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    return {"id": ID_PREFIX + digest, "object": "refund", "amount": amount_cents,
            "currency": "usd", "status": RefundStatus.SUCCEEDED.value,
            "payment_intent": payment_intent_id,
            "metadata": dict(metadata or {})}


def is_demo_refund(refund_id: str | None) -> bool:
    return bool(refund_id) and refund_id.startswith(ID_PREFIX)
