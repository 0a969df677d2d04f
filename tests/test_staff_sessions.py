"""Sessions the server can end, and staff accounts the owner can change (CLI and /admin/staff)."""
from sqlalchemy import select

from giftshop.extensions import db
from giftshop.models import AuditLog, Staff
from tests.support.auth import OWNER_EMAIL, PASSWORD, make_staff, owner_client
from tests.support.web import csrf_token, post_form

EMAIL = "desk@example.com"
NEW_PASSWORD = "a brand new passphrase"


def sign_in(client, email=EMAIL, password=PASSWORD):
    return post_form(client, "/desk/login", data={"email": email, "password": password})


def cookie_copy(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def api_token(runner, email=EMAIL) -> str:
    result = runner.invoke(args=["staff", "token", email])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_a_session_cookie_copied_before_sign_out_is_dead_after_it(app, client):
    make_staff(app, EMAIL)
    assert sign_in(client).status_code == 302
    thief = cookie_copy(app, client)
    assert thief.get("/desk").status_code == 200
    assert post_form(client, "/desk", "/desk/logout").status_code == 302
    assert client.get("/desk").status_code == 302
    after = thief.get("/desk")
    assert after.status_code == 302 and after.headers["Location"].startswith("/desk/login")


def test_signing_in_starts_a_fresh_session(app, client):
    make_staff(app, EMAIL)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    token_before = csrf_token(client, "/desk/login")
    client.post("/desk/login", data={"csrf_token": token_before, "email": EMAIL,
                                     "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"].endswith(":0")
    assert csrf_token(client, "/desk") != token_before


def test_cli_disable_ends_sessions_and_revokes_tokens_and_enable_lets_them_back(app, client,
                                                                                runner):
    make_staff(app, EMAIL)
    token = api_token(runner)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/vouchers/WHM-0000-0000-0000", headers=auth).status_code == 404
    sign_in(client)
    disabled = runner.invoke(args=["staff", "disable", EMAIL])
    assert disabled.exit_code == 0, disabled.output
    assert client.get("/desk").status_code == 302
    assert client.get("/api/v1/vouchers/WHM-0000-0000-0000", headers=auth).status_code == 401
    assert sign_in(app.test_client()).status_code == 401
    assert runner.invoke(args=["staff", "enable", EMAIL]).exit_code == 0
    assert sign_in(app.test_client()).status_code == 302
    assert client.get("/api/v1/vouchers/WHM-0000-0000-0000", headers=auth).status_code == 401  # stays revoked
    assert audit_actions(app)[-2:] == ["staff.disable", "staff.enable"]


def test_cli_set_password_reads_stdin_and_ends_sessions(app, client, runner):
    make_staff(app, EMAIL)
    sign_in(client)
    short = runner.invoke(args=["staff", "set-password", EMAIL], input="short\n")
    assert short.exit_code == 1 and "at least 10" in short.output
    assert client.get("/desk").status_code == 200
    done = runner.invoke(args=["staff", "set-password", EMAIL], input=NEW_PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    assert client.get("/desk").status_code == 302
    assert sign_in(app.test_client()).status_code == 401
    assert sign_in(app.test_client(), password=NEW_PASSWORD).status_code == 302
    assert "staff.set_password" in audit_actions(app)
    with app.app_context():
        assert NEW_PASSWORD not in str(db.session.scalars(select(AuditLog.after)).all())


def test_cli_role_changes_take_effect_at_once_but_never_leave_no_owner(app, client, runner):
    make_staff(app, EMAIL)
    make_staff(app, OWNER_EMAIL, "owner")
    sign_in(client)
    assert client.get("/admin").status_code == 403
    assert runner.invoke(args=["staff", "role", EMAIL, "owner"]).exit_code == 0
    assert client.get("/admin").status_code == 200
    assert runner.invoke(args=["staff", "role", OWNER_EMAIL, "staff"]).exit_code == 0
    last = runner.invoke(args=["staff", "role", EMAIL, "staff"])
    assert last.exit_code == 1 and "only active owner" in last.output
    assert runner.invoke(args=["staff", "disable", EMAIL]).exit_code == 1
    assert runner.invoke(args=["staff", "role", EMAIL, "boss"]).exit_code == 2
    unknown = runner.invoke(args=["staff", "disable", "nobody@example.com"])
    assert unknown.exit_code == 1 and "No staff account" in unknown.output


def test_the_owner_manages_staff_at_admin_staff_and_it_is_audited(app):
    owner = owner_client(app)
    staff_id = make_staff(app, EMAIL)
    desk = app.test_client()
    sign_in(desk)
    page = owner.get("/admin/staff")
    assert page.status_code == 200 and EMAIL in page.get_data(as_text=True)
    assert desk.get("/admin/staff").status_code == 403

    def act(action, **data):
        return post_form(owner, "/admin/staff", f"/admin/staff/{staff_id}/{action}", data,
                         follow_redirects=True)

    assert "at least 10" in act("password", password="short").get_data(as_text=True)
    assert act("password", password=NEW_PASSWORD).status_code == 200
    assert desk.get("/desk").status_code == 302
    assert sign_in(desk, password=NEW_PASSWORD).status_code == 302
    assert act("role", role="owner").status_code == 200 and desk.get("/admin").status_code == 200
    assert act("role", role="root").status_code == 422
    assert act("disable").status_code == 200 and desk.get("/desk").status_code == 302
    assert "disabled" in owner.get("/admin/staff").get_data(as_text=True)
    assert act("enable").status_code == 200
    assert post_form(owner, "/admin/staff", "/admin/staff/999999/disable").status_code == 404
    with app.app_context():
        rows = db.session.scalars(select(AuditLog).where(AuditLog.target_type == "staff",
                                                         AuditLog.action != "staff.create")
                                  .order_by(AuditLog.id)).all()
        assert [(r.action, r.actor) for r in rows] == [
            ("staff.set_password", OWNER_EMAIL), ("staff.set_role", OWNER_EMAIL),
            ("staff.disable", OWNER_EMAIL), ("staff.enable", OWNER_EMAIL)]
        assert db.session.scalar(select(Staff.active).where(Staff.email == EMAIL)) is True


def test_the_last_owner_cannot_disable_themselves_from_the_back_office(app):
    owner = owner_client(app)
    with app.app_context():
        owner_id = db.session.scalar(select(Staff.id).where(Staff.email == OWNER_EMAIL))
    response = post_form(owner, "/admin/staff", f"/admin/staff/{owner_id}/disable")
    assert response.status_code == 409 and "only active owner" in response.get_data(as_text=True)
    assert owner.get("/admin").status_code == 200
