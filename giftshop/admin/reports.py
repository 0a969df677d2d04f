"""Report pages and their CSV downloads (the figures come from giftshop/reports.py)."""
from flask import Response, abort, render_template

from giftshop import reports
from giftshop.admin.blueprint import bp
from giftshop.localtime import today_local

_CSV = {
    "liability": lambda: reports.liability().rows(),
    "sales": reports.sales_by_month,
    "redemptions": reports.redemptions_by_month,
    "gratuities": reports.gratuities_by_month,
}


@bp.get("/reports")
def report_index():
    return render_template("admin/reports.html", liability=reports.liability(),
                           sales=reports.sales_by_month(),
                           redemptions=reports.redemptions_by_month(),
                           gratuities=reports.gratuities(),
                           gratuity_months=reports.gratuities_by_month(), today=today_local())


@bp.get("/reports/<name>.csv")
def report_csv(name: str):
    if name not in _CSV:
        abort(404, description="No such report.")
    filename = f"{name}-{today_local().isoformat()}.csv"
    return Response(reports.to_csv(_CSV[name]()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
