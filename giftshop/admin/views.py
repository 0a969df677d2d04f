"""The back office's home page; each section has a module of its own (`admin.init_app`)."""
from flask import current_app, render_template

from giftshop.admin import chart
from giftshop.admin.blueprint import bp
from giftshop.admin.forms import ButtonForm
from giftshop.checkout.refunds import failed_refunds
from giftshop.dashboard import dashboard
from giftshop.vouchers.failed_mail import unresolved_failures
from giftshop.localtime import today_local


@bp.get("")
def index():
    figures = dashboard(today_local(), current_app.config["WEEKLY_SESSION_CAPACITY"])
    columns, ticks = chart.layout(figures.months)
    return render_template("admin/index.html", figures=figures, liability=figures.liability,
                           chart=chart, columns=columns, ticks=ticks,
                           failed_emails=unresolved_failures(), failed_refunds=failed_refunds(),
                           button=ButtonForm())
