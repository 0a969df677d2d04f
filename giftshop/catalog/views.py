from functools import wraps

from flask import Blueprint, Response, redirect, render_template, request, url_for

from giftshop.catalog.forms import OrderForm
from giftshop.catalog.page_cache import catalog_home
from giftshop.catalog.preview import preview_png
from giftshop.catalog.service import moved_slug, product_by_slug
from giftshop.errors import NotFound
from giftshop.extensions import limiter

bp = Blueprint("catalog", __name__)


def follows_old_slugs(view):
    """A product page reached by an earlier slug answers 301 to the same page under the
    product's current slug (query kept), so links printed or shared before a rename work."""
    @wraps(view)
    def wrapper(slug: str, **kwargs):
        try:
            return view(slug, **kwargs)
        except NotFound:
            current = moved_slug(slug)
            if current is None:
                raise
            return redirect(url_for(request.endpoint, slug=current, **kwargs,
                                    **request.args.to_dict(flat=False)), code=301)
    return wrapper


@bp.get("/")
def home():
    return catalog_home()


@bp.get("/p/<slug>")
@follows_old_slugs
def product(slug: str):
    product = product_by_slug(slug)
    return render_template("catalog/product.html", product=product, form=OrderForm(product))


@bp.get("/p/<slug>/preview.png")
@limiter.limit("60 per minute")  # each one is a real rendering
@follows_old_slugs
def preview(slug: str):
    png = preview_png(product_by_slug(slug), request.args.to_dict())
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
