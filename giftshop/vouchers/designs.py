"""Certificate designs: which are offered to buyers, and the owner's switches for them.

Every design is offered unless the owner turned it off; at least one stays on. A sold
voucher keeps the design it was bought with, whatever is switched later.
"""
from sqlalchemy import select

from giftshop.audit import record_audit
from giftshop.errors import Conflict, NotFound
from giftshop.extensions import db
from giftshop.models import Design, DesignChoice


def design_states() -> list[tuple[Design, bool]]:
    """Every design with whether it is offered, in the order buyers see them."""
    off = set(db.session.scalars(select(DesignChoice.slug).where(DesignChoice.enabled.is_(False))))
    return [(design, design.value not in off) for design in Design]


def offered_designs() -> list[Design]:
    return [design for design, on in design_states() if on]


def is_offered(value) -> bool:
    return isinstance(value, str) and value in {d.value for d in offered_designs()}


def set_design_offered(slug: str, offered: bool, *, staff) -> Design:
    """Turn a design on or off for buyers. Audited; commits.

    NotFound for an unknown design; Conflict `last_design` when it would leave none.
    """
    try:
        design = Design(slug)
    except ValueError:
        raise NotFound("No such design.") from None
    if not offered and offered_designs() == [design]:
        raise Conflict("Keep at least one design on offer.", code="last_design")
    choice = db.session.get(DesignChoice, design.value)
    before = True if choice is None else choice.enabled
    if choice is None:
        choice = DesignChoice(slug=design.value)
        db.session.add(choice)
    choice.enabled = offered
    record_audit("design.offered" if offered else "design.withdrawn", choice, staff=staff,
                 before={"design": design.value, "offered": before},
                 after={"design": design.value, "offered": offered})
    db.session.commit()
    return design
