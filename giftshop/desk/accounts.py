"""Changing staff accounts after they exist: sign-out, disable/enable, password, role.

A session cookie names its member's `session_version` (Staff.get_id) and the user
loader accepts only the current one, so raising the version ends every session of
that member at their next request, wherever the cookie was copied to. Every change
here is audited (`by` is the owner acting in the back office; None means the CLI).
"""
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from giftshop.audit import record_audit
from giftshop.desk.staff import ROLES, password_errors, require_staff, revoke_tokens
from giftshop.errors import Conflict, NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import Staff
from giftshop.transactions import rolls_back_on_error


def all_staff() -> list[Staff]:
    return list(db.session.scalars(select(Staff).order_by(Staff.role, Staff.email)))


def staff_by_id(staff_id: int) -> Staff:
    """The member with this id; raises NotFound `unknown_staff`."""
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("There is no such staff member.", code="unknown_staff")
    return staff


def end_sessions(staff: Staff) -> None:
    """End every session of the member (sign-out ends them on all devices). Commits."""
    _bump_session_version(staff)
    db.session.commit()


@rolls_back_on_error
def set_active(email: str, active: bool, *, by: Staff | None = None) -> Staff:
    """Enable or disable an account. Disabling ends its sessions and revokes its API
    tokens in the same transaction. Commits. Raises NotFound `unknown_staff`, and
    Conflict `last_owner` rather than leave the shop without an active owner."""
    staff = require_staff(email)
    if not active:
        _keep_an_owner(staff)
    before, revoked = {"active": staff.active}, 0
    staff.active = active
    if not active:
        _bump_session_version(staff)
        revoked = revoke_tokens(staff)
    record_audit("staff.enable" if active else "staff.disable", staff, **_who(by),
                 before=before, after={"active": active, "tokens_revoked": revoked})
    db.session.commit()
    return staff


@rolls_back_on_error
def set_password(email: str, password: str, *, by: Staff | None = None) -> Staff:
    """Give the member a new password and end their sessions. Commits.
    Raises ValidationFailed for a too short or too long password."""
    errors = password_errors(password)
    if errors:
        raise ValidationFailed(errors, "The password was not changed.")
    staff = require_staff(email)
    staff.password_hash = generate_password_hash(password, method="scrypt")
    _bump_session_version(staff)
    record_audit("staff.set_password", staff, **_who(by))
    db.session.commit()
    return staff


@rolls_back_on_error
def set_role(email: str, role: str, *, by: Staff | None = None) -> Staff:
    """Make the member `owner` or `staff` (effective at their next request). Commits.
    Raises ValidationFailed for another role, Conflict `last_owner` for the last owner."""
    if role not in ROLES:
        raise ValidationFailed({"role": "Role must be owner or staff."})
    staff = require_staff(email)
    if role != "owner":
        _keep_an_owner(staff)
    before = {"role": staff.role}
    staff.role = role
    record_audit("staff.set_role", staff, **_who(by), before=before, after={"role": role})
    db.session.commit()
    return staff


def _bump_session_version(staff: Staff) -> None:
    # In SQL, so two changes at once both count.
    staff.session_version = Staff.session_version + 1
    db.session.flush()


def _keep_an_owner(staff: Staff) -> None:
    if not (staff.is_owner and staff.active):
        return
    others = db.session.scalar(select(func.count()).select_from(Staff).where(
        Staff.role == "owner", Staff.active.is_(True), Staff.id != staff.id))
    if not others:
        raise Conflict(f"{staff.email} is the only active owner; make someone else owner "
                       "first.", code="last_owner")


def _who(by: Staff | None) -> dict:
    return {"staff": by} if by is not None else {"actor": "cli"}
