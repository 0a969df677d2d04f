"""Editing the catalog: create, edit, reorder, deactivate. Every change is audited.

Prices are snapshotted on each OrderItem when an order is placed, so an edit here
changes only orders placed afterwards; sold vouchers never change.

Addresses: changing a slug keeps the old one in `ProductSlug`, and `/p/<old>` then
redirects permanently to the product's page. Such a retired slug stays reserved for its
product: another product cannot take it (the old links, printed or shared, must keep
reaching the product they named), while the product itself may take it back.
"""
import re

from sqlalchemy import select

from giftshop.audit import record_audit
from giftshop.errors import NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import Product, ProductSlug
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import Kind

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_PRICE_CENTS = 1_000_000  # $10,000: beyond any real gift here, catches a typo
MAX_SESSIONS = 50
_AUDITED = ("slug", "name", "kind", "description", "price_cents", "min_cents", "max_cents",
            "sessions", "service", "active", "position")


def snapshot(product: Product) -> dict:
    return {name: getattr(product, name) for name in _AUDITED}


def all_products() -> list[Product]:
    return list(db.session.scalars(select(Product).order_by(Product.position, Product.id)))


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("No product has that number.")
    return product


def _money_fields(data: dict, errors: dict) -> dict:
    low, high = data.get("min_cents"), data.get("max_cents")
    for field, value in (("min_cents", low), ("max_cents", high)):
        if value is None:
            errors[field] = "Required for a gift certificate."
        elif value % 100 or not 100 <= value <= MAX_PRICE_CENTS:
            errors[field] = "A whole-dollar amount from $1 to $10,000."
    if "min_cents" not in errors and "max_cents" not in errors and high < low:
        errors["max_cents"] = "Must be at least the minimum."
    return {"min_cents": low, "max_cents": high, "price_cents": None, "sessions": None,
            "service": None}


def _sessions_fields(data: dict, errors: dict) -> dict:
    price, count = data.get("price_cents"), data.get("sessions")
    service = (data.get("service") or "").strip()
    if price is None or not 1 <= price <= MAX_PRICE_CENTS:
        errors["price_cents"] = "A price from $0.01 to $10,000."
    if count is None or not 1 <= count <= MAX_SESSIONS:
        errors["sessions"] = f"From 1 to {MAX_SESSIONS} sessions."
    if not service or len(service) > 120:
        errors["service"] = "Name the service (at most 120 characters)."
    return {"price_cents": price, "sessions": count, "service": service,
            "min_cents": None, "max_cents": None}


def _validated(data: dict, *, kind: str, product_id: int | None) -> dict:
    """Clean fields for a product of `kind`, or ValidationFailed with per-field messages."""
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    slug = (data.get("slug") or "").strip().lower()
    if not name or len(name) > 120:
        errors["name"] = "Give a name (at most 120 characters)."
    if not SLUG_RE.match(slug) or len(slug) > 80:
        errors["slug"] = "Lower-case letters, digits and dashes (used in the page address)."
    else:
        taken = db.session.scalar(select(Product.id).where(Product.slug == slug))
        retired = db.session.get(ProductSlug, slug)
        if taken is not None and taken != product_id:
            errors["slug"] = "Another product already uses that address."
        elif retired is not None and retired.product_id != product_id:
            errors["slug"] = ("That address still leads to another product (it was its "
                              "earlier address); choose another.")
    if kind not in ("money", "sessions"):
        errors["kind"] = "Choose a gift certificate or a sessions package."
    fields = _money_fields(data, errors) if kind == Kind.MONEY else _sessions_fields(data, errors)
    description = (data.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = "At most 2,000 characters."
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "slug": slug, "description": description, **fields}


@rolls_back_on_error
def create_product(data: dict, *, staff=None) -> Product:
    """Add a product at the end of the catalog. Validates first; audits; commits."""
    kind = data.get("kind")
    fields = _validated(data, kind=kind, product_id=None)
    last = db.session.scalar(select(Product.position).order_by(Product.position.desc()).limit(1))
    product = Product(kind=kind, active=bool(data.get("active", True)),
                      position=(last or 0) + 1, **fields)
    db.session.add(product)
    db.session.flush()
    record_audit("product.create", product, staff=staff, after=snapshot(product))
    db.session.commit()
    return product


@rolls_back_on_error
def update_product(product_id: int, data: dict, *, staff=None) -> Product:
    """Edit a product (its kind stays). Affects only orders placed from now on. Commits."""
    product = get_product(product_id)
    fields = _validated(data, kind=product.kind, product_id=product.id)
    before = snapshot(product)
    if fields["slug"] != product.slug:
        _retire_slug(product, fields["slug"])
    for name, value in fields.items():
        setattr(product, name, value)
    product.active = bool(data.get("active", product.active))
    after = snapshot(product)
    if after != before:
        record_audit("product.update", product, staff=staff, before=before, after=after)
    db.session.commit()
    return product


def earlier_slugs(product_id: int) -> list[str]:
    """The product's earlier addresses (each redirects to it), oldest first."""
    return list(db.session.scalars(select(ProductSlug.slug).where(
        ProductSlug.product_id == product_id).order_by(ProductSlug.retired_at, ProductSlug.slug)))


def _retire_slug(product: Product, new_slug: str) -> None:
    """Keep the product's current slug as a redirect; a slug it takes back stops being one."""
    if db.session.get(ProductSlug, product.slug) is None:
        db.session.add(ProductSlug(slug=product.slug, product_id=product.id))
    taken_back = db.session.get(ProductSlug, new_slug)
    if taken_back is not None:
        db.session.delete(taken_back)
    db.session.flush()


@rolls_back_on_error
def set_active(product_id: int, active: bool, *, staff=None) -> Product:
    """Put a product on sale or take it off (it stays on past orders). Commits."""
    product = get_product(product_id)
    if product.active != active:
        record_audit("product.activate" if active else "product.deactivate", product,
                     staff=staff, before={"active": product.active}, after={"active": active})
        product.active = active
    db.session.commit()
    return product


@rolls_back_on_error
def move_product(product_id: int, offset: int, *, staff=None) -> list[Product]:
    """Move a product up (-1) or down (+1) in the shop's order. Renumbers; commits."""
    products = all_products()
    index = next((i for i, p in enumerate(products) if p.id == product_id), None)
    if index is None:
        raise NotFound("No product has that number.")
    if offset not in (-1, 1):
        raise ValidationFailed({"offset": "Move by one place at a time."})
    target = index + offset
    if 0 <= target < len(products):
        before = [p.slug for p in products]
        products[index], products[target] = products[target], products[index]
        for position, product in enumerate(products):
            product.position = position
        record_audit("product.reorder", products[target], staff=staff,
                     before={"order": before}, after={"order": [p.slug for p in products]})
    db.session.commit()
    return products
