from flask import Blueprint, Response, render_template, request

from giftshop.catalog.forms import OrderForm
from giftshop.catalog.page_cache import catalog_home
from giftshop.catalog.preview import preview_png
from giftshop.catalog.service import product_by_slug
from giftshop.extensions import limiter

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    return catalog_home()


@bp.get("/p/<slug>")
def product(slug: str):
    product = product_by_slug(slug)
    return render_template("catalog/product.html", product=product, form=OrderForm(product))


@bp.get("/p/<slug>/preview.png")
@limiter.limit("60 per minute")  # each one is a real rendering
def preview(slug: str):
    png = preview_png(product_by_slug(slug), request.args.to_dict())
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
