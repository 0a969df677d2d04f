"""The back office's blueprint. Every route under /admin is the owner's alone."""
from flask import Blueprint
from flask_login import current_user

from giftshop.desk.auth import owner_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@owner_required
def owner_only():
    """Guards every admin route at once (anonymous → sign-in, staff → 403)."""
    return None


def acting_owner():
    """The signed-in owner as a model instance, for audit rows."""
    return current_user._get_current_object()
