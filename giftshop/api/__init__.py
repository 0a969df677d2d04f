"""The JSON API under /api/v1: the shop's public endpoints, staff endpoints (bearer
token) and the OpenAPI document describing both."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprints and put the staff endpoints into the app's OpenAPI
    document beside the public ones."""
    from giftshop.api import openapi, shop, staff

    for bp in (shop.bp, staff.bp, openapi.bp):
        app.register_blueprint(bp)
    openapi.register_paths(app, staff.PATHS, staff.SCHEMAS)
