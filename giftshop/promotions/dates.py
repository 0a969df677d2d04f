"""The date rule shared by promo codes and bonus campaigns: a first and a last Portland
day, the last on or after the first and not already past."""
from datetime import date


def check_date_range(data: dict, errors: dict, *, today: date,
                     what: str) -> tuple[date | None, date | None]:
    """`data["starts_on"]`..`data["ends_on"]` (dates from the form or the API); adds a
    message per field to `errors` and returns the two dates (None where missing)."""
    starts, ends = data.get("starts_on"), data.get("ends_on")
    for key, value in (("starts_on", starts), ("ends_on", ends)):
        if not isinstance(value, date):
            errors[key] = "Choose a date."
    if "starts_on" not in errors and "ends_on" not in errors:
        if ends < starts:
            errors["ends_on"] = "The last day must be on or after the first."
        elif ends < today:
            errors["ends_on"] = f"That {what} would already be over."
    return (starts if isinstance(starts, date) else None,
            ends if isinstance(ends, date) else None)
