"""Public JSON API: the catalog and orders (the order's unguessable id is its credential)."""
from flask import Blueprint, jsonify, request, url_for

from giftshop.attempts import lookup_limit
from giftshop.catalog.service import active_products
from giftshop.checkout import service
from giftshop.errors import ValidationFailed
from giftshop.extensions import csrf
from giftshop.localtime import today_local
from giftshop.web import absolute_url, keep_private

bp = Blueprint("api_shop", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def product_json(product) -> dict:
    body = {"slug": product.slug, "name": product.name, "kind": product.kind,
            "description": product.description}
    if product.is_money:
        body.update(min_cents=product.min_cents, max_cents=product.max_cents)
    else:
        body.update(price_cents=product.price_cents, sessions=product.sessions,
                    service=product.service)
    return body


def voucher_summary(voucher) -> dict:
    return {"code": voucher.code, "kind": voucher.kind, "initial": voucher.initial,
            "remaining": voucher.remaining, "status": voucher.display_status}


@bp.get("/catalog")
def catalog():
    return {"products": [product_json(p) for p in active_products()]}


@bp.post("/orders")
def create_order():
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationFailed({"body": "Send a JSON object (Content-Type: application/json)."})
    order = service.place_order(data, today=today_local())
    checkout_url = absolute_url(service.start_checkout_or_drop(order))
    return {
        "order_id": order.public_id,
        "order_url": url_for("checkout.order_page", public_id=order.public_id, _external=True),
        "checkout_url": checkout_url,
    }, 201


@bp.get("/orders/<order_id>")
@lookup_limit
def get_order(order_id: str):
    order = service.order_by_public_id(order_id)
    return keep_private(jsonify({
        "order_id": order.public_id,
        "status": order.status,
        "total_cents": order.total_cents,
        "discount_cents": order.discount_cents,
        "promo_code": order.promo_code.code if order.promo_code else None,
        "vouchers": [voucher_summary(v) for v in order.vouchers],
    }))
