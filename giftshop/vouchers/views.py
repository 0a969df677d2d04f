"""Holder pages: the QR target and the balance lookup."""
from flask import Blueprint

bp = Blueprint("vouchers", __name__)
