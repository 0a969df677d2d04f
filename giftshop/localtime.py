"""The practice's clock: times are stored in UTC and shown in America/Los_Angeles."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Los_Angeles")


def local_time(value: datetime | None, fmt: str = "%b %-d, %Y %-I:%M %p") -> str:
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def local_date(value: date | datetime | None, fmt: str = "%B %-d, %Y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ)
    return value.strftime(fmt)


def today_local() -> date:
    """Today's date in Portland (a UTC date is tomorrow there every evening)."""
    return datetime.now(LOCAL_TZ).date()
