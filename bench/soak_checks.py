"""`make soak`'s checks: what the database and the SMTP sink hold after the run, and the verdict.

`failures` names every check a result fails; tests/test_soak_checks.py feeds it (and
`checks`, on a real PostgreSQL database) broken states, so each check is known to fail.
"""
import statistics
import time
from collections import Counter

import psycopg

from bench.harness import libpq_url

MEMORY_GROWTH_LIMIT = 1.5


def checks(db_url: str, load, sink) -> dict:
    """What the database and the sink hold after the run (the verdict is `failures`).

    `load.orders`: the public ids of the orders placed; `sink.messages`: what the sink got.
    """
    with psycopg.connect(libpq_url(db_url)) as conn:
        orders = conn.execute(
            'SELECT o.public_id, o.status, (SELECT count(*) FROM voucher v WHERE v.order_id = o.id), '
            '(SELECT coalesce(sum(quantity), 0) FROM order_item i WHERE i.order_id = o.id) '
            'FROM "order" o WHERE o.public_id = ANY(%s)', (load.orders,)).fetchall()
        mismatched = conn.execute(
            "SELECT count(*) FROM voucher v WHERE v.remaining <> "
            "(SELECT coalesce(sum(delta), 0) FROM ledger_entry e WHERE e.voucher_id = v.id) "
            "OR v.remaining < 0").fetchone()[0]
        vouchers, entries = conn.execute(
            "SELECT (SELECT count(*) FROM voucher), (SELECT count(*) FROM ledger_entry)").fetchone()
        outbox = dict(conn.execute("SELECT status, count(*) FROM outbox_message "
                                   "WHERE send_after <= now() GROUP BY status").fetchall())
        held = conn.execute("SELECT count(*) FROM outbox_message WHERE send_after > now()"
                            ).fetchone()[0]
        sent_ids = {r[0] for r in conn.execute(
            "SELECT message_id FROM outbox_message WHERE status = 'sent'")}
    received = Counter(m["Message-ID"] for m in sink.messages)
    return {
        "orders": len(orders),
        "orders_not_paid": sum(1 for o in orders if o[1] != "paid"),
        "orders_wrong_voucher_count": sum(1 for o in orders if o[1] == "paid" and o[2] != o[3]),
        "vouchers": vouchers, "ledger_entries": entries,
        "vouchers_remaining_not_ledger_sum_or_negative": mismatched,
        "due_emails": outbox, "emails_not_yet_due": held,
        "emails_received": sum(received.values()),
        "emails_received_twice": sum(1 for n in received.values() if n > 1),
        "sent_but_not_received": len(sent_ids - set(received)),
        "received_but_not_marked_sent": len(set(received) - sent_ids),
    }


def memory_bounded(memory: list[tuple[float, list[int]]]) -> tuple[float, float, bool]:
    """Mean worker RSS (KiB) over the first third of the samples (the first, taken at
    start-up, left out) and the last third, and whether the last stayed within
    MEMORY_GROWTH_LIMIT times the first."""
    third = max(1, len(memory) // 3)
    first = [kb for _, kbs in memory[1:third + 1] for kb in kbs if kb]
    last = [kb for _, kbs in memory[-third:] for kb in kbs if kb]
    if not first or not last:
        return 0.0, 0.0, False  # nothing measured is not a pass
    first_mean, last_mean = statistics.mean(first), statistics.mean(last)
    return first_mean, last_mean, last_mean <= MEMORY_GROWTH_LIMIT * first_mean


CHECKS = ("orders were placed", "every order is paid", "every paid order has its vouchers",
          "every voucher's remaining equals its ledger sum, never negative",
          "every due email was sent", "every email sent is received once",
          "worker memory is bounded")


def failures(result: dict, memory_ok: bool) -> list[str]:
    """Every check the run failed, by name; empty when all passed."""
    failed = []
    if not result["orders"]:
        failed.append("orders were placed")
    if result["orders_not_paid"]:
        failed.append("every order is paid")
    if result["orders_wrong_voucher_count"]:
        failed.append("every paid order has its vouchers")
    if result["vouchers_remaining_not_ledger_sum_or_negative"]:
        failed.append("every voucher's remaining equals its ledger sum, never negative")
    if set(result["due_emails"]) - {"sent"} or (result["orders"] and not result["due_emails"]):
        failed.append("every due email was sent")
    if result["emails_received_twice"] or result["sent_but_not_received"] \
            or result["received_but_not_marked_sent"]:
        failed.append("every email sent is received once")
    if not memory_ok:
        failed.append("worker memory is bounded")
    return failed


def outbox_counts(db_url: str) -> tuple[int, int]:
    """(emails queued so far, emails sent so far)."""
    with psycopg.connect(libpq_url(db_url)) as conn:
        return conn.execute("SELECT count(*), count(*) FILTER (WHERE status = 'sent') "
                            "FROM outbox_message").fetchone()


def drain_outbox(db_url: str, timeout: float) -> float:
    """Wait (bounded) for the senders to send what is due; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with psycopg.connect(libpq_url(db_url)) as conn:
            due = conn.execute("SELECT count(*) FROM outbox_message WHERE status = 'pending' "
                               "AND send_after <= now()").fetchone()[0]
        if not due:
            break
        time.sleep(2)
    return time.monotonic() - started
