"""The product page's live preview: the certificate as it will print, drawn by the same
template and renderer as the PDF, from what the buyer has typed so far."""
from giftshop.checkout.gratuity import parse_gratuity
from giftshop.checkout.validation import MAX_MESSAGE, MAX_NAME, check_text
from giftshop.errors import ValidationFailed
from giftshop.models import Product, Voucher, utcnow
from giftshop.vouchers.designs import is_offered, offered_designs
from giftshop.vouchers.picture import voucher_png
from giftshop.vouchers.service import voucher_title

# 'L' is not in the code alphabet, so the sample can never be a real voucher's code.
SAMPLE_CODE = "SAMPLE000000"


def _initial(product: Product, amount) -> int:
    if not product.is_money:
        return product.sessions
    try:
        cents = int(amount) * 100
    except (TypeError, ValueError):
        cents = 0
    return cents if product.min_cents <= cents <= product.max_cents else product.min_cents


def _gratuity(fields: dict, price_cents: int, errors: dict) -> int:
    """The gratuity line to print: `gratuity` is a percent or "amount" (`gratuity_amount`
    in whole dollars), as the order form sends them; anything else prints none."""
    choice = fields.get("gratuity") or ""
    if choice.isdecimal() and len(choice) <= 3:
        raw = {"percent": int(choice)}
    elif choice == "amount" and (fields.get("gratuity_amount") or "").isdecimal() \
            and len(fields["gratuity_amount"]) <= 4:
        raw = {"amount_cents": int(fields["gratuity_amount"]) * 100}
    else:
        return 0
    return parse_gratuity(raw, price_cents, "gratuity", errors)[0]


def preview_png(product: Product, fields: dict) -> bytes:
    """A PNG of the certificate for `product` with the typed `fields` (query strings).

    Text the order would refuse raises ValidationFailed; an amount out of bounds shows
    the product's minimum. Writes nothing and caches nothing.
    """
    errors: dict[str, str] = {}
    text = {name: check_text(fields.get(name), name, errors, required=False, limit=limit)
            for name, limit in (("recipient_name", MAX_NAME), ("purchaser_name", MAX_NAME),
                                ("message", MAX_MESSAGE))}
    design = fields.get("design") or offered_designs()[0].value
    if not is_offered(design):
        errors["design"] = "Choose one of the designs on offer."
    initial = _initial(product, fields.get("amount"))
    price = initial if product.is_money else product.price_cents
    gratuity_cents = _gratuity(fields, price, errors)
    if errors:
        raise ValidationFailed(errors)
    sample = Voucher(
        code=SAMPLE_CODE, kind=product.kind, initial=initial, remaining=initial,
        service=product.service, title=voucher_title(product.kind, initial, product.service),
        purchaser_name=text["purchaser_name"] or "", recipient_name=text["recipient_name"],
        message=text["message"] or "", design=design, promotional=False, created_at=utcnow(),
        gratuity_cents=gratuity_cents,
    )
    return voucher_png(sample, use_cache=False)
