"""Sign-in and sign-out. Failed sign-ins are rate-limited per client IP and email."""
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from giftshop.desk.blueprint import bp
from giftshop.desk.forms import LoginForm
from giftshop.desk.staff import authenticate, normalize_email
from giftshop.extensions import limiter
from giftshop.web import error_response, local_time

SIGNIN_LIMIT = "5 per minute"


def _signin_key() -> str:
    # Per IP *and* email: one person's typos do not lock out the whole front desk.
    return f"{get_remote_address()}|{normalize_email(request.form.get('email', ''))}"


def _locked_out(limit):
    reset = datetime.fromtimestamp(limit.reset_at, timezone.utc)
    seconds = max(1, int((reset - datetime.now(timezone.utc)).total_seconds()))
    message = (f"Too many sign-in attempts for this email. Try again after "
               f"{local_time(reset, '%-I:%M:%S %p')} (in about {seconds} seconds).")
    page = render_template("desk/locked_out.html", message=message)
    return make_response(page, 429, {"Retry-After": str(seconds)})


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(exc: RateLimitExceeded):
    # The app-wide handler renders a generic page; ours (from _locked_out) says when.
    if exc.response is not None:
        return exc.response
    return error_response(429, "rate_limited", exc.description)


def _safe_next(target: str | None) -> str:
    """A path on this site, else the desk: never an open redirect to another host.

    Browsers drop TAB/CR/LF inside URLs (so `/<TAB>/evil.example` becomes `//evil.example`)
    and read a backslash as a slash; a control character would also break the header."""
    if not target or not target.isprintable() or "\\" in target:
        return url_for("desk.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") \
            or parts.path.startswith("//"):
        return url_for("desk.index")
    return target


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, key_func=_signin_key, methods=["POST"], deduct_when=_failed,
               on_breach=_locked_out)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(form.next.data))
    error = None
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is not None:
            login_user(staff)
            return redirect(_safe_next(form.next.data))
        error = "That email and password do not match an active staff account."
    status = 401 if error else (422 if form.errors else 200)
    return render_template("desk/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    # CSRFProtect has already checked the token: a cross-site POST cannot sign anyone out.
    logout_user()
    return redirect(url_for("desk.login"))
