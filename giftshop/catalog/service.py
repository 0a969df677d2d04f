"""The catalog: what is for sale, and the seed that `flask seed` loads."""
from sqlalchemy import select

from giftshop.errors import NotFound
from giftshop.extensions import db
from giftshop.models import Product, ProductSlug

SERVICE_60 = "60-min Pain Management Massage"
SEED_PRODUCTS = [
    dict(slug="gift-certificate", name="Gift certificate", kind="money",
         min_cents=2_500, max_cents=100_000,
         description="Any amount from $25 to $1,000, spent on any service. "
                     "No expiration date, no fees."),
    dict(slug="pain-management-60", name="60-min Pain Management Massage", kind="sessions",
         price_cents=11_000, sessions=1, service=SERVICE_60,
         description="Myofascial release, deep tissue, trigger-point compression and cupping, "
                     "focused on where it hurts."),
    dict(slug="pain-management-90", name="90-min Pain Management Massage", kind="sessions",
         price_cents=15_000, sessions=1, service="90-min Pain Management Massage",
         description="The full treatment with time for more than one problem area."),
    dict(slug="pain-management-4-pack", name="Pain Management 4-pack", kind="sessions",
         price_cents=40_000, sessions=4, service=SERVICE_60,
         description="Four 60-minute treatments: the course the therapist recommends, "
                     "at a better price."),
    dict(slug="pain-management-6-pack", name="Pain Management 6-pack", kind="sessions",
         price_cents=57_000, sessions=6, service=SERVICE_60,
         description="Six 60-minute treatments for lasting relief, at the best price "
                     "per session."),
]


def active_products() -> list[Product]:
    return list(db.session.scalars(
        select(Product).where(Product.active.is_(True)).order_by(Product.position, Product.id)
    ))


def product_by_slug(slug: str, *, active_only: bool = True) -> Product:
    """The product, or NotFound (also for a deactivated one when `active_only`)."""
    product = db.session.scalar(select(Product).where(Product.slug == slug))
    if product is None or (active_only and not product.active):
        raise NotFound("That product is not for sale.")
    return product


def moved_slug(slug: str) -> str | None:
    """The current slug of the product that `slug` used to name, or None when `slug` is
    no earlier address of any product. Read-only."""
    return db.session.scalar(select(Product.slug).join(
        ProductSlug, ProductSlug.product_id == Product.id).where(ProductSlug.slug == slug))


def seed_catalog() -> int:
    """Create the seed products that are missing (by slug). Idempotent; commits.

    Returns how many were created. Existing products, possibly edited by the owner,
    are left alone; a seed product renamed since (its slug now redirects) counts as existing.
    """
    existing = set(db.session.scalars(select(Product.slug))) | set(
        db.session.scalars(select(ProductSlug.slug)))
    created = 0
    for position, fields in enumerate(SEED_PRODUCTS):
        if fields["slug"] in existing:
            continue
        db.session.add(Product(position=position, **fields))
        created += 1
    db.session.commit()
    return created
