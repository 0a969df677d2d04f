"""Issuing vouchers. Every voucher starts life with one `issue` ledger entry."""
from datetime import date

from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import Order, Voucher
from giftshop.vouchers.codes import generate_code
from giftshop.vouchers.ledger import record_entry
from giftshop.vouchers.search import refresh_search_text
from giftshop.models.vocab import Kind, LedgerKind


def voucher_title(kind: str, initial: int, service: str | None) -> str:
    """What the voucher is, as printed: "$150 gift certificate", "4 × 60-min …"."""
    if kind == Kind.MONEY:
        dollars = f"${initial // 100:,}" if initial % 100 == 0 else f"${initial / 100:,.2f}"
        return f"{dollars} gift certificate"
    return service if initial == 1 else f"{initial} × {service}"


def unique_code() -> str:
    """A fresh code not yet in the database (a collision at 60 bits is rare, not impossible)."""
    return unique_codes(1)[0]


def unique_codes(n: int) -> list[str]:
    """`n` fresh, distinct codes not yet in the database, checked in one query."""
    while n > 0:
        codes = list({generate_code() for _ in range(n)})
        if len(codes) == n and db.session.scalar(
                select(Voucher.id).where(Voucher.code.in_(codes)).limit(1)) is None:
            return codes
    return []


def issue_voucher(
    *,
    kind: str,
    initial: int,
    value_cents: int,
    service: str | None = None,
    order: Order | None = None,
    order_item_id: int | None = None,
    purchaser_name: str = "",
    recipient_name: str | None = None,
    recipient_email: str | None = None,
    message: str = "",
    deliver_on: date | None = None,
    design: str = "classic",
    promotional: bool = False,
    expires_on: date | None = None,
    staff_id: int | None = None,
    note: str = "",
    gratuity_cents: int = 0,
    code: str | None = None,
) -> Voucher:
    """Create one voucher and its `issue` entry in the current transaction. Does not commit.
    `code`: one from `unique_codes` (else a fresh one is drawn here)."""
    if expires_on is not None and not promotional:
        raise ValueError("Only promotional vouchers may expire (ORS 646A.278).")
    voucher = Voucher(
        code=code or unique_code(), kind=kind, initial=initial, remaining=0, value_cents=value_cents,
        service=service, title=voucher_title(kind, initial, service), order=order,
        order_item_id=order_item_id, purchaser_name=purchaser_name,
        recipient_name=recipient_name, recipient_email=recipient_email, message=message,
        deliver_on=deliver_on, design=design, promotional=promotional, expires_on=expires_on,
        issued_by_id=staff_id, issue_note=note, gratuity_cents=gratuity_cents,
    )
    refresh_search_text(voucher)
    db.session.add(voucher)
    # Not flushed before the entry: voucher and entry are inserted together, the
    # voucher already holding its issued value (no UPDATE afterwards).
    record_entry(voucher, LedgerKind.ISSUE, initial, staff_id=staff_id, note=note)
    return voucher


def issue_order_vouchers(order: Order) -> list[Voucher]:
    """One voucher per unit sold, from the prices snapshotted on the order; each is worth
    what was paid for it (less a promo code's share, `OrderItem.unit_paid_cents`), which
    refunds and the liability report use. Does not commit."""
    vouchers = []
    codes = iter(unique_codes(sum(item.quantity for item in order.items)))
    for item in order.items:
        for unit in range(item.quantity):
            money = item.kind == Kind.MONEY
            vouchers.append(issue_voucher(
                code=next(codes),
                kind=item.kind,
                initial=item.unit_price_cents if money else item.sessions,
                value_cents=item.unit_paid_cents(unit),
                service=item.service,
                order=order,
                order_item_id=item.id,
                purchaser_name=order.purchaser_name,
                recipient_name=item.recipient_name,
                recipient_email=item.recipient_email,
                message=item.message,
                deliver_on=item.deliver_on,
                design=item.design,
                gratuity_cents=item.gratuity_cents,
            ))
    return vouchers
