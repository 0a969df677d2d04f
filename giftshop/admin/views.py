"""The back office's home page; each section has a module of its own (`admin.init_app`)."""
from flask import render_template

from giftshop import reports
from giftshop.admin.blueprint import bp
from giftshop.admin.forms import ButtonForm
from giftshop.checkout.refunds import failed_refunds
from giftshop.vouchers.failed_mail import unresolved_failures


@bp.get("")
def index():
    return render_template("admin/index.html", liability=reports.liability(),
                           failed_emails=unresolved_failures(), failed_refunds=failed_refunds(),
                           button=ButtonForm())
