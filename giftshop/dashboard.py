"""The owner's morning figures on /admin: this month and last, what is still owed, and
twelve months of sales and redemptions. Read-only; nothing here writes or commits.

Months are America/Los_Angeles calendar months (boundaries computed in Python, as in
`giftshop.reports`, because SQLite has no time zones), and each figure is one
aggregate query over the window, so the page stays quick as the history grows.

- **Sold**: paid orders by the day they were paid (whatever happened to them since),
  their count and total.
- **Redeemed**: redemptions net of their reversals, by the day each was recorded;
  money certificates at face value, sessions at the price paid per session
  (`sessions × value paid ÷ sessions bought` per voucher, rounded toward zero, the
  valuation the liability report uses). Cash-outs are not redemptions.
- **Refunded**: refunds made that month (failed or canceled ones excluded).
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select

from giftshop import reports
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Order, Refund, Voucher
from giftshop.localtime import LOCAL_TZ
from giftshop.models.vocab import (FAILED_REFUND_STATUSES, PAID_ORDER_STATUSES, REDEMPTION_KINDS,
                                   Kind)

CHART_MONTHS = 12


@dataclass
class Month:
    label: str  # 'YYYY-MM'
    first_day: date
    orders: int = 0
    sold_cents: int = 0
    money_redeemed_cents: int = 0
    sessions_redeemed: int = 0
    sessions_redeemed_cents: int = 0
    refunded_cents: int = 0

    @property
    def redeemed_cents(self) -> int:
        return self.money_redeemed_cents + self.sessions_redeemed_cents


@dataclass(frozen=True)
class Dashboard:
    months: list[Month]  # oldest first, ending with this month
    liability: reports.Liability
    weekly_capacity: int

    @property
    def this_month(self) -> Month:
        return self.months[-1]

    @property
    def last_month(self) -> Month:
        return self.months[-2]

    @property
    def prepaid_weeks(self) -> float:
        """Weeks the practice would spend on the sessions already paid for."""
        return self.liability.sessions_remaining / self.weekly_capacity


def _window(today: date, count: int) -> list[tuple[str, datetime]]:
    """(label, UTC start) of the `count` LA months ending with today's, then of the next
    month (whose start ends the window)."""
    year, month = today.year, today.month
    for _ in range(count - 1):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    first = datetime(year, month, 1, tzinfo=LOCAL_TZ)
    end_year, end_month = (today.year + 1, 1) if today.month == 12 else (today.year,
                                                                         today.month + 1)
    end = datetime(end_year, end_month, 1, tzinfo=LOCAL_TZ)
    return reports.month_starts(first, end)


def _session_value(sessions: int, value_cents: int, initial: int) -> int:
    """Sessions at the price paid, rounded toward zero so a reversal undoes its redemption
    to the cent even when the two fall in different months."""
    cents = abs(sessions) * value_cents // initial
    return cents if sessions >= 0 else -cents


def _add_sales(rows: dict[str, Month], bounds, begin, end) -> None:
    paid = and_(Order.status.in_(PAID_ORDER_STATUSES), Order.paid_at >= begin,
                Order.paid_at < end)
    month = reports.month_of(Order.paid_at, bounds).label("month")
    for label, count, total in db.session.execute(
            select(month, func.count(), func.sum(Order.total_cents)).where(paid)
            .group_by(month)):
        rows[label].orders, rows[label].sold_cents = int(count), int(total or 0)


def _add_refunds(rows: dict[str, Month], bounds, begin, end) -> None:
    made = and_(Refund.status.not_in(FAILED_REFUND_STATUSES), Refund.created_at >= begin,
                Refund.created_at < end)
    month = reports.month_of(Refund.created_at, bounds).label("month")
    for label, total in db.session.execute(
            select(month, func.sum(Refund.amount_cents)).where(made).group_by(month)):
        rows[label].refunded_cents = int(total or 0)


def _add_redemptions(rows: dict[str, Month], bounds, begin, end) -> None:
    used = and_(LedgerEntry.kind.in_(REDEMPTION_KINDS), LedgerEntry.created_at >= begin,
                LedgerEntry.created_at < end)
    month = reports.month_of(LedgerEntry.created_at, bounds).label("month")
    # Per voucher and month, so each voucher's sessions are valued at its own price.
    query = (select(month, Voucher.kind, Voucher.value_cents, Voucher.initial,
                    func.sum(-LedgerEntry.delta))
             .join(Voucher, Voucher.id == LedgerEntry.voucher_id).where(used)
             .group_by(month, Voucher.id, Voucher.kind, Voucher.value_cents, Voucher.initial))
    for label, kind, value_cents, initial, used_units in db.session.execute(query):
        row, units = rows[label], int(used_units)
        if kind == Kind.MONEY:
            row.money_redeemed_cents += units
        else:
            row.sessions_redeemed += units
            row.sessions_redeemed_cents += _session_value(units, value_cents, initial)


def dashboard(today: date, weekly_capacity: int, months: int = CHART_MONTHS) -> Dashboard:
    """The figures for `today` (a Portland date): `months` months ending with today's
    (at least two: this month and last), and the liability at today."""
    bounds = _window(today, max(months, 2))
    month_bounds, (_, end) = bounds[:-1], bounds[-1]
    begin = month_bounds[0][1]
    rows = {label: Month(label, start.astimezone(LOCAL_TZ).date())
            for label, start in month_bounds}
    for add in (_add_sales, _add_refunds, _add_redemptions):
        add(rows, month_bounds, begin, end)
    return Dashboard(list(rows.values()), reports.liability(today), weekly_capacity)

