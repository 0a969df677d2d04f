"""Front-desk forms (Flask-WTF: every POST carries a CSRF token).

Each action form carries a hidden idempotency key generated when the page renders,
so a double-submit (double tap, reload after POST) writes one entry. Redeem and undo
are one tap: the button's label ("Redeem 1 session") is the confirmation, and every
redemption can be undone from the screen that follows it. Cash out and void, which
cannot be undone, keep a required confirmation checkbox.
"""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, IntegerField, PasswordField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from giftshop.forms import idempotency_key_field
from giftshop.money import parse_dollars


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("Sign in")


class _ActionForm(FlaskForm):
    idempotency_key = idempotency_key_field()


class RedeemAmountForm(_ActionForm):
    amount = StringField("Amount ($)", validators=[DataRequired(message="Enter an amount.")],
                         render_kw={"inputmode": "decimal", "placeholder": "0.00",
                                    "autocomplete": "off"})
    submit = SubmitField("Redeem this amount")

    def validate_amount(self, field):
        cents = parse_dollars(field.data)
        if cents is None or cents <= 0:
            raise ValidationError("Enter dollars and cents, like 62.50.")
        self.cents = cents


class RedeemSessionsForm(_ActionForm):
    sessions = IntegerField("Sessions", default=1,
                            validators=[InputRequired(message="Enter a number of sessions."),
                                        NumberRange(min=1, max=100)],
                            render_kw={"inputmode": "numeric", "min": 1})
    submit = SubmitField("Redeem 1 session")


class ReverseForm(_ActionForm):
    entry_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Undo")


class CashOutForm(_ActionForm):
    confirm = BooleanField("Yes, I paid the balance in cash",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    submit = SubmitField("Cash out")


class VoidForm(_ActionForm):
    reason = TextAreaField("Reason", validators=[DataRequired(message="Say why."),
                                                 Length(max=500)])
    confirm = BooleanField("Yes, void this voucher for good",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    submit = SubmitField("Void voucher")
