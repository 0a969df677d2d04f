"""Staff accounts: loading the signed-in user (password and token handling grow here)."""
from giftshop.extensions import db, login_manager
from giftshop.models import Staff

login_manager.login_view = "desk.login"
login_manager.login_message = "Please sign in to use the front desk."


@login_manager.user_loader
def load_staff(staff_id: str) -> Staff | None:
    try:
        staff = db.session.get(Staff, int(staff_id))
    except (TypeError, ValueError):
        return None
    return staff if staff is not None and staff.active else None
