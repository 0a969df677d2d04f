"""Front desk pages (staff only): find a voucher, see it, read QR frames from the camera."""
from flask import jsonify, redirect, render_template, request, url_for

from giftshop.desk import ledger
from giftshop.desk.auth import staff_required
from giftshop.desk.blueprint import bp
from giftshop.desk.presenter import done_screen, voucher_screen
from giftshop.desk.scan import MAX_FRAME_BYTES, read_qr_texts
from giftshop.errors import DomainError, UnknownCode
from giftshop.models import Voucher
from giftshop.vouchers.codes import format_code, normalize_code
from giftshop.vouchers.lookup import find_by_code, remaining_text
from giftshop.web import body_limit
from giftshop.vouchers.search import find_for_desk


@bp.get("")
@staff_required
def index():
    return render_template("desk/index.html", query="", error=None)


@bp.get("/lookup")
@staff_required
def lookup():
    """A typed code or a whole scanned QR URL → that voucher's screen; a name, an email
    or part of a code → the vouchers that match, each with what remains."""
    query = request.args.get("code", "").strip()
    found = find_for_desk(query)
    if isinstance(found, Voucher):
        return redirect(url_for("desk.voucher", code=found.code))
    if not found:
        if not query:
            error = "Scan a code, or type a code, name or email."
        elif code := normalize_code(query):
            # The field comes back empty: the next scan's keys (a USB scanner types at
            # once, before any script could select the old text) start a fresh entry.
            return render_template("desk/index.html", query="", missed=format_code(code),
                                   error="No voucher has that code. Check it and try again."), 404
        else:
            error = f"No voucher matches “{query}”. Try the code, or part of a name or email."
        return render_template("desk/index.html", query=query, error=error), 404
    return render_template("desk/index.html", query=query, error=None, results=[
        (v, remaining_text(v)) for v in found])


@bp.get("/v/<code>")
@staff_required
def voucher(code: str):
    """The redeem screen; signed-in staff also land here from a voucher's QR URL."""
    try:
        found = find_by_code(code)
    except UnknownCode as exc:
        return render_template("desk/index.html", query=code, error=exc.message), 404
    if found.code != code:
        return redirect(url_for("desk.voucher", code=found.code))
    return voucher_screen(found)


@bp.get("/v/<code>/done/<int:entry_id>")
@staff_required
def done(code: str, entry_id: int):
    """What an action did, with the new remaining value in large type (reload-safe)."""
    entry = ledger.entry_by_id(entry_id)
    if entry is None or entry.voucher.code != code:
        return render_template("desk/index.html", query=code,
                               error="There is no such ledger entry."), 404
    return done_screen(entry)


@bp.post("/scan")
@body_limit(MAX_FRAME_BYTES)  # frames may exceed the app-wide MAX_CONTENT_LENGTH
@staff_required
def scan():
    """One camera frame (the request body, JPEG/PNG; X-CSRFToken header) → the voucher
    code in it: {"code", "url"}; {"code": null} when no voucher QR is visible yet."""
    try:
        texts = read_qr_texts(request.get_data(cache=False))
    except DomainError as exc:
        return jsonify(error=exc.code, message=exc.message), exc.status
    for text in texts:
        code = normalize_code(text)
        if code:
            return jsonify(code=code, url=url_for("desk.voucher", code=code))
    message = "That QR code is not a voucher." if texts else None
    return jsonify(code=None, message=message)
