"""Bulk-loads benchmark data with PostgreSQL COPY (a million ledger rows in seconds).

Rows are written consistently with what the ledger writer would have produced:
every voucher's `remaining` equals the sum of its entries, and each entry's
`balance_after` is the running sum. Columns not given here get the model's scalar
default, so a new NOT NULL column with a default does not break the loader.
"""
import random
import secrets
from datetime import date, datetime, timedelta, timezone

import psycopg

from bench.harness import libpq_url
from giftshop.models import LedgerEntry, Order, OrderItem, Voucher
from giftshop.vouchers.codes import generate_code
from giftshop.vouchers.service import voucher_title

BIG_BALANCE = 1_000_000_000  # cents; the column is a 32-bit integer
SIX_PACK = ("60-min Pain Management Massage", 6, 57_000)


def _defaults(model) -> dict:
    out = {}
    for col in model.__table__.columns:
        if col.default is not None and col.default.is_scalar:
            out[col.name] = col.default.arg
    return out


def copy_rows(conn: psycopg.Connection, model, rows: list[dict]) -> None:
    """COPY `rows` (dicts) into the model's table, filling in its scalar defaults."""
    if not rows:
        return
    defaults = _defaults(model)
    columns = list(dict.fromkeys([*defaults, *rows[0]]))
    table = model.__table__.name
    with conn.cursor() as cur:
        with cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] if c in row else defaults[c] for c in columns])


def _reserve_ids(conn, table: str, n: int) -> list[int]:
    """`n` ids from the table's own sequence: safe while the shop inserts rows too."""
    return [r[0] for r in conn.execute(
        f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) "
        "FROM generate_series(1, %s)", (n,))]


def _unique_codes(conn, n: int) -> list[str]:
    taken = {r[0] for r in conn.execute("SELECT code FROM voucher")}
    codes: set[str] = set()
    while len(codes) < n:
        code = generate_code()
        if code not in taken:
            codes.add(code)
    return list(codes)


def create_counter_table(db_url: str, rows: int) -> None:
    """The baseline app's small counter table."""
    with psycopg.connect(libpq_url(db_url)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_counter "
                     "(id integer PRIMARY KEY, value bigint NOT NULL DEFAULT 0)")
        conn.execute("INSERT INTO bench_counter (id) SELECT g FROM generate_series(1, %s) g "
                     "ON CONFLICT DO NOTHING", (rows,))


def _voucher_row(vid, code, kind, initial, remaining, value_cents, service, created):
    return dict(id=vid, code=code, kind=kind, initial=initial, remaining=remaining,
                value_cents=value_cents, service=service,
                title=voucher_title(kind, initial, service), status="active",
                created_at=created, purchaser_name="Bench Buyer")


def _history(initial: int, n_entries: int, kind: str, rng: random.Random) -> list[tuple]:
    """(kind, delta, balance_after) rows: one issue, then redemptions that never overdraw."""
    rows, balance = [("issue", initial, initial)], initial
    for _ in range(n_entries - 1):
        delta = -1 if kind == "sessions" else -rng.randint(100, 500)
        balance += delta
        rows.append(("redeem", delta, balance))
    return rows


def load_lookup_data(db_url: str, n_vouchers: int, n_entries: int, seed: int = 6) -> list[str]:
    """`n_vouchers` vouchers with `n_entries` ledger entries in all; returns their codes.

    90% money certificates, 10% 6-packs (issue + 5 sessions used); money certificates
    carry the remaining entries as small redemptions, spread evenly.
    """
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    with psycopg.connect(libpq_url(db_url)) as conn:
        codes = _unique_codes(conn, n_vouchers)
        vids = _reserve_ids(conn, "voucher", n_vouchers)
        n_sessions = n_vouchers // 10
        n_money = n_vouchers - n_sessions
        money_entries = max(n_money, n_entries - n_sessions * 6)
        per_money, extra = divmod(money_entries, max(n_money, 1))
        vouchers, entries = [], []
        for i, (vid, code) in enumerate(zip(vids, codes)):
            created = now - timedelta(days=rng.randint(1, 730), seconds=rng.randint(0, 86_399))
            if i < n_sessions:
                service, count, price = SIX_PACK
                history = _history(count, 6, "sessions", rng)
                vouchers.append(_voucher_row(vid, code, "sessions", count, history[-1][2],
                                             price, service, created))
            else:
                history = _history(50_000, per_money + (1 if i - n_sessions < extra else 0),
                                   "money", rng)
                vouchers.append(_voucher_row(vid, code, "money", 50_000, history[-1][2],
                                             50_000, None, created))
            for k, (kind, delta, after) in enumerate(history):
                entries.append(dict(voucher_id=vid, kind=kind, delta=delta,
                                    balance_after=after, created_at=created + timedelta(days=k)))
        copy_rows(conn, Voucher, vouchers)
        copy_rows(conn, LedgerEntry, entries)
        conn.execute("ANALYZE voucher")
        conn.execute("ANALYZE ledger_entry")
    return codes


def load_big_vouchers(db_url: str, n: int) -> list[str]:
    """`n` money vouchers with a balance no benchmark can exhaust; returns their codes."""
    now = datetime.now(timezone.utc)
    with psycopg.connect(libpq_url(db_url)) as conn:
        codes = _unique_codes(conn, n)
        vouchers, entries = [], []
        for vid, code in zip(_reserve_ids(conn, "voucher", n), codes):
            vouchers.append(_voucher_row(vid, code, "money", BIG_BALANCE, BIG_BALANCE,
                                         BIG_BALANCE, None, now))
            entries.append(dict(voucher_id=vid, kind="issue", delta=BIG_BALANCE,
                                balance_after=BIG_BALANCE, created_at=now))
        copy_rows(conn, Voucher, vouchers)
        copy_rows(conn, LedgerEntry, entries)
    return codes


def voucher_balance(db_url: str, code: str) -> tuple[int, int, int]:
    """(initial, remaining, sum of ledger deltas) of one voucher."""
    with psycopg.connect(libpq_url(db_url)) as conn:
        return conn.execute(
            "SELECT v.initial, v.remaining, (SELECT coalesce(sum(delta), 0) FROM ledger_entry e "
            "WHERE e.voucher_id = v.id) FROM voucher v WHERE v.code = %s", (code,)).fetchone()


def load_pending_orders(db_url: str, n: int, tag: str) -> list[dict]:
    """`n` pending Stripe orders of one item each (half $50 gifts, half 4-packs for self).

    Returns [{"public_id", "session_id", "total_cents"}] for the Stripe stub and events.
    """
    now = datetime.now(timezone.utc)
    with psycopg.connect(libpq_url(db_url)) as conn:
        products = {slug: (pid, name, service) for pid, slug, name, service in conn.execute(
            "SELECT id, slug, name, service FROM product")}
        orders, items, out = [], [], []
        for i, oid in enumerate(_reserve_ids(conn, "order", n)):
            gift = i % 2 == 0
            slug = "gift-certificate" if gift else "pain-management-4-pack"
            pid, name, service = products[slug]
            price = 5_000 if gift else 40_000
            public_id = secrets.token_urlsafe(24)
            session_id = f"cs_test_bench_{tag}_{i:05d}_{secrets.token_hex(4)}"
            orders.append(dict(id=oid, public_id=public_id, status="pending",
                               purchaser_name=f"Buyer {i}", purchaser_email=f"buyer{i}@bench.test",
                               total_cents=price, currency="usd", stripe_session_id=session_id,
                               payment_method="stripe", refunded_cents=0,
                               created_at=now, updated_at=now))
            items.append(dict(order_id=oid, product_id=pid, product_slug=slug,
                              product_name=name, kind="money" if gift else "sessions",
                              unit_price_cents=price, paid_cents=price,
                              sessions=None if gift else 4,
                              service=service, quantity=1,
                              recipient_name=f"Friend {i}" if gift else None,
                              recipient_email=f"friend{i}@bench.test" if gift else None,
                              message="Enjoy!" if gift else "", deliver_on=date.today()))
            out.append({"public_id": public_id, "session_id": session_id, "total_cents": price})
        copy_rows(conn, Order, orders)
        copy_rows(conn, OrderItem, items)
    return out
