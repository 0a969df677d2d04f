"""The front desk's blueprint; its routes live in signin.py, views.py and actions.py."""
from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
