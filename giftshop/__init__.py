"""West Hills Gift Shop: `create_app` wires extensions, blueprints, CLI and error handlers;
it starts no thread and does no I/O (`make run` starts the email sender: giftshop/devserver.py)."""
from flask import Flask

from config import Config
from giftshop import web
from giftshop.ops.request_log import register_request_log


def create_app(config_class=Config) -> Flask:
    app = Flask(__name__, template_folder="../templates")
    app.jinja_env.add_extension("jinja2.ext.do")
    config = config_class() if isinstance(config_class, type) else config_class
    app.config.from_object(config)
    _check_settings(app)
    _check_booking_url(app)
    _check_wallet_settings(app)
    web.register_body_limits(app)  # first: the other hooks may read the body
    register_extensions(app)
    web.register_converters(app)
    register_blueprints(app)
    register_cli(app)
    web.register_error_handlers(app)
    web.register_template_helpers(app)
    web.register_security(app)
    register_request_log(app)
    return app


def _check_settings(app: Flask) -> None:
    """Refuse to start on settings that would fail open (RuntimeError, said plainly)."""
    from config import DEFAULT_SECRET_KEY, ENVIRONMENTS

    env = str(app.config.get("GIFTSHOP_ENV", "")).strip().lower()
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"GIFTSHOP_ENV={app.config.get('GIFTSHOP_ENV')!r} is not one of "
                           f"{', '.join(ENVIRONMENTS)}; refusing to start.")
    app.config["GIFTSHOP_ENV"] = env
    if env != "production":
        return
    if app.config["DEMO_PAYMENTS"]:
        raise RuntimeError(
            "Demo payments are refused in production: set STRIPE_SECRET_KEY and "
            "STRIPE_WEBHOOK_SECRET."
        )
    if not app.config["STRIPE_WEBHOOK_SECRET"]:
        raise RuntimeError("STRIPE_WEBHOOK_SECRET must be set in production.")
    key = app.config["SECRET_KEY"] or ""
    if key == DEFAULT_SECRET_KEY or _weak_secret(key):
        raise RuntimeError("Set a random SECRET_KEY of at least 32 characters in production, "
                           "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'.")


def _weak_secret(key: str) -> bool:
    # Too short, too few distinct characters, or one short piece repeated ("abcabc…").
    return len(key) < 32 or len(set(key)) < 10 or (key + key).find(key, 1) < len(key)


def _check_booking_url(app: Flask) -> None:
    # The link is printed on vouchers and emails: only a web address may go there.
    url = app.config.get("BOOKING_URL", "")
    if url and not url.lower().startswith(("https://", "http://")):
        raise RuntimeError("BOOKING_URL must be an http:// or https:// address.")


def _check_wallet_settings(app: Flask) -> None:
    from giftshop.vouchers.wallet import missing_settings

    if missing := missing_settings(app.config):
        raise RuntimeError("Apple Wallet passes need all PASSKIT_* settings; missing: "
                           + ", ".join(missing))


def register_extensions(app: Flask) -> None:
    from giftshop.catalog import page_cache
    from giftshop.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    page_cache.init_app(app)


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def register_blueprints(app: Flask) -> None:
    from giftshop import admin, api, desk
    from giftshop.catalog.views import bp as catalog_bp
    from giftshop.checkout.views import bp as checkout_bp
    from giftshop.embed.views import register_embed
    from giftshop.ops.health import bp as health_bp
    from giftshop.vouchers.unsubscribe import bp as reminders_bp
    from giftshop.vouchers.views import bp as vouchers_bp

    for bp in (catalog_bp, checkout_bp, vouchers_bp, reminders_bp, health_bp):
        app.register_blueprint(bp)
    desk.init_app(app)
    admin.init_app(app)
    api.init_app(app)
    register_embed(app)


def register_cli(app: Flask) -> None:
    from giftshop.cli import register

    register(app)
