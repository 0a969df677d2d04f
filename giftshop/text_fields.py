"""The first step of checking any text a buyer, the owner or an API client sends."""


def present_text(value, field: str, errors: dict, *, required: bool) -> str | None:
    """`value` stripped, or None: missing or blank (an error only when `required`), or
    not text at all (always an error), with the reason put in `errors[field]`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = "This field is required."
        return None
    if not isinstance(value, str):
        errors[field] = "Must be text."
        return None
    return value.strip()
