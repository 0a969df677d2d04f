"""The product page's order form (Flask-WTF: CSRF, coercion); the rules live in validation."""
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (DateField, EmailField, HiddenField, IntegerField, RadioField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from giftshop.checkout.gratuity import PERCENT_CHOICES
from giftshop.checkout.validation import MAX_DAYS_AHEAD
from giftshop.vouchers.designs import offered_designs
from giftshop.localtime import today_local
from giftshop.models.vocab import Kind

_FIELD_FOR = {
    "purchaser.name": "purchaser_name",
    "purchaser.email": "purchaser_email",
    "items.0.amount_cents": "amount",
    "items.0.quantity": "quantity",
    "items.0.recipient.name": "recipient_name",
    "items.0.recipient.email": "recipient_email",
    "items.0.message": "message",
    "items.0.deliver_on": "deliver_on",
    "items.0.design": "design",
    "items.0.gratuity": "gratuity_amount",
}


# The optional prepaid gratuity: none, a share of the gift's price, or an amount.
NO_GRATUITY, GRATUITY_AMOUNT = "none", "amount"
GRATUITY_CHOICES = ([SelectChoice(NO_GRATUITY, "None")]
                    + [SelectChoice(str(p), f"{p}%") for p in PERCENT_CHOICES]
                    + [SelectChoice(GRATUITY_AMOUNT, "Other amount")])

# How the gift reaches its holder; each choice shows only the fields it needs.
EMAIL, HAND_OVER, FOR_ME = "email", "print", "me"
DELIVERY_CHOICES = [
    SelectChoice(EMAIL, "Email it to them (on a date you choose)"),
    SelectChoice(HAND_OVER, "I'll print it or hand it over myself"),
    SelectChoice(FOR_ME, "It's for me"),
]


class WholeDollarsField(IntegerField):
    """An integer field whose coercion error says what the shop accepts."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter whole dollars, like 75 (no cents).") from None


class OrderForm(FlaskForm):
    # Only type coercion here: required-ness and bounds are checked by
    # checkout.validation, the same rules the API follows.
    amount = WholeDollarsField("Amount (US dollars)", validators=[Optional()])
    quantity = IntegerField("Quantity", default=1, validators=[Optional()])
    purchaser_name = StringField("Your name")
    purchaser_email = EmailField("Your email")
    delivery = RadioField("How should the gift reach them?", choices=DELIVERY_CHOICES,
                          default=EMAIL)
    recipient_name = StringField("Recipient's name")
    recipient_email = EmailField("Recipient's email")
    message = TextAreaField("Personal message (optional)")
    deliver_on = DateField("Deliver on", validators=[Optional()])
    design = RadioField("Design", validate_choice=False)
    gratuity = RadioField("Add a gratuity for the therapist?", choices=GRATUITY_CHOICES,
                          default=NO_GRATUITY)
    gratuity_amount = WholeDollarsField("Gratuity (US dollars)", validators=[Optional()])
    # Set when adding a gift to, or editing one in, the buyer's unpaid order.
    order_ref = HiddenField()
    item_ref = IntegerField(validators=[Optional()])

    def __init__(self, product, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        # Only the designs the owner offers (the service re-checks what is posted).
        self.design.choices = [SelectChoice(d.value, d.label) for d in offered_designs()]
        if not self.is_submitted():
            self.design.data = self.design.choices[0].value
        today = today_local()
        # The date picker offers only the dates the order rules accept.
        self.deliver_on.render_kw = {
            "min": today.isoformat(),
            "max": (today + timedelta(days=MAX_DAYS_AHEAD)).isoformat()}
        if not self.is_submitted():
            self.deliver_on.data = today
            if product.is_money:
                self.amount.data = 100 if product.min_cents <= 10_000 <= product.max_cents \
                    else product.min_cents // 100

    def fill_from(self, order, item=None) -> None:
        """Prefill for another gift in `order` (the buyer's details) or for editing `item`."""
        self.order_ref.data = order.public_id
        self.purchaser_name.data, self.purchaser_email.data = (order.purchaser_name,
                                                               order.purchaser_email)
        if item is None:
            return
        self.item_ref.data = item.id
        self.delivery.data = (EMAIL if item.recipient_email else
                              HAND_OVER if item.recipient_name else FOR_ME)
        self.amount.data = item.unit_price_cents // 100 if item.kind == Kind.MONEY else None
        self.quantity.data = item.quantity
        self.recipient_name.data, self.recipient_email.data = (item.recipient_name,
                                                               item.recipient_email)
        self.message.data, self.deliver_on.data = item.message, item.deliver_on
        self.design.data = item.design
        self.gratuity.data = (NO_GRATUITY if not item.gratuity_cents
                              else str(item.gratuity_percent) if item.gratuity_percent
                              else GRATUITY_AMOUNT)
        self.gratuity_amount.data = (item.gratuity_cents // 100
                                     if self.gratuity.data == GRATUITY_AMOUNT else None)

    def validate_recipient_email(self, field):
        # The API reads a recipient without an email as "the buyer hands it over"; on
        # this form that is its own choice, so choosing email needs an address.
        if self.delivery.data == EMAIL and not (field.data or "").strip():
            raise ValidationError("This field is required.")

    def to_order_request(self, product) -> dict:
        """The API's order request for what this form shows; hidden fields are left out."""
        mode = self.delivery.data
        item = {
            "product": product.slug,
            "quantity": 1 if self.quantity.data is None else self.quantity.data,
            "message": "" if mode == FOR_ME else self.message.data or "",
            # Only an email waits for a date; a gift handed over is printed today.
            "deliver_on": self.deliver_on.data if mode == EMAIL else None,
            "design": self.design.data,
        }
        if product.is_money:
            item["amount_cents"] = None if self.amount.data is None else self.amount.data * 100
        item["gratuity"] = self.gratuity_request()
        if mode == EMAIL:
            item["recipient"] = {"name": self.recipient_name.data,
                                 "email": self.recipient_email.data}
        elif mode == HAND_OVER:
            item["recipient"] = {"name": self.recipient_name.data}
        return {"purchaser": self.purchaser(), "items": [item]}

    def gratuity_request(self) -> dict | None:
        """The API's `gratuity` for the choice made (an empty amount is "none" plus a
        message, so the buyer is asked rather than silently given no gratuity)."""
        choice = self.gratuity.data
        if choice == GRATUITY_AMOUNT:
            dollars = self.gratuity_amount.data
            return {"amount_cents": 0 if dollars is None else dollars * 100}
        if choice in {str(p) for p in PERCENT_CHOICES}:
            return {"percent": int(choice)}
        return None

    def purchaser(self) -> dict:
        return {"name": self.purchaser_name.data, "email": self.purchaser_email.data}

    def apply_errors(self, errors: dict) -> None:
        """Show the service's field errors beside the fields they concern."""
        for key, message in errors.items():
            field = getattr(self, _FIELD_FOR.get(key, ""), None)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:  # a coercion error already says what is wrong
                field.errors = [message]
