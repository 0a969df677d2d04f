"""Report pages with CSV downloads, and the audit log page."""
import csv
import io
import re

import pytest
from playwright.sync_api import sync_playwright

from giftshop.audit import record_audit
from giftshop.extensions import db
from giftshop.models import Product
from tests.support.auth import OWNER_EMAIL, browser_sign_in, make_staff, owner_client
from tests.support.browser import PHONE, broken_words, fits_width, launch, screenshots

screenshot = screenshots("BACK_OFFICE_SCREENSHOTS")


def test_reports_page_shows_the_hand_computed_figures(app, ledger_fixture):
    page = owner_client(app).get("/admin/reports").get_data(as_text=True)
    assert 'id="liability-money">$40.00' in page
    assert 'id="liability-sessions">$716.66' in page
    assert "$756.66" in page
    assert "2026-01" in page and "$500.00" in page and "-$83.34" in page


def test_each_report_downloads_as_csv_with_the_same_figures(app, ledger_fixture):
    client = owner_client(app)
    liability = client.get("/admin/reports/liability.csv")
    assert liability.mimetype == "text/csv"
    assert "attachment" in liability.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(liability.get_data(as_text=True))))
    assert [(r["category"], r["sessions_remaining"], r["liability_dollars"]) for r in rows] == [
        ("money", "", "40.00"), ("sessions", "9", "716.66"), ("total", "9", "756.66")]
    sales = list(csv.DictReader(io.StringIO(
        client.get("/admin/reports/sales.csv").get_data(as_text=True))))
    assert [(r["month"], r["net_dollars"]) for r in sales] == [
        ("2026-01", "500.00"), ("2026-02", "500.00"), ("2026-03", "-83.34")]
    redemptions = list(csv.DictReader(io.StringIO(
        client.get("/admin/reports/redemptions.csv").get_data(as_text=True))))
    assert [(r["month"], r["money_redeemed_dollars"], r["sessions_redeemed"],
             r["cashout_dollars"]) for r in redemptions] \
        == [("2026-02", "76.00", "1", "4.00"), ("2026-03", "5.00", "0", "0.00")]
    assert client.get("/admin/reports/secrets.csv").status_code == 404


def audit_rows(app, n):
    with app.app_context():
        product = db.session.get(Product, 1)
        other = db.session.get(Product, 2)
        for i in range(n):
            record_audit("product.update" if i % 2 else "product.reorder",
                         product if i % 3 else other, actor="owner@test",
                         before={"i": i}, after={"i": i + 1})
        db.session.commit()


def test_audit_log_is_newest_first_filtered_and_paginated(app):
    audit_rows(app, 120)
    client = owner_client(app)
    first = client.get("/admin/audit").get_data(as_text=True)
    befores = [int(n) for n in re.findall(r'<li>i: (\d+) → \d+</li>', first)]
    assert befores == list(range(119, 70, -1))  # newest first, after the owner's own account
    assert first.count('class="audit-row"') == 50
    assert "Page 1 of 3" in first and 'rel="next"' in first
    last = client.get("/admin/audit?page=3").get_data(as_text=True)
    assert last.count('class="audit-row"') == 21  # 120 + the staff.create row
    updates = client.get("/admin/audit?action=product.update").get_data(as_text=True)
    assert updates.count('class="audit-row"') == 50
    assert 'class="audit-what">product.reorder' not in updates
    targeted = client.get("/admin/audit?target=product:2").get_data(as_text=True)
    assert targeted.count('class="audit-row"') == 40  # i divisible by 3
    assert "product:1<" not in targeted


def test_audit_log_escapes_what_it_shows(app):
    with app.app_context():
        record_audit("voucher.recipient_email_changed", db.session.get(Product, 1),
                     actor="owner@test", after={"recipient_email": "<script>x</script>"})
        db.session.commit()
    page = owner_client(app).get("/admin/audit").get_data(as_text=True)
    assert "<script>x</script>" not in page


@pytest.mark.browser
def test_report_tables_by_month_keep_each_figure_whole_on_a_phone(app, live_server,
                                                                  ledger_fixture):
    """On a 390 px phone the month tables (sales, redemptions, gratuities) never break a
    figure or a word across lines ("$330.0 / 0"); a wider table scrolls on its own."""
    make_staff(app, OWNER_EMAIL, "owner")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport=PHONE).new_page()
        browser_sign_in(page, live_server, OWNER_EMAIL)
        page.goto(live_server + "/admin/reports")
        assert page.locator("table.months td").count() >= 6  # the ledger fixture's months
        assert broken_words(page, "table.months td, table.months th") == []
        assert fits_width(page)
        screenshot(page, "admin-reports-390")
        browser.close()
