"""The back office's forms (Flask-WTF: CSRF on every POST, typed coercion).

Forms only parse; the services validate the rules and answer with per-field errors,
which `apply_errors` shows beside the fields.
"""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, HiddenField, IntegerField, PasswordField,
                     SelectChoice, SelectField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from giftshop.admin.issue_service import DESK_METHODS
from giftshop.forms import new_key
from giftshop.money import parse_dollars


def _dollars(field) -> int | None:
    """Cents from a dollars field, None when empty; raises ValidationError when garbled."""
    text = (field.data or "").strip()
    if not text:
        return None
    cents = parse_dollars(text)
    if cents is None:
        raise ValidationError("Enter dollars and cents, like 110 or 62.50.")
    return cents


class _ServiceErrors:
    """Show a service's ValidationFailed errors on the matching fields."""

    FIELD_FOR: dict[str, str] = {}

    def apply_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            field = getattr(self, self.FIELD_FOR.get(key, key), None)
            if field is None or not hasattr(field, "errors"):
                self.form_errors.append(message)
            else:
                field.errors = [*field.errors, message] if isinstance(field.errors, list) \
                    else [message]


class ProductForm(_ServiceErrors, FlaskForm):
    FIELD_FOR = {"price_cents": "price", "min_cents": "min_amount", "max_cents": "max_amount"}

    name = StringField("Name", validators=[Length(max=120)])
    slug = StringField("Page address (slug)", validators=[Length(max=80)])
    kind = SelectField("Kind", choices=[SelectChoice("sessions", "Sessions package"),
                                        SelectChoice("money", "Gift certificate (any amount)")])
    description = TextAreaField("Description", validators=[Length(max=2000)])
    price = StringField("Price ($)", description="Sessions packages")
    sessions = IntegerField("Sessions", validators=[Optional()])
    service = StringField("Service", validators=[Length(max=120)])
    min_amount = StringField("Smallest amount ($)", description="Gift certificates")
    max_amount = StringField("Largest amount ($)")
    active = BooleanField("On sale", default=True)
    submit = SubmitField("Save")

    def validate_price(self, field):
        self.price_cents = _dollars(field)

    def validate_min_amount(self, field):
        self.min_cents = _dollars(field)

    def validate_max_amount(self, field):
        self.max_cents = _dollars(field)

    def to_data(self) -> dict:
        return {"name": self.name.data, "slug": self.slug.data, "kind": self.kind.data,
                "description": self.description.data, "price_cents": self.price_cents,
                "sessions": self.sessions.data, "service": self.service.data,
                "min_cents": self.min_cents, "max_cents": self.max_cents,
                "active": self.active.data}

    def load(self, product) -> None:
        """Fill the form from a product (GET of the edit page)."""
        def dollars(cents):
            return "" if cents is None else f"{cents / 100:.2f}"
        self.process(obj=product)
        self.price.data = dollars(product.price_cents)
        self.min_amount.data = dollars(product.min_cents)
        self.max_amount.data = dollars(product.max_cents)


class ButtonForm(FlaskForm):
    """A bare POST (reorder, activate): only the CSRF token."""
    submit = SubmitField("Go")


class RefundForm(FlaskForm):
    """Per-voucher amounts arrive as `refund_<voucher id>` (dollars or sessions)."""
    request_key = HiddenField(default=new_key, validators=[DataRequired()])
    reason = StringField("Reason (kept in the audit log)", validators=[Length(max=500)])
    everything = BooleanField("Refund everything that remains on this order")
    confirm = BooleanField("Yes, send this refund to the card through Stripe",
                           validators=[DataRequired(message="Tick the box to confirm.")])
    submit = SubmitField("Refund")


class IssueForm(_ServiceErrors, FlaskForm):
    FIELD_FOR = {"amount_cents": "amount", "price_cents": "price"}

    product = SelectField("What", coerce=int)
    amount = StringField("Amount ($, gift certificates)")
    mode = SelectField("How", choices=[
        SelectChoice("complimentary", "Complimentary / promotional (free)"),
        SelectChoice("sold", "Sold at the desk")])
    expires_on = DateField("Expires on (promotional only; leave empty for never)",
                           validators=[Optional()])
    # The service checks the method (and says which are allowed) in every mode.
    payment_method = SelectField("Paid by", choices=[SelectChoice("", "—")] + [SelectChoice(m) for m in DESK_METHODS],
                                 validate_choice=False)
    price = StringField("Price paid ($; empty = catalog price)")
    purchaser_name = StringField("Buyer's name", validators=[Length(max=120)])
    purchaser_email = EmailField("Buyer's email", validators=[Length(max=254)])
    recipient_name = StringField("Recipient's name", validators=[Length(max=120)])
    recipient_email = EmailField("Recipient's email (optional)", validators=[Length(max=254)])
    message = TextAreaField("Message", validators=[Length(max=500)])
    deliver_on = DateField("Deliver on", validators=[Optional()])
    note = StringField("Note (why)", validators=[Length(max=500)])
    submit = SubmitField("Issue voucher")

    def validate_amount(self, field):
        self.amount_cents = _dollars(field)

    def validate_price(self, field):
        self.price_cents = _dollars(field)

    def to_data(self) -> dict:
        return {"mode": self.mode.data, "amount_cents": self.amount_cents,
                "expires_on": self.expires_on.data, "payment_method": self.payment_method.data,
                "price_cents": self.price_cents, "purchaser_name": self.purchaser_name.data,
                "purchaser_email": self.purchaser_email.data,
                "recipient_name": self.recipient_name.data,
                "recipient_email": self.recipient_email.data, "message": self.message.data,
                "deliver_on": self.deliver_on.data, "note": self.note.data}


class EmailChangeForm(_ServiceErrors, FlaskForm):
    recipient_email = EmailField("New recipient email",
                                 validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Change and send")


class StaffRoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice("staff", "Front desk"),
                                        SelectChoice("owner", "Owner")])


class StaffPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired()])
class CampaignForm(_ServiceErrors, FlaskForm):
    FIELD_FOR = {"min_purchase_cents": "min_purchase", "bonus_cents": "bonus"}

    name = StringField("Name", validators=[Length(max=120)])
    starts_on = DateField("First day", validators=[Optional()])
    ends_on = DateField("Last day", validators=[Optional()])
    min_purchase = StringField("Purchase of at least ($)")
    bonus = StringField("Bonus voucher ($)")
    bonus_expires_on = DateField("Bonus expires on", validators=[Optional()])
    submit = SubmitField("Start campaign")

    def validate_min_purchase(self, field):
        self.min_purchase_cents = _dollars(field)

    def validate_bonus(self, field):
        self.bonus_cents = _dollars(field)

    def to_data(self) -> dict:
        return {"name": self.name.data, "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data, "bonus_expires_on": self.bonus_expires_on.data,
                "min_purchase_cents": self.min_purchase_cents, "bonus_cents": self.bonus_cents}


class PromoCodeForm(_ServiceErrors, FlaskForm):
    FIELD_FOR = {"amount_off_cents": "amount_off", "discount": "percent_off"}

    code = StringField("Code", validators=[Length(max=40)])
    percent_off = StringField("Percent off")
    amount_off = StringField("or amount off ($)")
    starts_on = DateField("First day", validators=[Optional()])
    ends_on = DateField("Last day", validators=[Optional()])
    max_uses = StringField("Uses at most (empty: no limit)")
    submit = SubmitField("Create code")

    def validate_percent_off(self, field):
        self.percent = _whole(field, "Give a whole percentage, like 15.")

    def validate_amount_off(self, field):
        self.amount_cents = _dollars(field)

    def validate_max_uses(self, field):
        self.uses = _whole(field, "Give a whole number of uses, or leave it empty.")

    def to_data(self) -> dict:
        return {"code": self.code.data, "percent_off": self.percent,
                "amount_off_cents": self.amount_cents, "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data, "max_uses": self.uses}


def _whole(field, message: str) -> int | None:
    """A whole number from a text field (a trailing % allowed), None when empty."""
    text = (field.data or "").strip().rstrip("%").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 7:
        raise ValidationError(message)
    return int(text)
