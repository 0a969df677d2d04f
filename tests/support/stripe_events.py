"""Building and delivering signed Stripe webhook events, as Stripe would."""
import json
import secrets
import time

import stripe

WEBHOOK_SECRET = "whsec_test_secret"  # TestConfig's STRIPE_WEBHOOK_SECRET


def event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {"id": event_id or "evt_" + secrets.token_hex(12), "object": "event",
            "type": event_type, "created": int(time.time()), "data": {"object": obj}}


def signed(payload: dict | str, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, secret)


def deliver(client, payload: dict, secret: str = WEBHOOK_SECRET):
    body, header = signed(payload, secret)
    return client.post("/stripe/webhook", data=body,
                       headers={"Stripe-Signature": header, "Content-Type": "application/json"})
