"""Sign-in and sign-out. Failed sign-ins are limited per client IP and email (desk/staff.py)."""
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_limiter.util import get_remote_address

from giftshop.attempts import TooManyAttempts
from giftshop.desk.accounts import end_sessions
from giftshop.desk.blueprint import bp
from giftshop.desk.forms import LoginForm
from giftshop.desk.staff import sign_in_attempt
from giftshop.localtime import local_time


def _client() -> str:
    return get_remote_address() or ""


def _locked_out(exc: TooManyAttempts):
    message = (f"Too many sign-in attempts for this email. Try again after "
               f"{local_time(exc.reset_at, '%-I:%M:%S %p')} "
               f"(in about {exc.retry_after} seconds).")
    page = render_template("desk/locked_out.html", message=message)
    return make_response(page, 429, {"Retry-After": str(exc.retry_after)})


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(form.next.data))
    error = None
    if form.validate_on_submit():
        try:
            staff = sign_in_attempt(form.email.data, form.password.data, client=_client())
        except TooManyAttempts as exc:
            return _locked_out(exc)
        if staff is not None:
            # A fresh cookie: nothing from before sign-in (a planted value, an old CSRF
            # token) carries over into the signed-in session.
            session.clear()
            login_user(staff)
            return redirect(_safe_next(form.next.data))
        error = "That email and password do not match an active staff account."
    status = 401 if error else (422 if form.errors else 200)
    return render_template("desk/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    # CSRFProtect has already checked the token: a cross-site POST cannot sign anyone out.
    # Forgetting the cookie is not enough (a copy would still work): end it on the server.
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
    logout_user()
    return redirect(url_for("desk.login"))
