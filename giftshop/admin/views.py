"""Owner back office: the blueprint and its home page; sections live in their own modules."""
from flask import current_app, render_template

from giftshop import reports
from giftshop.admin import chart
from giftshop.admin import audit_log, campaigns, catalog, orders, promo_codes, staff, vouchers, website  # noqa: F401,E501  (routes)
from giftshop.admin import reports as report_pages  # noqa: F401  (routes)
from giftshop.admin.blueprint import bp
from giftshop.admin.forms import ButtonForm
from giftshop.checkout.refunds import failed_refunds
from giftshop.dashboard import dashboard
from giftshop.vouchers.failed_mail import unresolved_failures
from giftshop.web import today_local

__all__ = ["bp"]


@bp.get("")
def index():
    figures = dashboard(today_local(), current_app.config["WEEKLY_SESSION_CAPACITY"])
    columns, ticks = chart.layout(figures.months)
    return render_template("admin/index.html", figures=figures, liability=figures.liability,
                           chart=chart, columns=columns, ticks=ticks,
                           failed_emails=unresolved_failures(), failed_refunds=failed_refunds(),
                           button=ButtonForm())
