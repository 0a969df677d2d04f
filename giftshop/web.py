"""Web plumbing shared by every blueprint: error pages, template filters, security headers."""
from datetime import datetime

from flask import Flask, Response, abort, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from giftshop.attempts import retry_words
from giftshop.errors import DomainError, ValidationFailed
from giftshop.extensions import db, limiter
from giftshop.localtime import local_date, local_time
from giftshop.models.base import MAX_DB_INT
from giftshop.money import money, whole_money
from giftshop.practice import practice_info

MAX_PAGE = 100_000


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/stripe/")


def error_response(status: int, code: str, message: str, **extra):
    """A JSON error body for the API, an HTML page for people."""
    if wants_json():
        body = {"error": code, "message": message, **extra}
        return jsonify(body), status
    return render_template("error.html", status=status, code=code, message=message), status


def rate_limited_response(message: str, retry_after: int):
    """429 with Retry-After: for people a page that says in words when to try again and
    how to reach the practice meanwhile; for the API `{"error": "rate_limited",
    "message", "retry_after"}`."""
    retry_after = max(int(retry_after), 1)
    if wants_json():
        response = jsonify({"error": "rate_limited", "message": message,
                            "retry_after": retry_after})
    else:
        response = make_response(render_template("rate_limited.html", message=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def _limiter_retry_after() -> int:
    """Seconds until the Flask-Limiter limit this request broke resets."""
    current = limiter.current_limit
    if current is None:
        return 60
    return int(current.reset_at - datetime.now().timestamp()) + 1


def _unstorable(value) -> bool:
    """Text no database column can hold: NUL characters or lone UTF-16 surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def refuse_unstorable_text():
    """One guard for every path, form, query and JSON body: such text would fail in the
    database driver (PostgreSQL refuses NUL) as a 500; refuse it up front as a 4xx.
    JSON nested deeper than Python's recursion limit is refused here too (400)."""
    if any(_unstorable(v) for v in (request.view_args or {}).values()):
        return error_response(404, "not_found", "There is no such page.")
    if request.path.startswith("/stripe/"):
        return None
    values = [*request.args.values(), *request.form.values()]
    try:
        if request.is_json:
            values.append(request.get_json(silent=True))
        unstorable = any(_unstorable(v) for v in values)
    except RecursionError:
        return error_response(400, "invalid_json", "The JSON is nested too deeply.")
    if unstorable:
        return error_response(422, "invalid_text",
                              "The request contains characters that are not allowed.")
    return None


def body_limit(size: int):
    """Let one view accept bodies of up to `size` bytes instead of MAX_CONTENT_LENGTH."""
    def mark(view):
        view.max_content_length = size
        return view
    return mark


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits an INTEGER column can hold, else a 404
    (a bigger number would make PostgreSQL fail the query)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def register_converters(app: Flask) -> None:
    """Before any blueprint: rules pick their converters when they are added."""
    app.url_map.converters["int"] = IdConverter


def page_arg() -> int:
    """`?page=N` of a list: 1 when absent or not a positive number; a 400 past MAX_PAGE
    (the offset would overflow the database's integers)."""
    page = request.args.get("page", 1, type=int)
    if page > MAX_PAGE:
        abort(400, description=f"page must be a whole number from 1 to {MAX_PAGE:,}.")
    return max(page, 1)


def register_body_limits(app: Flask) -> None:
    """Apply `body_limit` marks. Must run before any other before_request hook (CSRF
    checking reads the form, and reading past the limit is a 413)."""
    @app.before_request
    def view_body_limit():
        size = getattr(app.view_functions.get(request.endpoint), "max_content_length", None)
        if size:
            request.max_content_length = size


def register_error_handlers(app: Flask) -> None:
    app.before_request(refuse_unstorable_text)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if getattr(exc, "retry_after", None):  # attempts.TooManyAttempts
            return rate_limited_response(exc.message, exc.retry_after)
        extra = {"errors": exc.errors} if isinstance(exc, ValidationFailed) else {}
        return error_response(exc.status, exc.code, exc.message, **extra)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "csrf_failed",
                              "The form expired or was not sent from this site. "
                              "Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if exc.code == 429:  # a Flask-Limiter limit ("60 per 1 minute" is no message)
            retry_after = _limiter_retry_after()
            return rate_limited_response(f"Too many requests from your connection. Please try "
                                         f"again {retry_words(retry_after)}.", retry_after)
        if exc.code == 413:
            limit = request.max_content_length
            return error_response(413, "too_large", f"The request is too large: send at most "
                                  f"{limit:,} bytes." if limit else "The request is too large.")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(DBAPIError)
    def database_unavailable(exc: DBAPIError):
        # A dropped connection or an overloaded database: nothing was committed.
        app.logger.exception("database error")
        db.session.rollback()
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            return error_response(503, "unavailable",
                                  "The shop is briefly unavailable. Please try again.")
        return error_response(500, "internal_error", "Something went wrong on our side.")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return error_response(500, "internal_error", "Something went wrong on our side.")


def keep_private(response):
    """For responses that show voucher codes: never stored by a cache, never indexed."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF shown in the browser (not downloaded), kept private like the codes it prints."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return keep_private(response)


def register_template_helpers(app: Flask) -> None:
    from giftshop.vouchers.codes import format_code
    from giftshop.vouchers.lookup import gratuity_text, remaining_text

    app.jinja_env.filters.update(
        money=money, whole_money=whole_money, local_time=local_time, local_date=local_date,
        code=format_code, remaining=remaining_text, gratuity=gratuity_text,
    )

    @app.context_processor
    def practice():
        cfg = app.config
        return {
            "practice": practice_info(cfg),
            "demo_payments": cfg["DEMO_PAYMENTS"],
            "booking_url": cfg["BOOKING_URL"],
        }


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The shop's one CSP; only the embed routes pass their allowed framing origins."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' blob:; connect-src 'self'; frame-ancestors {frame_ancestors}; "
        "base-uri 'self'; form-action 'self' https://checkout.stripe.com; object-src 'none'"
    )


CSP = content_security_policy()


def absolute_url(url: str) -> str:
    """A path on this shop made absolute for use outside it (API clients, embedding pages)."""
    return request.host_url.rstrip("/") + url if url.startswith("/") else url


def register_security(app: Flask) -> None:
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    production = app.config["GIFTSHOP_ENV"] == "production"

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "DENY")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
