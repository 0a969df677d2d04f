"""`/embed`: the purchase pages the "Buy a gift" button opens in a dialog on the practice's
own website, and `/embed/button.js`, the script its snippet loads.

Only these routes may be framed, and only by `EMBED_ORIGINS`; every other page keeps
`frame-ancestors 'none'`. Payment never happens in the frame: the last embedded page hands
the checkout URL to the embedding page, which opens Stripe Checkout top-level.
"""
from flask import Blueprint, Flask, Response, current_app, render_template

from giftshop.catalog.forms import OrderForm
from giftshop.catalog.service import active_products, product_by_slug
from giftshop.catalog.views import follows_old_slugs
from giftshop.checkout.views import order_from_form
from giftshop.extensions import csrf
from giftshop.web import absolute_url, content_security_policy

bp = Blueprint("embed", __name__, url_prefix="/embed")


def register_embed(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.after_request
def allow_framing_by_embed_origins(response: Response) -> Response:
    origins = current_app.config["EMBED_ORIGINS"]
    response.headers["Content-Security-Policy"] = content_security_policy(
        " ".join(origins) if origins else "'none'")
    return response


def _form(product) -> OrderForm:
    # No CSRF token: the frame is usually on another site, where the browser withholds the
    # shop's session cookie (SameSite=Lax). Placing an unpaid order needs no identity,
    # exactly like POST /api/v1/orders; paying happens top-level at Stripe.
    return OrderForm(product, meta={"csrf": False})


@bp.get("")
def products():
    return render_template("embed/products.html", products=active_products())


@bp.get("/p/<slug>")
@follows_old_slugs
def product(slug: str):
    product = product_by_slug(slug)
    return render_template("embed/product.html", product=product, form=_form(product))


@bp.post("/p/<slug>/buy")
@csrf.exempt
def buy(slug: str):
    product = product_by_slug(slug)
    form = _form(product)
    checkout_url = order_from_form(product, form, review_first=False)
    if checkout_url is None:
        return render_template("embed/product.html", product=product, form=form), 422
    return render_template("embed/pay.html", checkout_url=absolute_url(checkout_url),
                           embed_origins=current_app.config["EMBED_ORIGINS"])


@bp.get("/button.js")
def button_js():
    response = Response(render_template("embed/button.js",
                                        origins=current_app.config["EMBED_ORIGINS"]),
                        mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
