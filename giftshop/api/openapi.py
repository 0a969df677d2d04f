"""The OpenAPI 3.1 document for /api/v1; tests validate real responses against it."""
from flask import Blueprint, current_app

from giftshop.models import Design
from giftshop.models.vocab import Kind, OrderStatus, VoucherState, values

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                   "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                   "retry_after": {"type": "integer", "minimum": 1,
                                   "description": "seconds to wait (429; also `Retry-After`)"}},
}
PERSON = {
    "type": "object",
    "required": ["name", "email"],
    "properties": {"name": {"type": "string", "maxLength": 120},
                   "email": {"type": "string", "format": "email", "maxLength": 254}},
}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


SCHEMAS = {
    "Error": ERROR,
    "Person": PERSON,
    "Product": {
        "type": "object",
        "required": ["slug", "name", "kind"],
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "description": {"type": "string"},
            "kind": {"enum": values(Kind)},
            "price_cents": {"type": "integer"}, "min_cents": {"type": "integer"},
            "max_cents": {"type": "integer"}, "sessions": {"type": "integer"},
            "service": {"type": "string"},
        },
    },
    "Catalog": {
        "type": "object", "required": ["products"],
        "properties": {"products": {"type": "array",
                                    "items": {"$ref": "#/components/schemas/Product"}}},
    },
    "OrderItemRequest": {
        "type": "object",
        "required": ["product"],
        "properties": {
            "product": {"type": "string"},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
            "amount_cents": {"type": "integer", "description": "Money certificates only: "
                             "the face value in whole dollars, within the product's bounds."},
            "recipient": {
                "type": "object", "required": ["name"],
                "description": "Omit when buying for yourself. A name with no email means the "
                               "buyer hands the gift over: the name is printed and the PDF goes "
                               "to the buyer.",
                "properties": PERSON["properties"],
            },
            "message": {"type": "string", "maxLength": 500},
            "deliver_on": {"type": "string", "format": "date"},
            "design": {"enum": [d.value for d in Design],
                       "description": "The certificate's design (one the owner offers); "
                                      "the first on offer when omitted."},
            "gratuity": {
                "description": "Optional prepaid gratuity for the therapist, per voucher: "
                               "a whole percent of the gift's price (rounded half-up to "
                               "the cent) or whole-dollar cents; at most the gift's price "
                               "and at most $500. Charged on its own Checkout line, "
                               "printed on the certificate, never part of its value. "
                               "Omit or null for none.",
                "oneOf": [
                    {"type": "null"},
                    {"type": "object", "required": ["percent"], "additionalProperties": False,
                     "properties": {"percent": {"type": "integer", "minimum": 1,
                                                "maximum": 100}}},
                    {"type": "object", "required": ["amount_cents"],
                     "additionalProperties": False,
                     "properties": {"amount_cents": {"type": "integer", "minimum": 100,
                                                     "maximum": 50000, "multipleOf": 100}}},
                ],
            },
        },
    },
    "OrderRequest": {
        "type": "object",
        "required": ["purchaser", "items"],
        "properties": {
            "purchaser": {"$ref": "#/components/schemas/Person"},
            "items": {"type": "array", "minItems": 1, "maxItems": 10,
                      "items": {"$ref": "#/components/schemas/OrderItemRequest"}},
            "promo_code": {"type": "string", "maxLength": 32,
                           "description": "A promo code from the practice, any case. Its "
                                          "discount is off the gifts and is charged through "
                                          "Stripe Checkout; an unknown, expired, inactive or "
                                          "used-up code is a 422 with `errors.promo_code`."},
        },
    },
    "OrderCreated": {
        "type": "object",
        "required": ["order_id", "order_url", "checkout_url"],
        "properties": {"order_id": {"type": "string"}, "order_url": {"type": "string"},
                       "checkout_url": {"type": "string"}},
    },
    "VoucherSummary": {
        "type": "object",
        "required": ["code", "kind", "initial", "remaining", "status"],
        "properties": {
            "code": {"type": "string"}, "kind": {"enum": values(Kind)},
            "initial": {"type": "integer"}, "remaining": {"type": "integer", "minimum": 0},
            "status": {"enum": values(VoucherState)},
        },
    },
    "Order": {
        "type": "object",
        "required": ["order_id", "status", "total_cents", "vouchers"],
        "properties": {
            "order_id": {"type": "string"},
            "status": {"enum": values(OrderStatus)},
            "total_cents": {"type": "integer",
                            "description": "What the buyer pays: the gifts, after any "
                                           "promo code's discount, and their gratuities."},
            "discount_cents": {"type": "integer", "minimum": 0,
                               "description": "Taken off the gifts by the promo code (0 "
                                              "without one)."},
            "promo_code": {"type": ["string", "null"]},
            "vouchers": {"type": "array",
                         "items": {"$ref": "#/components/schemas/VoucherSummary"}},
        },
    },
}

PATHS = {
    "/catalog": {"get": {
        "operationId": "getCatalog", "summary": "Products for sale",
        "responses": {"200": _json("The active catalog", "Catalog")},
    }},
    "/orders": {"post": {
        "operationId": "createOrder", "summary": "Place an order and get its checkout URL",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/OrderRequest"}}}},
        "responses": {"201": _json("Order placed, pending payment", "OrderCreated"),
                      "422": _error("Invalid order; `errors` maps fields to messages")},
    }},
    "/orders/{order_id}": {"get": {
        "operationId": "getOrder", "summary": "An order and its vouchers",
        "parameters": [{"name": "order_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": _json("The order", "Order"), "404": _error("Unknown order"),
                      "429": _error("Too many unknown codes or order ids from this client "
                                    "(about 10 a minute, shared with the voucher pages); "
                                    "`retry_after` and the `Retry-After` header say when to "
                                    "try again")},
    }},
}

def register_paths(app, paths: dict, schemas: dict) -> None:
    """Add an API module's paths and schemas to this app's document (`api.init_app`)."""
    document_parts = app.extensions.setdefault("openapi", {"paths": {}, "schemas": {}})
    document_parts["paths"].update(paths)
    document_parts["schemas"].update(schemas)


def document() -> dict:
    """The current app's OpenAPI document: the public paths here plus those registered."""
    extra = current_app.extensions.get("openapi", {"paths": {}, "schemas": {}})
    return {
        "openapi": "3.1.0",
        "info": {"title": "West Hills Gift Shop API", "version": "1.0.0",
                 "description": "Money is always integer cents (USD)."},
        "servers": [{"url": "/api/v1"}],
        "paths": {**PATHS, **extra["paths"]},
        "components": {
            "schemas": {**SCHEMAS, **extra["schemas"]},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    return document()
