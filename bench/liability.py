"""Times the outstanding-liability report over the loaded data (target: under 1 s).

Calls the back office's service (`giftshop.reports.liability`) in an app context,
the way `flask report liability` does; when that module is missing it times an
equivalent SQL aggregation instead and says so.
"""
import statistics
import time

import psycopg

from bench.harness import libpq_url

REPEATS = 5
EQUIVALENT_SQL = """
SELECT count(*) FILTER (WHERE kind = 'money'),
       coalesce(sum(remaining) FILTER (WHERE kind = 'money'), 0),
       count(*) FILTER (WHERE kind = 'sessions'),
       coalesce(sum(remaining * value_cents / initial) FILTER (WHERE kind = 'sessions'), 0)
FROM voucher WHERE status = 'active' AND remaining > 0
"""


def _timed(fn) -> tuple[list[float], object]:
    fn()  # first call: connection, plan and cache warm-up, reported separately
    times, result = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def _ledger_total(db_url: str) -> tuple[int, int]:
    """Sum of remaining (cached) vs sum of ledger deltas over active money vouchers."""
    with psycopg.connect(libpq_url(db_url)) as conn:
        return conn.execute(
            "SELECT (SELECT sum(remaining) FROM voucher WHERE kind = 'money' AND "
            "status = 'active'), (SELECT sum(e.delta) FROM ledger_entry e JOIN voucher v "
            "ON v.id = e.voucher_id WHERE v.kind = 'money' AND v.status = 'active')"
        ).fetchone()


def _service_timer(db_url: str):
    try:
        from giftshop import reports
    except ImportError:
        return None
    if not hasattr(reports, "liability"):
        return None
    from config import Config
    from giftshop import create_app
    from giftshop.extensions import db

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = db_url
    app = create_app(config)

    def call():
        with app.app_context():
            try:
                return reports.liability()
            finally:
                db.session.remove()
    return call


def time_report(db_url: str) -> str:
    """A Markdown paragraph with the timings and what was timed."""
    call = _service_timer(db_url)
    if call is not None:
        what = "`giftshop.reports.liability()` (the service behind `flask report liability`)"
        times, result = _timed(call)
        total = f"total ${result.total_cents / 100:,.2f}"
    else:
        what = ("an equivalent SQL aggregation (giftshop/reports.py was not there, so the "
                "service itself was not timed)")
        with psycopg.connect(libpq_url(db_url)) as conn:
            times, result = _timed(lambda: conn.execute(EQUIVALENT_SQL).fetchone())
        total = f"money ${result[1] / 100:,.2f} + sessions ${result[3] / 100:,.2f}"
    cached, ledger = _ledger_total(db_url)
    worst = max(times)
    verdict = "met" if worst < 1.0 else "**missed**"
    return (f"{what} over the loaded data: median {statistics.median(times) * 1000:.0f} ms, "
            f"worst {worst * 1000:.0f} ms of {REPEATS} calls after one warm-up call "
            f"(goal < 1 s: {verdict}); {total}. Cross-check: the cached balances of active "
            f"money vouchers sum to {cached:,} cents, their ledger entries to {ledger:,} cents"
            f" ({'equal' if cached == ledger else '**different**'}).")
