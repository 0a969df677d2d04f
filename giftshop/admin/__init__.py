"""The owner's back office under /admin."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the back office into the app: the admin blueprint with the routes of each
    section module (home, orders, vouchers, catalog, campaigns, promo codes, staff, reports,
    audit log, website button)."""
    from giftshop.admin import (  # noqa: F401  (each adds its routes to bp)
        audit_log, campaigns, catalog, orders, promo_codes, reports, staff, views, vouchers,
        website)
    from giftshop.admin.blueprint import bp

    app.register_blueprint(bp)
