"""Promo codes: set up by the owner, typed by the buyer, applied as a Stripe discount.

Rules, in one place:
- A code is typed in any case; it is stored upper-case. It is usable while active, on
  local (America/Los_Angeles) dates `starts_on`..`ends_on`, and while fewer than
  `max_uses` orders hold it.
- The discount is off the gifts only: `percent_off` of their sum (rounded half up to
  the cent) or `amount_off_cents`, capped so that at least $0.50 (Stripe's smallest
  USD charge) is still charged. A gratuity line, if the order has one, is never
  discounted: only `order.items` (the gifts) are repriced here.
- The discount is allocated across the order's lines in proportion to their price,
  to the cent (largest remainder, ties to the earlier line), and each line's
  `paid_cents` is stored; a line's units split it evenly (`OrderItem.unit_paid_cents`).
  Vouchers carry that paid value, so refunds and the liability report value them at
  what was paid.
- Usage limit: an order *holds* one use from the moment it goes to payment
  (`hold_for_checkout`, under the code's row lock) until its Stripe session can no
  longer be paid (`promo_held_until`), and keeps it once paid. A code is used up when
  paid orders plus live holds reach `max_uses`, so concurrent checkouts cannot exceed
  the limit, and a paid order is always honoured (fulfilment never re-checks the code).
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from giftshop.audit import record_audit
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import Order, PromoCode, utcnow
from giftshop.localtime import LOCAL_TZ
from giftshop.promotions.dates import check_date_range
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import PAID_ORDER_STATUSES, OrderStatus

class PromoUnavailable(Conflict):
    """The code stopped being usable between applying it and going to payment."""

    code = "promo_unavailable"

    def __init__(self, reason: str):
        super().__init__(reason + " Remove it to pay the full price, or start again.")
        self.reason = reason


CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")
MIN_CHARGE_CENTS = 50
MAX_AMOUNT_CENTS = 100_000
# A Stripe Checkout Session made for a discounted order can be paid for this long
# (Stripe allows 30 minutes to 24 hours); the use stays held a while longer, for a
# payment completed in the session's last minute whose confirmation is late.
SESSION_LIFETIME = timedelta(hours=1)
HOLD_SLACK = timedelta(hours=1)


def normalize(text) -> str:
    """The stored form of a typed code: trimmed, upper-case, inner spaces dropped."""
    return re.sub(r"\s+", "", str(text or "")).upper()


# -- the owner's side ----------------------------------------------------------------
def _check(data: dict, today: date) -> dict:
    errors = {}
    code = normalize(data.get("code"))
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = "Use 3 to 32 letters, digits or dashes, like SPRING20."
    elif db.session.scalar(select(PromoCode.id).where(PromoCode.code == code)) is not None:
        errors["code"] = f"The code {code} already exists."
    percent, amount = data.get("percent_off"), data.get("amount_off_cents")
    if (percent is None) == (amount is None):
        errors["discount"] = "Give either a percentage or an amount off (not both)."
    elif percent is not None and (not isinstance(percent, int) or not 1 <= percent <= 100):
        errors["percent_off"] = "Give a whole percentage from 1 to 100."
    elif amount is not None and (not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT_CENTS):
        errors["amount_off"] = "Give an amount from $0.01 to $1,000."
    starts, ends = check_date_range(data, errors, today=today, what="code")
    max_uses = data.get("max_uses")
    if max_uses is not None and (not isinstance(max_uses, int) or not 1 <= max_uses <= 100_000):
        errors["max_uses"] = "Give a number of uses from 1 to 100,000, or leave it empty."
    if errors:
        raise ValidationFailed(errors)
    return {"code": code, "percent_off": percent, "amount_off_cents": amount,
            "starts_on": starts, "ends_on": ends, "max_uses": max_uses}


@rolls_back_on_error
def create_promo_code(data: dict, *, staff, today: date) -> PromoCode:
    """Validate and store a new code with an audit row. Commits; ValidationFailed (422,
    nothing written) on bad input, a code that exists or one already over."""
    clean = _check(data, today)
    promo = PromoCode(**clean, created_by_id=staff.id)
    db.session.add(promo)
    db.session.flush()
    record_audit("promo_code.create", promo, staff=staff, after={
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in clean.items()})
    db.session.commit()
    return promo


def deactivate_promo_code(promo_id: int, *, staff) -> PromoCode:
    """Stop a code being accepted (orders already holding it keep it). Audited; commits;
    idempotent (an inactive code is returned unchanged, no second audit row)."""
    promo = db.session.get(PromoCode, promo_id)
    if promo is None:
        raise NotFound("No promo code has that id.")
    if promo.active:
        promo.active = False
        record_audit("promo_code.deactivate", promo, staff=staff,
                     before={"active": True}, after={"active": False})
        db.session.commit()
    return promo


# -- the buyer's side ----------------------------------------------------------------
def _uses_taken(promo: PromoCode, *, now: datetime, excluding: int | None = None) -> int:
    """Paid orders with the code plus pending ones whose hold is still live."""
    held = or_(Order.status.in_(PAID_ORDER_STATUSES),
               and_(Order.status == OrderStatus.PENDING, Order.promo_held_until > now))
    query = select(func.count()).select_from(Order).where(Order.promo_code_id == promo.id, held)
    if excluding is not None:
        query = query.where(Order.id != excluding)
    return db.session.scalar(query)


def _refusal(promo: PromoCode | None, typed: str, *, today: date, now: datetime,
             order_id: int | None) -> str | None:
    """Why the code cannot be used now (a message for the buyer), or None."""
    if promo is None:
        return f"We don't know the code “{typed}”. Check the spelling."
    if not promo.active:
        return f"The code {promo.code} is no longer offered."
    if today < promo.starts_on:
        return f"The code {promo.code} can be used from {promo.starts_on:%B} {promo.starts_on.day}."
    if today > promo.ends_on:
        return f"The code {promo.code} expired on {promo.ends_on:%B} {promo.ends_on.day}, {promo.ends_on.year}."
    if promo.max_uses is not None and \
            _uses_taken(promo, now=now, excluding=order_id) >= promo.max_uses:
        return f"The code {promo.code} has been used up."
    return None


def usable_code(typed, *, today: date, order_id: int | None = None) -> PromoCode:
    """The code the buyer typed, if it can be used now; else ValidationFailed with a
    `promo_code` message (unknown, no longer offered, not yet, expired, used up)."""
    if not isinstance(typed, str):
        raise ValidationFailed({"promo_code": "Type the promo code as text."})
    code = normalize(typed)
    if not code or len(code) > 32:
        raise ValidationFailed({"promo_code": "Type the promo code (up to 32 characters)."})
    promo = db.session.scalar(select(PromoCode).where(PromoCode.code == code))
    refusal = _refusal(promo, code, today=today, now=utcnow(), order_id=order_id)
    if refusal:
        raise ValidationFailed({"promo_code": refusal}, refusal)
    return promo


def discount_for(promo: PromoCode | None, subtotal_cents: int) -> int:
    """The discount the code gives on gifts worth `subtotal_cents` (see the rules above)."""
    if promo is None:
        return 0
    if promo.percent_off is not None:
        raw = (subtotal_cents * promo.percent_off + 50) // 100
    else:
        raw = promo.amount_off_cents
    return max(0, min(raw, subtotal_cents - MIN_CHARGE_CENTS))


def allocate(line_totals: list[int], discount: int) -> list[int]:
    """Each line's share of `discount`, in proportion to its total, summing exactly to
    it: floors first, then one cent each to the largest remainders (earlier line on a tie)."""
    subtotal = sum(line_totals)
    if discount <= 0 or subtotal <= 0:
        return [0] * len(line_totals)
    shares = [discount * total // subtotal for total in line_totals]
    remainders = sorted(range(len(line_totals)),
                        key=lambda i: (-(discount * line_totals[i] % subtotal), i))
    for i in remainders[:discount - sum(shares)]:
        shares[i] += 1
    return shares


def reprice(order: Order, promo: PromoCode | None) -> None:
    """Set the order's code, discount, each gift line's `paid_cents` and the total charged.
    Only the gifts are discounted (never a gratuity line). Does not commit."""
    lines = list(order.items)
    totals = [line.line_total_cents for line in lines]
    discount = discount_for(promo, sum(totals))
    for line, total, share in zip(lines, totals, allocate(totals, discount)):
        line.paid_cents = total - share
    order.promo_code = promo
    order.discount_cents = discount
    order.total_cents = sum(line.paid_cents for line in lines)


def _lock(promo_id: int) -> PromoCode:
    """The code's row, locked for this transaction (on SQLite: the database write lock)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(PromoCode).where(PromoCode.id == promo_id)
                           .values(active=PromoCode.active))
    return db.session.execute(select(PromoCode).where(PromoCode.id == promo_id)
                              .with_for_update().execution_options(populate_existing=True)
                              ).scalar_one()


def hold_for_checkout(order: Order) -> datetime | None:
    """Take one of the code's uses for the order about to go to payment. Commits.

    Returns when the payment session must expire (None when the order has no code).
    Locks the code's row, so concurrent checkouts never hold more than `max_uses`.
    Conflict `promo_unavailable` (the hold released, nothing else changed) when the
    code stopped being usable since the buyer applied it.
    """
    if order.promo_code_id is None:
        return None
    now = utcnow()
    promo = _lock(order.promo_code_id)
    refusal = _refusal(promo, promo.code, today=now.astimezone(LOCAL_TZ).date(), now=now,
                       order_id=order.id)
    if refusal:
        db.session.rollback()
        raise PromoUnavailable(refusal)
    expires = now + SESSION_LIFETIME
    order.promo_held_until = expires + HOLD_SLACK
    db.session.commit()
    return expires


# -- the owner's report --------------------------------------------------------------
@dataclass(frozen=True)
class CodeFigures:
    promo: PromoCode
    uses: int
    discount_cents: int
    paid_cents: int


def promo_report() -> list[CodeFigures]:
    """Per code, newest first: paid orders that used it, the discount they were given and
    what they paid. One query."""
    paid = Order.status.in_(PAID_ORDER_STATUSES)
    rows = db.session.execute(
        select(PromoCode, func.count(Order.id),
               func.coalesce(func.sum(Order.discount_cents), 0),
               func.coalesce(func.sum(Order.total_cents), 0))
        .outerjoin(Order, and_(Order.promo_code_id == PromoCode.id, paid))
        .group_by(PromoCode.id).order_by(PromoCode.created_at.desc(), PromoCode.id.desc()))
    return [CodeFigures(p, n, int(d), int(t)) for p, n, d, t in rows]

