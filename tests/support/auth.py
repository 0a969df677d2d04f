"""Signed-in staff for page tests: accounts made by the real service, Flask-Login's session."""
from giftshop.desk.staff import create_staff, issue_token
from giftshop.extensions import db
from giftshop.models import Staff

OWNER_EMAIL = "owner@westhillsmassage.test"
STAFF_EMAIL = "desk@westhillsmassage.test"
PASSWORD = "correct horse battery"


def make_staff(app, email: str = STAFF_EMAIL, role: str = "staff", *, name: str = "") -> int:
    """A staff account with PASSWORD, made by the real service; returns its id."""
    with app.app_context():
        staff_id = create_staff(email, PASSWORD, role=role, name=name).id
        db.session.remove()
    return staff_id


def api_token(app, email: str = STAFF_EMAIL, role: str = "staff") -> str:
    """A bearer token for the staff API, of a staff account made here."""
    with app.app_context():
        create_staff(email, PASSWORD, role=role)
        token = issue_token(email)
        db.session.remove()
    return token


def bearer(token: str, key: str | None = None) -> dict:
    """Staff API request headers: the token, and an Idempotency-Key when `key` is given."""
    return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}


def sign_in(client, staff_id: int) -> None:
    """What Flask-Login's `login_user` leaves in the session cookie."""
    with client.application.app_context():
        session_id = db.session.get(Staff, staff_id).get_id()
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


def owner_client(app):
    """A test client signed in as the owner (created here)."""
    client = app.test_client()
    sign_in(client, make_staff(app, OWNER_EMAIL, "owner"))
    return client


def staff_client(app):
    """A test client signed in as a front-desk (non-owner) staff member."""
    client = app.test_client()
    sign_in(client, make_staff(app, STAFF_EMAIL, "staff"))
    return client


def browser_sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real sign-in page in a Playwright page."""
    page.goto(base_url + "/desk/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")
    page.wait_for_url(base_url + "/desk")
