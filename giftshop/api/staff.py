"""Staff JSON API (bearer token)."""
from flask import Blueprint

from giftshop.extensions import csrf

bp = Blueprint("api_staff", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
