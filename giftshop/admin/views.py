"""Owner back office: the blueprint and its home page; sections live in their own modules."""
from flask import render_template

from giftshop import reports
from giftshop.admin import audit_log, campaigns, catalog, orders, promo_codes, staff, vouchers, website  # noqa: F401,E501  (routes)
from giftshop.admin import reports as report_pages  # noqa: F401  (routes)
from giftshop.admin.blueprint import bp
from giftshop.admin.forms import ButtonForm
from giftshop.checkout.refunds import failed_refunds
from giftshop.vouchers.failed_mail import unresolved_failures

__all__ = ["bp"]


@bp.get("")
def index():
    return render_template("admin/index.html", liability=reports.liability(),
                           failed_emails=unresolved_failures(), failed_refunds=failed_refunds(),
                           button=ButtonForm())
