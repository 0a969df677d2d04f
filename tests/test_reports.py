"""Owner reports checked against a hand-computed fixture, and the CLI (speed is in bench/)."""
import csv
import io
from datetime import date, datetime, timezone

import pytest

from giftshop import reports
from giftshop.extensions import db
from giftshop.models import Order, OrderItem, Refund
from giftshop.vouchers.ledger import record_entry
from giftshop.vouchers.service import issue_voucher


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def at(entry, when: datetime):
    """Place a ledger entry in time (record_entry stamps 'now')."""
    entry.created_at = when
    return entry


def sold(public_id, total, paid_at, kind, initial, value, status="paid"):
    order = Order(public_id=public_id, purchaser_name="Ana", purchaser_email="ana@example.com",
                  total_cents=total, status=status, paid_at=paid_at, payment_method="stripe")
    order.items.append(OrderItem(product_slug="x", product_name="x", kind=kind,
                                 unit_price_cents=value, quantity=1, deliver_on=date(2026, 1, 1),
                                 sessions=None if kind == "money" else initial,
                                 service=None if kind == "money" else "60-min massage"))
    db.session.add(order)
    db.session.flush()
    return order


def voucher(order, kind, initial, value, **extra):
    return issue_voucher(kind=kind, initial=initial, value_cents=value, order=order,
                         service=None if kind == "money" else "60-min massage", **extra)


def refund(order, voucher_, units, cents, when):
    row = Refund(order=order, stripe_refund_id=f"re_{order.public_id}_{units}",
                 amount_cents=cents, created_at=when)
    db.session.add(row)
    db.session.flush()
    record_entry(voucher_, "refund", -units, refund_id=row.id)
    order.refunded_cents += cents
    return row


@pytest.fixture
def ledger_fixture(app):
    """The numbers in each test below are worked out by hand from this history."""
    with app.app_context():
        a = sold("A", 10_000, utc(2026, 1, 15, 18), "money", 5_000, 5_000)
        v1, v2 = voucher(a, "money", 5_000, 5_000), voucher(a, "money", 5_000, 5_000)
        # 07:30 UTC on Feb 1 is still January 31 in Portland.
        b = sold("B", 40_000, utc(2026, 2, 1, 7, 30), "sessions", 4, 40_000)
        v3 = voucher(b, "sessions", 4, 40_000)
        c = sold("C", 50_000, utc(2026, 2, 10, 20), "sessions", 6, 50_000)
        v4 = voucher(c, "sessions", 6, 50_000)
        v5 = voucher(None, "money", 2_500, 0, promotional=True, expires_on=date(2027, 1, 1))
        voucher(None, "sessions", 1, 0)  # complimentary: no liability at $0 paid
        d = sold("D", 10_000, utc(2026, 3, 20, 17), "money", 10_000, 10_000)
        v7 = voucher(d, "money", 10_000, 10_000)

        at(record_entry(v1, "redeem", -3_000), utc(2026, 2, 3, 19))
        at(record_entry(v2, "redeem", -4_600), utc(2026, 2, 20, 19))
        # 05:00 UTC on March 1 is February 28 in Portland.
        at(record_entry(v2, "cashout", -400), utc(2026, 3, 1, 5))
        at(record_entry(v3, "redeem", -1), utc(2026, 2, 5, 19))
        wrong = at(record_entry(v3, "redeem", -1), utc(2026, 3, 10, 19))
        at(record_entry(v3, "reverse", 1, reverses_id=wrong.id), utc(2026, 3, 11, 19))
        at(record_entry(v5, "redeem", -500), utc(2026, 3, 12, 19))
        refund(c, v4, 1, 8_334, utc(2026, 3, 5, 19))
        c.status = "partially_refunded"
        refund(d, v7, 10_000, 10_000, utc(2026, 3, 21, 19))
        v7.status, d.status = "refunded", "refunded"
        v1.frozen = True  # a dispute is open on order A
        db.session.commit()
        db.session.remove()


def test_liability_is_money_balances_plus_sessions_at_the_price_paid(app, ledger_fixture):
    with app.app_context():
        figures = reports.liability()
    # money: v1 $20 (frozen, still owed) + v5 $20 promotional; v2 used up; v7 refunded.
    assert (figures.money_vouchers, figures.money_cents) == (2, 4_000)
    assert figures.promotional_money_cents == 2_000
    # sessions: v3 3 × $100 = 30000; v4 5 × 50000 // 6 = 41666 (rounded down); v6 free = 0
    assert (figures.sessions_vouchers, figures.sessions_remaining) == (3, 9)
    assert figures.sessions_cents == 71_666
    assert figures.total_cents == 75_666
    assert figures.frozen_cents == 2_000


def test_sales_by_month_uses_portland_months_and_counts_refunds_when_made(app, ledger_fixture):
    with app.app_context():
        rows = reports.sales_by_month()
    assert rows == [
        {"month": "2026-01", "orders": 2, "gross_cents": 50_000, "refunded_cents": 0,
         "net_cents": 50_000},
        {"month": "2026-02", "orders": 1, "gross_cents": 50_000, "refunded_cents": 0,
         "net_cents": 50_000},
        {"month": "2026-03", "orders": 1, "gross_cents": 10_000, "refunded_cents": 18_334,
         "net_cents": -8_334},
    ]


def test_redemptions_by_month_net_out_reversals_and_show_cash_outs(app, ledger_fixture):
    with app.app_context():
        rows = reports.redemptions_by_month()
    assert rows == [
        {"month": "2026-02", "money_redeemed_cents": 7_600, "sessions_redeemed": 1,
         "cashout_cents": 400},
        {"month": "2026-03", "money_redeemed_cents": 500, "sessions_redeemed": 0,
         "cashout_cents": 0},
    ]


def test_empty_shop_reports_zero_and_no_months(app):
    with app.app_context():
        assert reports.liability().total_cents == 0
        assert reports.sales_by_month() == [] and reports.redemptions_by_month() == []


def test_report_liability_cli_prints_the_same_figures(runner, ledger_fixture):
    result = runner.invoke(args=["report", "liability"])
    assert result.exit_code == 0, result.output
    assert "Money balances:" in result.output and "$40.00" in result.output
    assert "$716.66" in result.output and "9 sessions" in result.output
    assert "Total:" in result.output and "$756.66" in result.output
    as_csv = runner.invoke(args=["report", "liability", "--csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [(r["category"], r["vouchers"], r["sessions_remaining"], r["liability_dollars"])
            for r in rows] == [("money", "2", "", "40.00"), ("sessions", "3", "9", "716.66"),
                               ("total", "5", "9", "756.66")]


def _sales_and_use(app, moments: list[datetime]) -> tuple[list[str], list[str]]:
    """One $50 sale and one $10 redemption at each moment; the months each report shows."""
    with app.app_context():
        for i, when in enumerate(moments):
            order = sold(f"M{i}", 5_000, when, "money", 5_000, 5_000)
            at(record_entry(voucher(order, "money", 5_000, 5_000), "redeem", -1_000), when)
        db.session.commit()
        return ([row["month"] for row in reports.sales_by_month()],
                [row["month"] for row in reports.redemptions_by_month()])


def test_reports_work_when_everything_happened_in_one_month_even_across_dst(app):
    from tests.support.auth import owner_client

    # Portland's clocks went forward on 2026-03-08: both sides are still March.
    sales, used = _sales_and_use(app, [utc(2026, 3, 2, 20), utc(2026, 3, 20, 19)])
    assert sales == used == ["2026-03"]
    with app.app_context():
        assert reports.sales_by_month()[0]["gross_cents"] == 10_000
        assert reports.redemptions_by_month()[0]["money_redeemed_cents"] == 2_000
    owner = owner_client(app)
    page = owner.get("/admin/reports")
    assert page.status_code == 200 and "2026-03" in page.get_data(as_text=True)
    for name in ("sales", "redemptions", "liability"):
        response = owner.get(f"/admin/reports/{name}.csv")
        assert response.status_code == 200, name
    assert "2026-03,2,100.00,0.00,100.00" in owner.get("/admin/reports/sales.csv").get_data(
        as_text=True)


def test_reports_split_months_at_portland_midnight_across_a_year_boundary(app):
    # 07:30 UTC on Jan 1 is still New Year's Eve in Portland (PST, UTC-8).
    sales, used = _sales_and_use(app, [utc(2027, 1, 1, 7, 30), utc(2027, 1, 1, 8, 30)])
    assert sales == used == ["2026-12", "2027-01"]


def test_reports_split_months_at_portland_midnight_in_daylight_time(app):
    # In April Portland is on PDT (UTC-7): 06:30 UTC is March 31, 07:30 UTC is April 1.
    sales, used = _sales_and_use(app, [utc(2026, 4, 1, 6, 30), utc(2026, 4, 1, 7, 30)])
    assert sales == used == ["2026-03", "2026-04"]
