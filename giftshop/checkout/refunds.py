"""Refunds through Stripe, made here (owner) or in the Stripe dashboard (webhooks).

Orders paid on the demo pay page are refunded here the same way, through the demo
payment provider (`demo_gateway`): same allocation, ledger entries, order totals,
idempotency and audit; only no money moves.

Allocation rule (how money maps onto vouchers):
- A refund made here is chosen voucher by voucher: the owner gives, for each voucher,
  how much of what remains to take back (cents of a money voucher, whole sessions of
  a package). The money refunded is the *value* of what is taken:
  ``value(r) = r * value_cents // initial`` (what was paid, pro rata, integer cents,
  rounded down) and a refund of ``k`` units is ``value(r) - value(r - k)``. Taking
  everything that remains in several steps therefore always adds up to exactly what
  was paid for the remainder: nothing is lost to rounding. A sold money certificate
  has value_cents == initial, so its cents refund one for one. A complimentary
  voucher has no value and cannot be refunded (void it instead).
- A refund made in the Stripe dashboard carries no allocation. It takes value from
  the order's still-active vouchers, unredeemed ones first then partly used ones,
  each in issue order; a voucher only partly covered loses the smallest number of
  units whose value covers the rest (whole sessions, rounded up, so a holder never
  keeps value that was paid back). A refund larger than what remains (goodwill) is
  recorded as money only.
- Gratuity: a refund that takes all that remains on a voucher whose prepaid gratuity
  is still held (no session given yet) returns that gratuity too, on the same Stripe
  refund, so a full refund of an unused order returns everything paid. A refund that
  leaves value on the voucher leaves its gratuity held; once paid out at the first
  redemption the gratuity is the therapist's and no refund returns it. A dashboard
  refund returns a closed voucher's held gratuity right after its value when the
  amount left covers it whole (rules: ``giftshop/vouchers/gratuity.py``).
A voucher whose remaining value reaches 0 by a refund gets status ``refunded``; it
can no longer be redeemed. Every refund is one ``Refund`` row (``stripe_refund_id``
unique), ``refund`` ledger entries pointing at it, the order's ``refunded_cents`` /
status, and audit rows.

No double counting: a refund made here is written with Stripe's refund id in the
same transaction that holds the order's row lock; the webhook handlers take the same
lock and then skip any refund id already stored.
"""
import logging

from sqlalchemy import select

from giftshop.audit import record_audit
from giftshop.checkout import demo_gateway, stripe_gateway
from giftshop.checkout.orders import lock_order, order_for_intent, order_snapshot
from giftshop.errors import Conflict, ValidationFailed
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Order, Refund, Voucher
from giftshop.vouchers import gratuity, lifecycle
from giftshop.vouchers.ledger import lock_voucher, record_entry
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import (FAILED_REFUND_STATUSES, LedgerKind, OrderStatus,
                                   RefundStatus, VoucherStatus)

log = logging.getLogger(__name__)


def refund_value(voucher: Voucher, units: int) -> int:
    """The money a refund of `units` of what remains gives back (telescoping, see above)."""
    return voucher.value_of(voucher.remaining) - voucher.value_of(voucher.remaining - units)


def refundable(voucher: Voucher) -> bool:
    return (voucher.status == VoucherStatus.ACTIVE and voucher.remaining > 0
            and voucher.value_cents > 0)


def payment_gateway(order: Order):
    """Who gives the money back: the demo provider for orders paid on the demo pay page,
    Stripe for orders paid through Checkout; None for orders paid at the desk."""
    if order.payment_method == "demo":
        return demo_gateway
    return stripe_gateway if order.payment_intent_id else None


def refunds_online(order: Order) -> bool:
    """The order's page offers a refund: paid, and through a provider that refunds."""
    return order.is_paid and payment_gateway(order) is not None


def full_allocation(order: Order) -> dict[int, int]:
    """Everything that remains on the order's refundable vouchers: a full refund."""
    return {v.id: v.remaining for v in order.vouchers if refundable(v)}


def _apply_to_order(order: Order, amount_cents: int) -> None:
    """Add a refund (or, negative, give back a failed one) to the order's total and status."""
    order.refunded_cents = max(order.refunded_cents + amount_cents, 0)
    if order.refunded_cents == 0:
        order.status = OrderStatus.PAID
    elif order.refunded_cents >= order.total_cents:
        order.status = OrderStatus.REFUNDED
    else:
        order.status = OrderStatus.PARTIALLY_REFUNDED


def _take(voucher: Voucher, units: int, refund: Refund, *, staff_id: int | None,
          note: str, key: str | None = None) -> None:
    """Take `units` off a locked voucher for `refund`; closes it when nothing is left."""
    record_entry(voucher, LedgerKind.REFUND, -units, staff_id=staff_id, note=note,
                 refund_id=refund.id, idempotency_key=key)
    lifecycle.close_refunded(voucher)


def _check_allocation(order: Order, allocation: dict[int, int]) -> list[tuple[Voucher, int, int]]:
    """Lock and validate the chosen vouchers; (voucher, units, cents) per chosen one
    (cents: the value taken plus any held gratuity the refund returns)."""
    errors: dict[str, str] = {}
    chosen = []
    own = {v.id for v in order.vouchers}
    for voucher_id, units in sorted(allocation.items()):
        if not units:
            continue
        field = f"vouchers.{voucher_id}"
        if voucher_id not in own:
            errors[field] = "That voucher is not part of this order."
            continue
        voucher = lock_voucher(voucher_id)
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            errors[field] = "Enter a whole, positive amount."
        elif not refundable(voucher):
            errors[field] = f"This voucher is {voucher.display_status} and cannot be refunded."
        elif units > voucher.remaining:
            errors[field] = "That is more than remains on this voucher."
        else:
            chosen.append((voucher, units, refund_value(voucher, units)
                           + gratuity.returned_by_refund(voucher, units)))
    if not chosen and not errors:
        errors["vouchers"] = "Choose at least one voucher and how much of it to refund."
    if errors:
        raise ValidationFailed(errors, "The refund was not made: check the vouchers.")
    return chosen


@rolls_back_on_error
def refund_order(order_id: int, allocation: dict[int, int], *, request_key: str, staff=None,
                 reason: str = "") -> Refund:
    """Refund the value of the chosen vouchers through the order's payment provider
    (Stripe, or the demo provider for demo orders: same rules, no money moves), then
    record it. Commits.

    `allocation` maps voucher id → units to take back (cents for money, sessions for a
    package). `request_key` identifies the owner's submission (a nonce in the form):
    it is Stripe's idempotency key and the ledger entries' key, so a repeated
    submission returns the first refund without calling Stripe again.
    Holds the order row lock (and the vouchers') from validation until commit, so a
    webhook about this refund waits and then finds it. Raises ValidationFailed /
    Conflict (nothing written, nothing sent to Stripe) or PaymentProviderError
    (Stripe refused: nothing written).
    """
    order = lock_order(order_id)
    if not order.is_paid:
        raise Conflict("Only a paid order can be refunded.", code="not_paid")
    gateway = payment_gateway(order)
    if gateway is None:
        raise Conflict("This order was not paid through Stripe; refund it at the desk and "
                       "void its vouchers.", code="not_stripe")
    if order.dispute_status in ("warning_needs_response", "needs_response", "under_review",
                                "warning_under_review"):
        raise Conflict("A payment dispute is open on this order; Stripe handles the money "
                       "until it closes.", code="disputed")
    key = f"refund:{request_key}"
    replayed = _refund_for_key(order, key)
    if replayed is not None:  # the same submission again (double click, reload)
        db.session.rollback()
        return replayed
    chosen = _check_allocation(order, allocation)
    amount = sum(cents for _, _, cents in chosen)
    if amount <= 0:
        raise ValidationFailed({"vouchers": "That refunds nothing (no value was paid)."})
    if amount > order.total_cents - order.refunded_cents:
        raise Conflict("That is more than is left to refund on this order.",
                       code="over_refund")
    stripe_refund = gateway.create_refund(
        order.payment_intent_id, amount, idempotency_key=f"refund-{order.public_id}-{request_key}",
        metadata={"order_id": order.public_id})
    existing = _refund_by_stripe_id(stripe_refund["id"])
    if existing is not None:  # the same submission, already recorded
        db.session.rollback()
        return existing
    before = order_snapshot(order)
    refund = Refund(order=order, stripe_refund_id=stripe_refund["id"], amount_cents=amount,
                    status=stripe_refund.get("status") or RefundStatus.SUCCEEDED, source="shop",
                    reason=reason, staff_id=getattr(staff, "id", None))
    db.session.add(refund)
    db.session.flush()
    for voucher, units, _ in chosen:
        if gratuity.returned_by_refund(voucher, units):
            gratuity.mark_refunded(voucher, refund)
        _take(voucher, units, refund, staff_id=refund.staff_id, note=reason or "refund", key=key)
    _apply_to_order(order, amount)
    record_audit("order.refund", refund, staff=staff, before=before, after={
        **order_snapshot(order), "amount_cents": amount, "stripe_refund_id": refund.stripe_refund_id,
        "vouchers": {v.code: units for v, units, _ in chosen}})
    db.session.commit()
    return refund


def _refund_for_key(order: Order, key: str) -> Refund | None:
    """The refund an earlier submission with this key made on the order, if any."""
    refund_id = db.session.scalar(
        select(LedgerEntry.refund_id).join(Voucher, Voucher.id == LedgerEntry.voucher_id)
        .where(Voucher.order_id == order.id, LedgerEntry.idempotency_key == key).limit(1))
    return db.session.get(Refund, refund_id) if refund_id is not None else None


def _refund_by_stripe_id(stripe_refund_id: str) -> Refund | None:
    return db.session.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_refund_id))


def _units_covering(voucher: Voucher, cents: int) -> int:
    """The fewest units of what remains whose refund value is at least `cents`."""
    for units in _candidate_units(voucher, cents):
        if refund_value(voucher, units) >= cents:
            return units
    return voucher.remaining


def _candidate_units(voucher: Voucher, cents: int):
    # value is monotone in units: start from the proportional estimate and step up.
    start = max(1, cents * voucher.initial // max(voucher.value_cents, 1))
    start = min(start, voucher.remaining)
    while start > 1 and refund_value(voucher, start - 1) >= cents:
        start -= 1
    return range(start, voucher.remaining + 1)


def _take_for_dashboard_refund(order: Order, refund: Refund) -> dict[str, int]:
    """Allocate a dashboard refund over the order's vouchers (rule in the module doc)."""
    left = refund.amount_cents
    taken: dict[str, int] = {}
    candidates = [lock_voucher(v.id) for v in order.vouchers]
    candidates = [v for v in candidates if refundable(v)]
    candidates.sort(key=lambda v: (v.remaining != v.initial, v.id))
    for voucher in candidates:
        if left <= 0:
            break
        units = voucher.remaining if refund_value(voucher, voucher.remaining) <= left \
            else _units_covering(voucher, left)
        left -= refund_value(voucher, units)
        tip = gratuity.returned_by_refund(voucher, units)
        if tip and left >= tip:
            gratuity.mark_refunded(voucher, refund)
            left -= tip
        _take(voucher, units, refund, staff_id=None, note="refund made in the Stripe dashboard")
        taken[voucher.code] = units
    return taken


@rolls_back_on_error
def record_stripe_refund(obj: dict) -> str:
    """Reflect one Stripe refund object in the shop, once per refund id. Commits.

    Returns 'recorded', 'known' (already stored: made here or seen before; only its
    status is refreshed), 'failed' (a refund that returned no money) or 'no_order'.
    """
    order = order_for_intent(obj.get("payment_intent"))
    if order is None:
        log.warning("Stripe refund %s matches no order", obj.get("id"))
        return "no_order"
    order = lock_order(order.id)
    existing = _refund_by_stripe_id(obj["id"])
    status = obj.get("status") or RefundStatus.SUCCEEDED
    if existing is not None:
        if existing.status != status:
            record_audit("refund.status", existing, actor="stripe",
                         before={"status": existing.status}, after={"status": status})
            if status in FAILED_REFUND_STATUSES and existing.status not in FAILED_REFUND_STATUSES:
                _give_back(order, existing, status)
            existing.status = status
        db.session.commit()
        return "known"
    refund = Refund(order=order, stripe_refund_id=obj["id"], amount_cents=int(obj["amount"]),
                    status=status, source="stripe", reason="made in the Stripe dashboard")
    db.session.add(refund)
    db.session.flush()
    if status in FAILED_REFUND_STATUSES:
        db.session.commit()
        return "failed"
    before = order_snapshot(order)
    taken = _take_for_dashboard_refund(order, refund)
    _apply_to_order(order, refund.amount_cents)
    record_audit("order.refund", refund, actor="stripe", before=before, after={
        **order_snapshot(order), "amount_cents": refund.amount_cents,
        "stripe_refund_id": refund.stripe_refund_id, "vouchers": taken})
    db.session.commit()
    return "recorded"


def failed_refunds(limit: int = 20) -> list[Refund]:
    """The latest refunds Stripe failed or canceled (their value was given back)."""
    return list(db.session.scalars(select(Refund).where(Refund.status.in_(FAILED_REFUND_STATUSES))
                                   .order_by(Refund.id.desc()).limit(limit)))


def _give_back(order: Order, refund: Refund, status: str) -> None:
    """A refund Stripe failed or canceled returned no money: undo what it took.

    Each of its `refund` entries gets one compensating `reverse` entry through the
    ledger writer (`reverses_id` is unique, so an entry is compensated once even if
    this ran twice); a voucher the refund had closed is active again; the order's
    refunded total and status go back. The caller holds the order lock (every refund
    event takes it first) and commits.
    """
    before = order_snapshot(order)
    entries = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.refund_id == refund.id, LedgerEntry.kind == LedgerKind.REFUND)
        .order_by(LedgerEntry.id)).all()
    restored: dict[str, int] = {}
    for entry in entries:
        if db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)):
            continue
        voucher = lock_voucher(entry.voucher_id)
        lifecycle.reopen_refunded(voucher)
        record_entry(voucher, LedgerKind.REVERSE, -entry.delta, note=f"refund {status} at Stripe",
                     reverses_id=entry.id, refund_id=refund.id)
        restored[voucher.code] = -entry.delta
    tips = {v.code: v.gratuity_cents for v in gratuity.restore_after_failed_refund(refund)}
    _apply_to_order(order, -refund.amount_cents)
    record_audit("refund.failed", refund, actor="stripe", before=before, after={
        **order_snapshot(order), "refund_status": status, "amount_cents": refund.amount_cents,
        "stripe_refund_id": refund.stripe_refund_id, "vouchers_restored": restored,
        **({"gratuities_held_again": tips} if tips else {})})
    log.warning("Stripe refund %s of order %s is %s; value given back to %d voucher(s)",
                refund.stripe_refund_id, order.public_id, status, len(restored))


def refund_event(refund: dict) -> None:
    record_stripe_refund(refund)


def charge_refunded(charge: dict) -> None:
    """A charge's refunds; newer API versions omit the list, so it is read from Stripe."""
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None:
        if order_for_intent(charge.get("payment_intent")) is None:
            return
        listed = stripe_gateway.list_refunds(charge["payment_intent"])
    for refund in listed:
        refund.setdefault("payment_intent", charge.get("payment_intent"))
        record_stripe_refund(refund)
