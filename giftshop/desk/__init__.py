"""The front desk: staff sign-in, finding a voucher, redeeming, undoing, cashing out, voiding."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the desk into the app: Flask-Login's sign-in page and user loader, and the
    desk blueprint with the routes of its three page modules."""
    from giftshop.desk import actions, signin, views  # noqa: F401  (each adds its routes to bp)
    from giftshop.desk.blueprint import bp
    from giftshop.desk.staff import load_staff
    from giftshop.extensions import login_manager

    login_manager.login_view = "desk.login"
    login_manager.login_message = "Please sign in to use the front desk."
    login_manager.user_loader(load_staff)
    app.register_blueprint(bp)
