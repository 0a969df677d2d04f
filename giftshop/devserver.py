"""`make run`'s entry point: the app, plus the email sender thread when OUTBOX_THREAD=1.

`create_app` itself starts nothing (gunicorn, the CLI and the tests use it as is; in
production `flask outbox run` is a service of its own); a single-process development
server is the one place a background sender belongs.
"""
from flask import Flask

from config import Config
from giftshop import create_app


def create_dev_app(config_class=Config) -> Flask:
    """The app `make run` serves (`flask --app giftshop.devserver:create_dev_app run`)."""
    app = create_app(config_class)
    start_outbox_thread(app)
    return app


def start_outbox_thread(app: Flask) -> None:
    """Send email from a background thread when OUTBOX_THREAD=1 and a MAIL_SERVER is set
    (without one the order page shows what is queued); never under tests."""
    if app.config.get("OUTBOX_THREAD") and app.config.get("MAIL_SERVER") and not app.testing:
        from giftshop.vouchers.outbox import start_sender_thread

        start_sender_thread(app)
