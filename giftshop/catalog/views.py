from flask import Blueprint, render_template

from giftshop.catalog.forms import OrderForm
from giftshop.catalog.service import active_products, product_by_slug

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    return render_template("catalog/home.html", products=active_products())


@bp.get("/p/<slug>")
def product(slug: str):
    product = product_by_slug(slug)
    return render_template("catalog/product.html", product=product, form=OrderForm(product))
