"""The owner's morning dashboard on /admin: this month and last (Portland months), what is
still owed (money, sessions, weeks of prepaid work), and the monthly SVG chart."""
import re
from datetime import date

import pytest

from config import TestConfig
from giftshop.dashboard import dashboard
from giftshop.extensions import db
from giftshop.models import utcnow
from giftshop.vouchers.ledger import record_entry
from tests.support.auth import owner_client
from tests.support.factories import at, refund, sold, utc, voucher


def by_label(figures):
    return {m.label: m for m in figures.months}


def test_this_month_and_last_match_the_hand_computed_history(app, ledger_fixture):  # noqa: F811
    with app.app_context():
        figures = dashboard(date(2026, 3, 31), weekly_capacity=3)
    assert [m.label for m in figures.months][:2] == ["2025-04", "2025-05"]
    assert len(figures.months) == 12 and figures.this_month.label == "2026-03"
    march, february = figures.this_month, figures.last_month
    # Sold: order D in March; in February only C (B was paid on Jan 31 in Portland).
    assert (march.orders, march.sold_cents) == (1, 10_000)
    assert (february.orders, february.sold_cents) == (1, 50_000)
    assert (by_label(figures)["2026-01"].orders, by_label(figures)["2026-01"].sold_cents) \
        == (2, 50_000)
    # Redeemed: February $30 + $46 on certificates and one 4-pack session ($100 paid);
    # the cash-out (Feb 28 in Portland) is not a redemption. March: $5 on the promotional
    # certificate; the session redeemed on Mar 10 was reversed on Mar 11.
    assert (february.money_redeemed_cents, february.sessions_redeemed,
            february.sessions_redeemed_cents, february.redeemed_cents) == (7_600, 1, 10_000,
                                                                           17_600)
    assert (march.money_redeemed_cents, march.sessions_redeemed, march.redeemed_cents) \
        == (500, 0, 500)
    # Refunded: $83.34 and $100 in March, nothing in February.
    assert (march.refunded_cents, february.refunded_cents) == (18_334, 0)
    # Still owed: the liability report's figures; 9 sessions at 3 a week = 3 weeks.
    assert (figures.liability.total_cents, figures.liability.sessions_remaining) == (75_666, 9)
    assert figures.prepaid_weeks == 3.0


def test_months_end_at_portland_midnight_not_utc(app):
    # PST (UTC-8): 07:59 UTC on Mar 1 is Feb 28, 08:00 UTC is Mar 1. PDT (UTC-7) in April.
    moments = [utc(2026, 3, 1, 7, 59), utc(2026, 3, 1, 8, 0), utc(2026, 4, 1, 6, 59),
               utc(2026, 4, 1, 7, 0)]
    with app.app_context():
        for i, when in enumerate(moments):
            order = sold(f"B{i}", 1_000 * (i + 1), when, "money", 1_000 * (i + 1), 1_000)
            v = voucher(order, "money", 1_000 * (i + 1), 1_000 * (i + 1))
            at(record_entry(v, "redeem", -100 * (i + 1)), when)
            refund(order, v, 10 * (i + 1), 10 * (i + 1), when)
        db.session.commit()
        months = by_label(dashboard(date(2026, 4, 2), weekly_capacity=20))
    assert (months["2026-02"].sold_cents, months["2026-03"].sold_cents,
            months["2026-04"].sold_cents) == (1_000, 2_000 + 3_000, 4_000)
    assert (months["2026-02"].money_redeemed_cents, months["2026-03"].money_redeemed_cents,
            months["2026-04"].money_redeemed_cents) == (100, 500, 400)
    assert (months["2026-02"].refunded_cents, months["2026-03"].refunded_cents,
            months["2026-04"].refunded_cents) == (10, 50, 40)


def test_last_month_of_january_is_december_and_older_history_stays_out(app):
    with app.app_context():
        old = sold("OLD", 9_900, utc(2024, 12, 15, 20), "money", 9_900, 9_900)
        voucher(old, "money", 9_900, 9_900)
        dec = sold("DEC", 2_500, utc(2025, 12, 31, 20), "money", 2_500, 2_500)
        voucher(dec, "money", 2_500, 2_500)
        db.session.commit()
        figures = dashboard(date(2026, 1, 10), weekly_capacity=20)
    assert (figures.this_month.label, figures.last_month.label) == ("2026-01", "2025-12")
    assert figures.last_month.sold_cents == 2_500 and figures.this_month.sold_cents == 0
    assert figures.months[0].label == "2025-02"  # twelve months: Dec 2024 is outside
    assert sum(m.sold_cents for m in figures.months) == 2_500


def test_a_reversal_next_month_undoes_a_session_to_the_cent(app):
    # A 6-pack for $500: a session is $83.33 (rounded toward zero both ways).
    with app.app_context():
        order = sold("S", 50_000, utc(2026, 2, 2, 20), "sessions", 6, 50_000)
        six = voucher(order, "sessions", 6, 50_000)
        used = at(record_entry(six, "redeem", -1), utc(2026, 2, 27, 20))
        at(record_entry(six, "reverse", 1, reverses_id=used.id), utc(2026, 3, 2, 20))
        db.session.commit()
        months = by_label(dashboard(date(2026, 3, 3), weekly_capacity=20))
    assert (months["2026-02"].sessions_redeemed, months["2026-02"].redeemed_cents) == (1, 8_333)
    assert (months["2026-03"].sessions_redeemed, months["2026-03"].redeemed_cents) == (-1, -8_333)


def test_failed_refunds_are_not_counted_as_refunded(app):
    with app.app_context():
        order = sold("F", 5_000, utc(2026, 3, 2, 20), "money", 5_000, 5_000)
        v = voucher(order, "money", 5_000, 5_000)
        refund(order, v, 1_000, 1_000, utc(2026, 3, 3, 20)).status = "failed"
        db.session.commit()
        assert dashboard(date(2026, 3, 9), weekly_capacity=20).this_month.refunded_cents == 0


@pytest.fixture
def app_config():
    return {"WEEKLY_SESSION_CAPACITY": 4}


def test_admin_home_shows_the_figures_and_an_accessible_chart(app):
    now = utcnow()
    with app.app_context():
        order = sold("NOW", 40_000, now, "sessions", 4, 40_000)
        pack = voucher(order, "sessions", 4, 40_000)
        record_entry(pack, "redeem", -1)
        db.session.commit()
    page = owner_client(app).get("/admin")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sold_row = re.search(r'<tr id="sold">(.*?)</tr>', html, re.S).group(1)
    assert "$400.00" in sold_row and "1 order" in sold_row
    redeemed_row = re.search(r'<tr id="redeemed">(.*?)</tr>', html, re.S).group(1)
    assert "$100.00" in redeemed_row and "1 session" in redeemed_row
    assert re.search(r'id="liability-total">\$300\.00<', html)
    assert "3 sessions</strong> prepaid" in html
    assert "0.8 weeks</strong> of work at 4 sessions a week" in html  # 3 ÷ 4 = 0.75
    svg = re.search(r'<svg class="chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Sold and redeemed per month' in svg
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', svg, re.S).group(1)
    assert "sold $400.00, redeemed $100.00" in desc
    assert svg.count('<rect class="bar sold"') == svg.count('<rect class="bar redeemed"') == 12
    assert re.search(r'<rect class="bar sold"[^>]*><title>\w+ \d*: sold \$400\.00</title>', svg)
    assert "<script" not in svg
    table = re.search(r'<table id="chart-table">.*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 13 and "$400.00" in table


def test_the_dashboard_keeps_its_attention_lists(app):
    page = owner_client(app).get("/admin").get_data(as_text=True)
    assert "Emails not delivered" not in page and "Refunds that failed" not in page
    assert "This month and last" in page and "Still owed to holders" in page


@pytest.mark.parametrize("value", ["0", "-3", "twenty", "12.5", "501", "²"])
def test_a_bad_weekly_capacity_stops_the_shop_at_start(monkeypatch, value):
    monkeypatch.setenv("WEEKLY_SESSION_CAPACITY", value)
    with pytest.raises(ValueError, match="WEEKLY_SESSION_CAPACITY"):
        TestConfig()


def test_weekly_capacity_defaults_to_twenty(monkeypatch):
    monkeypatch.delenv("WEEKLY_SESSION_CAPACITY", raising=False)
    assert TestConfig().WEEKLY_SESSION_CAPACITY == 20
