"""Owner reports: outstanding liability, sales and redemptions by month, as rows and CSV.

Read-only; nothing here writes or commits. Every figure is one SQL aggregation, so
the cost stays flat as vouchers and ledger entries pile up (the liability reads the
cached `voucher.remaining`, never the ledger).

Valuation: a money voucher counts for its remaining cents. A sessions voucher counts
for its remaining sessions at the price paid per session, computed per voucher as
``remaining * value_cents // initial`` (integer cents, rounded down per voucher), the
same formula refunds use, so refunding all that remains on a voucher returns exactly
what the report showed for it. Complimentary vouchers (value 0) add their money
balance but no value for sessions. Months are America/Los_Angeles calendar months.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, case, func, or_, select

from giftshop.extensions import db
from giftshop.models import LedgerEntry, Order, Refund, Voucher
from giftshop.localtime import LOCAL_TZ, today_local
from giftshop.money import dollars, money
from giftshop.models.vocab import (FAILED_REFUND_STATUSES, PAID_ORDER_STATUSES, REDEMPTION_KINDS,
                                   Kind, LedgerKind, VoucherStatus)

# Vouchers that still owe something: active ones, frozen by a dispute or not; never
# an expired promotional one (see Voucher.expired).
def _outstanding(today: date):
    return and_(Voucher.status == VoucherStatus.ACTIVE,
                or_(Voucher.expires_on.is_(None), Voucher.expires_on >= today))


@dataclass(frozen=True)
class Liability:
    money_vouchers: int
    money_cents: int
    promotional_money_cents: int
    sessions_vouchers: int
    sessions_remaining: int
    sessions_cents: int
    frozen_cents: int

    @property
    def total_cents(self) -> int:
        return self.money_cents + self.sessions_cents

    def rows(self) -> list[dict]:
        """The CSV rows: the remaining sessions in a column of their own, the liability in
        cents (dollars once written by `to_csv`)."""
        return [
            {"category": "money", "vouchers": self.money_vouchers, "sessions_remaining": "",
             "liability_cents": self.money_cents},
            {"category": "sessions", "vouchers": self.sessions_vouchers,
             "sessions_remaining": self.sessions_remaining,
             "liability_cents": self.sessions_cents},
            {"category": "total", "vouchers": self.money_vouchers + self.sessions_vouchers,
             "sessions_remaining": self.sessions_remaining, "liability_cents": self.total_cents},
        ]


def liability(today: date | None = None) -> Liability:
    """What the shop still owes holders on `today` (Portland; default now), in one
    aggregate query."""
    money = Voucher.kind == Kind.MONEY
    sessions = Voucher.kind == Kind.SESSIONS
    session_value = Voucher.value_of(Voucher.remaining)
    value = case((money, Voucher.remaining), else_=session_value)
    row = db.session.execute(
        select(
            func.count().filter(money),
            func.coalesce(func.sum(Voucher.remaining).filter(money), 0),
            func.coalesce(func.sum(Voucher.remaining).filter(and_(money, Voucher.promotional)), 0),
            func.count().filter(sessions),
            func.coalesce(func.sum(Voucher.remaining).filter(sessions), 0),
            func.coalesce(func.sum(session_value).filter(sessions), 0),
            func.coalesce(func.sum(value).filter(Voucher.frozen), 0),
        ).where(_outstanding(today or today_local()), Voucher.remaining > 0)
    ).one()
    return Liability(*(int(x) for x in row))


def month_starts(first: datetime, last: datetime) -> list[tuple[str, datetime]]:
    """(label 'YYYY-MM', UTC instant the LA month begins) from first's month to last's."""
    start = first.astimezone(LOCAL_TZ)
    end = last.astimezone(LOCAL_TZ)
    year, month = start.year, start.month
    months = []
    while (year, month) <= (end.year, end.month):
        begins = datetime(year, month, 1, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
        months.append((f"{year:04d}-{month:02d}", begins))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_of(column, months: list[tuple[str, datetime]]):
    """A SQL expression giving the LA month label of a UTC timestamp column.

    Built from the month boundaries computed here, because SQLite has no time zones.
    """
    whens = [(column < months[i + 1][1], months[i][0]) for i in range(len(months) - 1)]
    # case() needs one WHEN: within a single month every row is in that month. (A bare
    # label would not be a SQL expression at all.)
    return case(*(whens or [(column.is_not(None), months[0][0])]), else_=months[-1][0])


def _span(*columns) -> tuple[datetime, datetime] | None:
    bounds = []
    for column, where in columns:
        low, high = db.session.execute(select(func.min(column), func.max(column)).where(where)).one()
        if low is not None:
            bounds += [low, high]
    if not bounds:
        return None
    return (min(b if b.tzinfo else b.replace(tzinfo=timezone.utc) for b in bounds),
            max(b if b.tzinfo else b.replace(tzinfo=timezone.utc) for b in bounds))


def sales_by_month() -> list[dict]:
    """Per LA month: paid orders, gross sales, refunds made that month, net (cents)."""
    paid = Order.status.in_(PAID_ORDER_STATUSES)
    span = _span((Order.paid_at, and_(paid, Order.paid_at.is_not(None))),
                 (Refund.created_at, Refund.status.not_in(FAILED_REFUND_STATUSES)))
    if span is None:
        return []
    months = month_starts(*span)
    rows = {label: {"month": label, "orders": 0, "gross_cents": 0, "refunded_cents": 0}
            for label, _ in months}
    order_month = month_of(Order.paid_at, months).label("month")
    for label, orders, gross in db.session.execute(
            select(order_month, func.count(), func.sum(Order.total_cents))
            .where(paid, Order.paid_at.is_not(None)).group_by(order_month)):
        rows[label].update(orders=int(orders), gross_cents=int(gross or 0))
    refund_month = month_of(Refund.created_at, months).label("month")
    for label, refunded in db.session.execute(
            select(refund_month, func.sum(Refund.amount_cents))
            .where(Refund.status.not_in(FAILED_REFUND_STATUSES)).group_by(refund_month)):
        rows[label]["refunded_cents"] = int(refunded or 0)
    for row in rows.values():
        row["net_cents"] = row["gross_cents"] - row["refunded_cents"]
    return list(rows.values())


def redemptions_by_month() -> list[dict]:
    """Per LA month: money redeemed (cents), sessions redeemed, cash-outs (cents).

    Reversals of redemptions are netted out in the month the reversal happened.
    """
    used = LedgerEntry.kind.in_((*REDEMPTION_KINDS, LedgerKind.CASHOUT))
    span = _span((LedgerEntry.created_at, used))
    if span is None:
        return []
    months = month_starts(*span)
    month = month_of(LedgerEntry.created_at, months).label("month")
    money = Voucher.kind == Kind.MONEY
    redeemed = LedgerEntry.kind.in_(REDEMPTION_KINDS)
    query = (
        select(month,
               func.coalesce(func.sum(-LedgerEntry.delta).filter(and_(money, redeemed)), 0),
               func.coalesce(func.sum(-LedgerEntry.delta).filter(and_(~money, redeemed)), 0),
               func.coalesce(func.sum(-LedgerEntry.delta).filter(
                   LedgerEntry.kind == LedgerKind.CASHOUT), 0))
        .join(Voucher, Voucher.id == LedgerEntry.voucher_id)
        .where(used).group_by(month)
    )
    rows = {label: {"month": label, "money_redeemed_cents": 0, "sessions_redeemed": 0,
                    "cashout_cents": 0} for label, _ in months}
    for label, cents, sessions, cashout in db.session.execute(query):
        rows[label].update(money_redeemed_cents=int(cents), sessions_redeemed=int(sessions),
                           cashout_cents=int(cashout))
    return list(rows.values())


@dataclass(frozen=True)
class Gratuities:
    """Prepaid gratuities: collected with orders, paid out to the therapist (at each
    voucher's first redemption), returned to buyers by refunds, still held for a
    session to come (on active vouchers), and not due any more because the voucher was
    closed before its first session (voided by the owner or by a lost payment dispute,
    which took the whole charge back). The four parts add up to what was collected."""
    collected_cents: int
    paid_out_cents: int
    refunded_cents: int
    held_cents: int
    held_vouchers: int
    voided_cents: int = 0


def gratuities() -> Gratuities:
    """The gratuity totals to date, in one aggregate query (never part of the liability
    above: they are not voucher value)."""
    paid = Voucher.gratuity_paid_at.is_not(None)
    refunded = Voucher.gratuity_refund_id.is_not(None)
    # Held for a session still to come: not on a voucher that was closed before it
    # (voided, or refunded by a refund that did not cover the gratuity): those are voided.
    held = and_(~paid, ~refunded, Voucher.status == VoucherStatus.ACTIVE)
    voided = and_(~paid, ~refunded, Voucher.status != VoucherStatus.ACTIVE)
    row = db.session.execute(
        select(func.coalesce(func.sum(Voucher.gratuity_cents), 0),
               func.coalesce(func.sum(Voucher.gratuity_cents).filter(paid), 0),
               func.coalesce(func.sum(Voucher.gratuity_cents).filter(refunded), 0),
               func.coalesce(func.sum(Voucher.gratuity_cents).filter(held), 0),
               func.count().filter(held),
               func.coalesce(func.sum(Voucher.gratuity_cents).filter(voided), 0))
        .where(Voucher.gratuity_cents > 0)).one()
    return Gratuities(*(int(x) for x in row))


def gratuities_by_month() -> list[dict]:
    """Per LA month: gratuities collected (vouchers issued, i.e. orders paid), paid out
    (first redemptions) and refunded (refunds made), in cents."""
    tipped = Voucher.gratuity_cents > 0
    refund_at = select(Refund.created_at).where(Refund.id == Voucher.gratuity_refund_id) \
        .scalar_subquery()
    columns = {"collected_cents": (Voucher.created_at, tipped),
               "paid_out_cents": (Voucher.gratuity_paid_at,
                                  and_(tipped, Voucher.gratuity_paid_at.is_not(None))),
               "refunded_cents": (refund_at, Voucher.gratuity_refund_id.is_not(None))}
    span = _span(*columns.values())
    if span is None:
        return []
    months = month_starts(*span)
    rows = {label: {"month": label, **{name: 0 for name in columns}} for label, _ in months}
    for name, (column, where) in columns.items():
        month = month_of(column, months).label("month")
        for label, cents in db.session.execute(
                select(month, func.sum(Voucher.gratuity_cents)).where(where).group_by(month)):
            rows[label][name] = int(cents or 0)
    return list(rows.values())


def to_csv(rows: list[dict]) -> str:
    """Rows as CSV text for a spreadsheet (header from the first row's keys): every
    `*_cents` column is written as `*_dollars` in plain decimals (`716.66`)."""
    def cell(key, value):
        return dollars(value) if key.endswith("_cents") and isinstance(value, int) else value

    out = io.StringIO()
    if rows:
        names = [key.removesuffix("_cents") + "_dollars" if key.endswith("_cents") else key
                 for key in rows[0]]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([cell(k, v) for k, v in row.items()] for row in rows)
    return out.getvalue()


def liability_text(report: Liability, today: date | None = None) -> str:
    """The figures as the CLI prints them."""
    heading = "Outstanding liability" + (f" on {today.isoformat()}" if today else "")
    return "\n".join([
        heading,
        f"  Money balances:     {money(report.money_cents):>14}  "
        f"({report.money_vouchers} vouchers; promotional {money(report.promotional_money_cents)})",
        f"  Remaining sessions: {money(report.sessions_cents):>14}  "
        f"({report.sessions_remaining} sessions on {report.sessions_vouchers} vouchers, "
        "at the price paid per session)",
        f"  Total:              {money(report.total_cents):>14}",
        f"  (frozen by disputes: {money(report.frozen_cents)})",
    ])
