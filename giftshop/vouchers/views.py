"""Holder pages: the QR target, the printable PDF and the balance lookup.

Lookups of unknown codes are rate-limited per client (`attempts.lookup_limit`: 10
misses a minute, shared by these pages and the API's order lookup); successful
lookups cost nothing.
"""
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from giftshop.attempts import lookup_limit
from giftshop.errors import Gone, UnknownCode
from giftshop.vouchers import lookup, wallet
from giftshop.vouchers.pdf import pdf_filename, voucher_pdf
from giftshop.vouchers.qr import qr_svg
from giftshop.web import keep_private, pdf_response
from giftshop.models.vocab import CLOSED_VOUCHER_STATUSES

bp = Blueprint("vouchers", __name__)


def _staff_redirect(code: str):
    """Signed-in staff who scan a QR land on the desk's redeem screen."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    return redirect(url_for("desk.voucher", code=code))


@bp.get("/v/<code>")
@lookup_limit
def holder(code: str):
    voucher = lookup.find_by_code(code)
    staff_page = _staff_redirect(voucher.code)
    if staff_page is not None:
        return staff_page
    response = Response(render_template(
        "vouchers/holder.html", voucher=voucher, remaining=lookup.remaining_text(voucher),
        status=lookup.status_text(voucher), history=lookup.public_history(voucher),
        qr=Markup(qr_svg(voucher.code)), wallet_pass=wallet.is_configured()
        and url_for("vouchers.holder_pass", code=voucher.code),
    ))
    return keep_private(response)


def _still_valid(voucher):
    if voucher.status in CLOSED_VOUCHER_STATUSES:
        raise Gone(f"This voucher was {voucher.status}; it can no longer be printed or added to a wallet.",
                   code=voucher.status)
    return voucher


@bp.get("/v/<code>.pdf")
@lookup_limit
def holder_pdf(code: str):
    voucher = _still_valid(lookup.find_by_code(code))
    return pdf_response(voucher_pdf(voucher), pdf_filename(voucher))


@bp.get("/v/<code>.pkpass")
@lookup_limit
def holder_pass(code: str):
    voucher = _still_valid(lookup.find_by_code(code))
    pkpass, updated = wallet.build_pass(voucher)
    response = Response(pkpass, mimetype=wallet.MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{voucher.code}.pkpass"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    response.last_modified = updated
    return response


@bp.get("/balance")
@lookup_limit
def balance():
    typed = request.args.get("code", "").strip()
    if not typed:
        return render_template("vouchers/balance.html", typed="", error=None)
    try:
        voucher = lookup.find_by_code(typed)
    except UnknownCode as exc:
        return render_template("vouchers/balance.html", typed=typed[:64], error=exc.message), 404
    return redirect(url_for("vouchers.holder", code=voucher.code), code=303)
