"""Shared test data, made through the app's own services (one home for each helper)."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from giftshop.checkout.fulfilment import fulfil_order
from giftshop.checkout.service import place_order
from giftshop.desk import ledger as desk
from giftshop.desk.staff import create_staff
from giftshop.extensions import db
from giftshop.localtime import today_local
from giftshop.models import LedgerEntry, Order, OrderItem, Refund, Staff, Voucher
from giftshop.promotions.codes import create_promo_code
from giftshop.vouchers import lifecycle
from giftshop.vouchers.ledger import lock_voucher, record_entry
from giftshop.vouchers.lookup import find_by_code
from giftshop.vouchers.service import issue_voucher
from tests.support.auth import PASSWORD


def make_voucher(kind="money", initial=10_000, *, app=None, **fields) -> str:
    """An issued voucher with no order, committed; returns its code.

    Rosa Holder's (rosa@example.com), bought by Ana Buyer: `initial` cents worth as much,
    or `initial` 60-min sessions worth $570. `fields` go to `issue_voucher` and win
    (value_cents, promotional, expires_on, recipient_name, ...). Runs in the caller's app
    context, or in one of its own when `app` is given."""
    if app is not None:
        with app.app_context():
            code = make_voucher(kind, initial, **fields)
            db.session.remove()
        return code
    values = dict(kind=kind, initial=initial,
                  value_cents=57_000 if kind == "sessions" else initial,
                  service="60-min Pain Management Massage" if kind == "sessions" else None,
                  recipient_name="Rosa Holder", recipient_email="rosa@example.com",
                  purchaser_name="Ana Buyer")
    values.update(fields)
    voucher = issue_voucher(**values)
    db.session.commit()
    return voucher.code


def printable_voucher(**fields) -> Voucher:
    """A voucher with everything a certificate prints: $150 from Ana Buyer to Ben Holder
    with a message. `fields` go to `issue_voucher` and win. Committed in the caller's app
    context; returns the row itself, for rendering."""
    values = dict(kind="money", initial=15_000, value_cents=15_000, purchaser_name="Ana Buyer",
                  recipient_name="Ben Holder", recipient_email="ben@example.com",
                  message="Feel better soon!")
    values.update(fields)
    voucher = issue_voucher(**values)
    db.session.commit()
    return voucher


def count(model) -> int:
    """How many rows `model`'s table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


def entry_count(code: str) -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)).join(Voucher)
                             .where(Voucher.code == code))


BUYER = {"name": "Ana Buyer", "email": "ana@example.com"}


def placed_order(items: list[dict], *, purchaser: dict = BUYER, paid: bool = True) -> Order:
    """An order of `items` (the shop API's shape) placed through the checkout service and,
    unless `paid` is False, paid as the demo pay page pays (caller's app context)."""
    order = place_order({"purchaser": dict(purchaser), "items": items}, today=today_local())
    if paid:
        assert fulfil_order(order.id, None)
    return order


def demo_paid_order(*, slug="gift-certificate", amount_cents=10_000, quantity=1,
                    recipient=("Ben Holder", "ben@example.com"), deliver_on=None,
                    message="Feel better!") -> tuple[str, list[str]]:
    """A demo-paid order through the real services; returns (public_id, voucher codes)."""
    item = {"product": slug, "quantity": quantity, "message": message,
            "deliver_on": (deliver_on or today_local()).isoformat()}
    if slug == "gift-certificate":
        item["amount_cents"] = amount_cents
    if recipient:
        item["recipient"] = {"name": recipient[0], "email": recipient[1]}
    order = db.session.get(Order, placed_order([item]).id)
    return order.public_id, [v.code for v in order.vouchers]


def make_promo_code(app, code="SPRING20", *, percent=None, amount=None, max_uses=None,
                    starts=-1, ends=30) -> int:
    """A promo code from `starts` to `ends` days from today, made by the owner (created
    here if there is none yet); returns its id."""
    today = today_local()
    with app.app_context():
        owner = db.session.scalar(select(Staff).where(Staff.role == "owner")) or \
            create_staff("promo-owner@example.com", PASSWORD, role="owner")
        promo = create_promo_code({
            "code": code, "percent_off": percent, "amount_off_cents": amount,
            "starts_on": today + timedelta(days=starts),
            "ends_on": today + timedelta(days=max(ends, 0)), "max_uses": max_uses},
            staff=owner, today=today)
        promo.ends_on = today + timedelta(days=ends)  # a code made earlier may be over now
        db.session.commit()
        promo_id = promo.id
        db.session.remove()
    return promo_id


def redeem(code: str, units: int, *, staff=None, note: str = "") -> LedgerEntry:
    """Redeem `units` (cents of a money voucher, sessions of a package) the way the desk
    does (`desk.ledger.redeem`: locks, checks, audits, commits); returns the entry."""
    if find_by_code(code).is_money:
        return desk.redeem(code, staff=staff, amount_cents=units, note=note).entry
    return desk.redeem(code, staff=staff, sessions=units, note=note).entry


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def at(entry, when: datetime):
    """Place a ledger entry in time (the ledger stamps 'now')."""
    entry.created_at = when
    return entry


def sold(public_id, total, paid_at, kind, initial, value, status="paid"):
    order = Order(public_id=public_id, purchaser_name="Ana", purchaser_email="ana@example.com",
                  total_cents=total, status=status, paid_at=paid_at, payment_method="stripe")
    order.items.append(OrderItem(product_slug="x", product_name="x", kind=kind,
                                 unit_price_cents=value, quantity=1, deliver_on=date(2026, 1, 1),
                                 sessions=None if kind == "money" else initial,
                                 service=None if kind == "money" else "60-min massage"))
    db.session.add(order)
    db.session.flush()
    return order


def voucher(order, kind, initial, value, **extra):
    return issue_voucher(kind=kind, initial=initial, value_cents=value, order=order,
                         service=None if kind == "money" else "60-min massage", **extra)


def refund(order, voucher_, units, cents, when):
    """A refund row and its entry, as `checkout.refunds` writes them (locked, then closed
    by the lifecycle when nothing is left)."""
    row = Refund(order=order, stripe_refund_id=f"re_{order.public_id}_{units}",
                 amount_cents=cents, created_at=when)
    db.session.add(row)
    db.session.flush()
    locked = lock_voucher(voucher_.id)
    record_entry(locked, "refund", -units, refund_id=row.id)
    lifecycle.close_refunded(locked)
    order.refunded_cents += cents
    return row


def ledger_history(app):
    """A hand-computed history: the report tests' figures are worked out from it."""
    with app.app_context():
        a = sold("A", 10_000, utc(2026, 1, 15, 18), "money", 5_000, 5_000)
        v1, v2 = voucher(a, "money", 5_000, 5_000), voucher(a, "money", 5_000, 5_000)
        # 07:30 UTC on Feb 1 is still January 31 in Portland.
        b = sold("B", 40_000, utc(2026, 2, 1, 7, 30), "sessions", 4, 40_000)
        v3 = voucher(b, "sessions", 4, 40_000)
        c = sold("C", 50_000, utc(2026, 2, 10, 20), "sessions", 6, 50_000)
        v4 = voucher(c, "sessions", 6, 50_000)
        v5 = voucher(None, "money", 2_500, 0, promotional=True, expires_on=date(2027, 1, 1))
        voucher(None, "sessions", 1, 0)  # complimentary: no liability at $0 paid
        d = sold("D", 10_000, utc(2026, 3, 20, 17), "money", 10_000, 10_000)
        v7 = voucher(d, "money", 10_000, 10_000)

        owner = create_staff("owner-reports@example.com", PASSWORD, role="owner")
        at(desk.redeem(v1.code, staff=owner, amount_cents=3_000).entry, utc(2026, 2, 3, 19))
        at(desk.redeem(v2.code, staff=owner, amount_cents=4_600).entry, utc(2026, 2, 20, 19))
        # 05:00 UTC on March 1 is February 28 in Portland.
        at(desk.cash_out(v2.code, staff=owner).entry, utc(2026, 3, 1, 5))
        at(desk.redeem(v3.code, staff=owner, sessions=1).entry, utc(2026, 2, 5, 19))
        wrong = at(desk.redeem(v3.code, staff=owner, sessions=1).entry, utc(2026, 3, 10, 19))
        at(desk.reverse(wrong.id, staff=owner).entry, utc(2026, 3, 11, 19))
        at(desk.redeem(v5.code, staff=owner, amount_cents=500).entry, utc(2026, 3, 12, 19))
        refund(c, v4, 1, 8_334, utc(2026, 3, 5, 19))
        c.status = "partially_refunded"
        refund(d, v7, 10_000, 10_000, utc(2026, 3, 21, 19))
        d.status = "refunded"
        # a dispute is open on order A
        lifecycle.freeze(lock_voucher(v1.id), actor="stripe", reason={"dispute": "dp_a"})
        db.session.commit()
        db.session.remove()
