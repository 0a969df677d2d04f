"""Access control for staff pages and the staff JSON API.

Pages use the Flask-Login session: `staff_required` / `owner_required` send anonymous
visitors to the sign-in page and answer 403 to staff on an owner page.

The API uses `Authorization: Bearer <token>` only (its blueprint is CSRF-exempt, so a
session cookie must never authorize it): `api_staff_required` / `api_owner_required`
answer 401 `{"error": "unauthorized"}` without a valid token and 403
`{"error": "forbidden"}` to staff on an owner action. `current_api_staff()` is the
token's owner inside such a view.
"""
from functools import wraps

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from giftshop.desk import token_cache
from giftshop.errors import UnknownCode
from giftshop.extensions import db, login_manager
from giftshop.models import Staff
from giftshop.web import error_response


def staff_required(view):
    """Page decorator: any signed-in, active staff member."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)
    return wrapped


def owner_required(view):
    """Page decorator: the owner only (anonymous → sign-in, staff → 403)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_owner:
            abort(403, description="Only the owner can do that.")
        return view(*args, **kwargs)
    return wrapped


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized():
    response, status = error_response(
        401, "unauthorized", "Send a valid staff API token: Authorization: Bearer <token>.")
    response.headers["WWW-Authenticate"] = 'Bearer realm="giftshop"'
    return response, status


def _forbidden():
    return error_response(403, "forbidden", "Only the owner can do that.")


def _resolve_api_staff() -> Staff | None:
    """The token's staff member (read-only; `note_token_use` records the use afterwards)."""
    from giftshop.desk.staff import token_holder

    staff, g.api_token_due = token_holder(_bearer_token())
    g.api_staff = staff
    return staff


def note_token_use(response):
    """After an API request: refresh the token's `last_used_at` when it was due. Runs as
    the staff API blueprint's after_request, outside the view's transaction."""
    token_id = g.pop("api_token_due", None)
    if token_id is not None:
        from giftshop.desk.staff import record_token_use

        try:
            record_token_use(token_id)
        except DBAPIError:  # a bookkeeping write must not turn an answer into an error
            db.session.rollback()
    return response


def api_staff_required(view):
    """API decorator: a valid bearer token of any active staff member."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if _resolve_api_staff() is None:
            return _unauthorized()
        return view(*args, **kwargs)
    return wrapped


def api_owner_required(view):
    """API decorator: a valid bearer token of the owner."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        staff = _resolve_api_staff()
        if staff is None:
            return _unauthorized()
        if not staff.is_owner:
            return _forbidden()
        return view(*args, **kwargs)
    return wrapped


def api_staff_cached(view):
    """`api_staff_required` for the hot routes (lookup, redemption): a token this process
    has resolved lately sends no token query (`desk/token_cache.py`). The view must put
    `ApiToken.live(current_api_staff().token_id)` into its one statement; when that
    statement finds nothing (UnknownCode), the token is checked afresh, so a dead token
    answers 401 and only a live one gets the 404."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        token = _bearer_token()
        holder = token_cache.cached(token)
        if holder is None:
            from giftshop.desk.staff import live_token

            row, g.api_token_due = live_token(token)
            if row is None:
                return _unauthorized()
            holder = token_cache.remember(token, row)
        g.api_staff = holder
        try:
            return view(*args, **kwargs)
        except UnknownCode:
            token_cache.forget(token)
            db.session.rollback()
            if _resolve_api_staff() is None:
                return _unauthorized()
            raise
    return wrapped


def current_api_staff() -> Staff | token_cache.TokenHolder | None:
    """The staff member whose token authorized this API request (None outside one): a
    `TokenHolder` (id, email) under `api_staff_cached`."""
    return g.get("api_staff")
