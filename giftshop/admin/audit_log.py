"""The audit log page: newest first, filtered by action and target, paginated."""
from flask import render_template, request

from giftshop.admin import queries
from giftshop.admin.audit_text import changes, raw
from giftshop.admin.blueprint import bp
from giftshop.web import page_arg


@bp.get("/audit")
def audit():
    action = request.args.get("action", "")[:64]
    target = request.args.get("target", "")[:100]
    page = queries.audit_page(action, target, page_arg())
    return render_template("admin/audit.html", page=page, action=action, target=target,
                           actions=queries.audit_actions(), changes=changes, raw=raw)
