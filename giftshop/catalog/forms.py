"""The product page's order form (Flask-WTF: CSRF, coercion); the rules live in validation."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from giftshop.web import today_local

_FIELD_FOR = {
    "purchaser.name": "purchaser_name",
    "purchaser.email": "purchaser_email",
    "items.0.amount_cents": "amount",
    "items.0.quantity": "quantity",
    "items.0.recipient.name": "recipient_name",
    "items.0.recipient.email": "recipient_email",
    "items.0.message": "message",
    "items.0.deliver_on": "deliver_on",
}


class OrderForm(FlaskForm):
    # Only type coercion here: required-ness and bounds are checked by
    # checkout.validation, the same rules the API follows.
    amount = IntegerField("Amount (US dollars)", validators=[Optional()])
    quantity = IntegerField("Quantity", default=1, validators=[Optional()])
    purchaser_name = StringField("Your name")
    purchaser_email = EmailField("Your email")
    for_myself = BooleanField("This is for me")
    recipient_name = StringField("Recipient's name")
    recipient_email = EmailField("Recipient's email")
    message = TextAreaField("Personal message (optional)")
    deliver_on = DateField("Deliver on", validators=[Optional()])

    def __init__(self, product, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        if not self.is_submitted():
            self.deliver_on.data = today_local()
            if product.is_money:
                self.amount.data = 100 if product.min_cents <= 10_000 <= product.max_cents \
                    else product.min_cents // 100

    def to_order_request(self, product) -> dict:
        item = {
            "product": product.slug,
            "quantity": 1 if self.quantity.data is None else self.quantity.data,
            "message": self.message.data or "",
            "deliver_on": self.deliver_on.data,
        }
        if product.is_money:
            item["amount_cents"] = None if self.amount.data is None else self.amount.data * 100
        if not self.for_myself.data:
            item["recipient"] = {"name": self.recipient_name.data,
                                 "email": self.recipient_email.data}
        return {"purchaser": {"name": self.purchaser_name.data,
                              "email": self.purchaser_email.data},
                "items": [item]}

    def apply_errors(self, errors: dict) -> None:
        """Show the service's field errors beside the fields they concern."""
        for key, message in errors.items():
            field = getattr(self, _FIELD_FOR.get(key, ""), None)
            if field is None:
                self.form_errors.append(message)
            elif not field.errors:  # a coercion error already says what is wrong
                field.errors = [message]
