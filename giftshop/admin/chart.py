"""The dashboard's monthly chart as numbers for an SVG template: bars of sales and
redemptions per month, drawn on the server (no JavaScript), with a scale rounded to a
readable step. Only geometry and labels; the figures come from giftshop/dashboard.py."""
import calendar
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 260
# The dollar axis sits on the right, beside the newest months (what a phone shows first).
LEFT, RIGHT, TOP, BOTTOM = 8, 64, 12, 44
SERIES = (("sold_cents", "Sold"), ("redeemed_cents", "Redeemed"))


@dataclass(frozen=True)
class Bar:
    series: str  # the CSS class and legend name: 'sold' or 'redeemed'
    x: float
    y: float
    width: float
    height: float
    cents: int


@dataclass(frozen=True)
class Column:
    label: str       # 'Mar', with the year under January and the first month
    year: str
    center: float
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    y: float
    cents: int


def nice_top(cents: int) -> int:
    """The axis top: the largest value rounded up to 1, 2, 2.5 or 5 × a power of ten
    dollars ($100 when there is nothing yet)."""
    dollars = max(cents, 1) / 100
    step = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            if dollars <= factor * step:
                return max(int(factor * step * 100), 10_000)
        step *= 10


def layout(months) -> tuple[list[Column], list[Tick]]:
    """Columns of bars, oldest month on the left, and four gridline ticks (0 to top)."""
    top = nice_top(max((getattr(m, key) for m in months for key, _ in SERIES), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months), 1)
    bar_w = slot * 0.36
    columns = []
    for i, month in enumerate(months):
        left = LEFT + i * slot + slot * 0.14
        bars = []
        for j, (key, _) in enumerate(SERIES):
            cents = max(getattr(month, key), 0)
            height = plot_h * cents / top
            bars.append(Bar(key.removesuffix("_cents").split("_")[0], round(left + j * bar_w, 1),
                            round(TOP + plot_h - height, 1), round(bar_w, 1), round(height, 1),
                            getattr(month, key)))
        first = month.first_day
        columns.append(Column(calendar.month_abbr[first.month],
                              str(first.year) if i == 0 or first.month == 1 else "",
                              round(LEFT + i * slot + slot / 2, 1), bars))
    ticks = [Tick(round(TOP + plot_h - plot_h * k / 4, 1), top * k // 4) for k in range(5)]
    return columns, ticks
