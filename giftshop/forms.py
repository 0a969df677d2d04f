"""Form pieces the desk and the back office share."""
import re
import uuid

from wtforms import HiddenField
from wtforms.validators import ValidationError

_KEY = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


def new_key() -> str:
    """A fresh idempotency key for a form being rendered."""
    return str(uuid.uuid4())


def _valid_key(form, field):
    if not _KEY.match(field.data or ""):
        raise ValidationError("This form is out of date; reload the page.")


def idempotency_key_field() -> HiddenField:
    """A hidden key made when the page renders, so a double submit (double tap, reload
    after POST) is recognised by the service as one request."""
    return HiddenField(default=new_key, validators=[_valid_key])
