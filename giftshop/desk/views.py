"""Front desk pages (staff only)."""
from flask import Blueprint

from giftshop.desk import staff  # noqa: F401  (registers the Flask-Login user loader)

bp = Blueprint("desk", __name__)
