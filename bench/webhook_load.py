"""Webhook fulfilment load: signed `checkout.session.completed` deliveries and their checks.

The Checkout Session re-read goes to tests/support/stripe_stub.py's StripeStub (run in
this process), preloaded with one paid session per order.
"""
import json
import random
import secrets
import time

import psycopg
import stripe

from bench.harness import libpq_url


def paid_session(order: dict) -> dict:
    return {
        "id": order["session_id"], "object": "checkout.session", "mode": "payment",
        "amount_total": order["total_cents"], "currency": "usd",
        "client_reference_id": order["public_id"],
        "metadata": {"order_id": order["public_id"]},
        "payment_status": "paid", "status": "complete",
        "payment_intent": "pi_bench_" + secrets.token_hex(8),
    }


def write_deliveries(path: str, orders: list[dict], secret: str, *, duplicate_share: float,
                     seed: int) -> int:
    """One event per order plus `duplicate_share` of redeliveries, shuffled; signed now.

    Each line is `<Stripe-Signature>\\t<body>`. Returns the number of deliveries.
    """
    rng = random.Random(seed)
    events = []
    for order in orders:
        event = {"id": "evt_bench_" + secrets.token_hex(10), "object": "event",
                 "type": "checkout.session.completed", "api_version": "2024-06-20",
                 "created": int(time.time()),
                 "data": {"object": {**paid_session(order), "payment_status": "paid"}}}
        events.append(json.dumps(event, separators=(",", ":")))
    n_dupes = round(len(events) * duplicate_share / (1 - duplicate_share))
    deliveries = events + rng.sample(events, n_dupes)
    rng.shuffle(deliveries)
    now = int(time.time())
    with open(path, "w", encoding="utf-8") as fh:
        for body in deliveries:
            header = stripe.WebhookSignature.generate_signature_header(body, secret, now)
            fh.write(f"{header}\t{body}\n")
    return len(deliveries)


def _orders_state(db_url: str, public_ids: list[str]) -> list[tuple]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        return conn.execute(
            'SELECT o.public_id, o.status, count(v.id), '
            '(SELECT coalesce(sum(quantity), 0) FROM order_item i WHERE i.order_id = o.id) '
            'FROM "order" o LEFT JOIN voucher v ON v.order_id = o.id '
            'WHERE o.public_id = ANY(%s) GROUP BY o.id', (public_ids,)).fetchall()


def verify_fulfilment(db_url: str, orders: list[dict], settle_seconds: float = 30) -> dict:
    """Exactly one voucher set per order? Waits (bounded) for in-flight deliveries to land."""
    ids = [o["public_id"] for o in orders]
    deadline = time.monotonic() + settle_seconds
    while True:
        rows = _orders_state(db_url, ids)
        paid = sum(1 for r in rows if r[1] == "paid")
        if paid == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    wrong_sets = [r[0] for r in rows if r[1] == "paid" and r[2] != r[3]]
    with psycopg.connect(libpq_url(db_url)) as conn:
        outbox = dict(conn.execute(
            'SELECT m.status, count(*) FROM outbox_message m JOIN "order" o ON o.id = m.order_id '
            "WHERE o.public_id = ANY(%s) GROUP BY m.status", (ids,)).fetchall())
    return {
        "orders": len(ids), "paid": paid, "unpaid": len(ids) - paid,
        "wrong_voucher_sets": len(wrong_sets),
        "vouchers": sum(r[2] for r in rows),
        "outbox": outbox,
        "ok": paid == len(ids) and not wrong_sets and not outbox.get("sent"),
    }
