"""The practice's details (name, address, phone, licence, hours) as pages, emails,
voucher PDFs and wallet passes print them: one reading of the PRACTICE_* settings."""


def practice_info(config) -> dict:
    """The `practice` every template sees; `tel` is the phone as a tel: link number."""
    return {
        "name": config["PRACTICE_NAME"], "address": config["PRACTICE_ADDRESS"],
        "phone": config["PRACTICE_PHONE"], "license": config["PRACTICE_LICENSE"],
        "hours": config["PRACTICE_HOURS"],
        "tel": "+1" + "".join(ch for ch in config["PRACTICE_PHONE"] if ch.isdigit()),
    }
