"""Staff accounts in the back office: disable/enable, role, new password (all audited)."""
from flask import abort, flash, redirect, render_template, url_for

from giftshop.admin.blueprint import acting_owner, bp
from giftshop.admin.forms import ButtonForm, StaffPasswordForm, StaffRoleForm
from giftshop.desk import accounts
from giftshop.errors import DomainError, ValidationFailed


def _page(status: int = 200, error: str | None = None, failed_id: int | None = None):
    return render_template("admin/staff.html", members=accounts.all_staff(),
                           button=ButtonForm(), failed_id=failed_id, error=error), status


@bp.get("/staff")
def staff():
    return _page()


@bp.post("/staff/<int:staff_id>/<action>")
def change_staff(staff_id: int, action: str):
    if action not in _DONE:
        abort(404)
    member = accounts.staff_by_id(staff_id)
    form = {"role": StaffRoleForm, "password": StaffPasswordForm}.get(action, ButtonForm)()
    if not form.validate_on_submit():
        return _page(422, "Fill in the form and try again.", failed_id=member.id)
    try:
        if action == "role":
            accounts.set_role(member.email, form.role.data, by=acting_owner())
        elif action == "password":
            accounts.set_password(member.email, form.password.data, by=acting_owner())
        else:
            accounts.set_active(member.email, action == "enable", by=acting_owner())
    except ValidationFailed as exc:
        return _page(422, " ".join(exc.errors.values()), failed_id=member.id)
    except DomainError as exc:
        return _page(exc.status, exc.message, failed_id=member.id)
    flash(_DONE[action].format(email=member.email, role=member.role), "info")
    return redirect(url_for("admin.staff"), code=303)


_DONE = {
    "enable": "{email} can sign in again.",
    "disable": "{email} is disabled: signed out everywhere, API tokens revoked.",
    "role": "{email} is now {role}.",
    "password": "{email} has a new password and was signed out everywhere.",
}
