"""Owner reports checked against a hand-computed fixture, and the CLI (speed is in bench/)."""
import csv
import io
from datetime import datetime

from giftshop import reports
from giftshop.extensions import db
from tests.support.factories import at, redeem, sold, utc, voucher


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
            at(redeem(voucher(order, "money", 5_000, 5_000).code, 1_000), when)
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
