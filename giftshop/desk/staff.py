"""Staff accounts: creating them, signing in, and the staff API's bearer tokens.

Passwords are stored as werkzeug scrypt hashes. API tokens are shown once and stored
only as their SHA-256, so a database leak does not leak usable tokens.
"""
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from giftshop import attempts
from giftshop.audit import record_audit
from giftshop.desk.token_cache import token_hash
from giftshop.email_address import INVALID, is_email
from giftshop.errors import DomainError, NotFound, ValidationFailed
from giftshop.extensions import db
from giftshop.models import ApiToken, Staff
from giftshop.models.base import utcnow
from giftshop.transactions import rolls_back_on_error

MIN_PASSWORD_LENGTH = 10
SIGNIN_LIMIT = "5 per minute"
ROLES = ("owner", "staff")
# Only refresh `last_used_at` this often, so API reads do not each cost a write.
_LAST_USED_GRANULARITY = timedelta(minutes=5)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked when the email is unknown, so a miss takes as long as a wrong password.
    # Made on first use: hashing at import time would slow every start-up.
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def load_staff(session_id: str) -> Staff | None:
    """The session's staff member while the session is live: active, and its session
    version still current (sign-out, a new password or disabling raise it)."""
    staff_id, _, version = (session_id or "").partition(":")
    try:
        staff = db.session.get(Staff, int(staff_id))
        version = int(version)
    except (TypeError, ValueError, OverflowError):
        return None
    if staff is None or not staff.active or staff.session_version != version:
        return None
    return staff


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def staff_by_email(email: str) -> Staff | None:
    if "\x00" in (email or ""):  # no account has one, and PostgreSQL would refuse the query
        return None
    return db.session.scalar(select(Staff).where(func.lower(Staff.email) == normalize_email(email)))


def require_staff(email: str) -> Staff:
    staff = staff_by_email(email)
    if staff is None:
        raise NotFound(f"No staff account for {normalize_email(email)}.", code="unknown_staff")
    return staff


def password_errors(password: str | None) -> dict[str, str]:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return {"password": f"Use at least {MIN_PASSWORD_LENGTH} characters."}
    if len(password) > 1024:  # scrypt of a megabyte would be a cheap way to burn CPU
        return {"password": "Use at most 1024 characters."}
    return {}


@rolls_back_on_error
def create_staff(email: str, password: str, *, role: str = "staff", name: str = "") -> Staff:
    """Create an active staff account with a scrypt-hashed password. Commits.

    Raises ValidationFailed for a bad email, short password or unknown role, and
    DomainError `staff_exists` when the email is taken (also under a race).
    """
    email = normalize_email(email)
    errors = {}
    if not is_email(email):
        errors["email"] = INVALID
    errors.update(password_errors(password))
    if role not in ROLES:
        errors["role"] = "Role must be owner or staff."
    if len(name or "") > 120 or "\x00" in (name or ""):
        errors["name"] = "Use at most 120 printable characters."
    if errors:
        raise ValidationFailed(errors, "The staff account could not be created.")
    if staff_by_email(email) is not None:
        raise DomainError(f"{email} already has an account.", code="staff_exists", status=409)
    staff = Staff(email=email, name=(name or "").strip(), role=role,
                  password_hash=generate_password_hash(password, method="scrypt"))
    db.session.add(staff)
    try:
        db.session.flush()
        record_audit("staff.create", staff, actor="cli", after={"email": email, "role": role})
        db.session.commit()
    except IntegrityError:
        raise DomainError(f"{email} already has an account.", code="staff_exists", status=409)
    return staff


def authenticate(email: str, password: str) -> Staff | None:
    """The active staff member with this email and password, else None. Read-only."""
    staff = staff_by_email(email)
    if staff is None or not staff.active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(staff.password_hash, password or ""):
        return None
    return staff


def sign_in_attempt(email: str, password: str, *, client: str) -> Staff | None:
    """`authenticate`, behind the sign-in limit of SIGNIN_LIMIT failures per client and email.

    The attempt is counted atomically *before* the password is checked, so concurrent
    guesses get no more checks than the limit; a successful sign-in is not counted.
    Raises TooManyAttempts (nothing checked) past the limit. Read-only in the database.
    """
    # Per IP *and* email: one person's typos do not lock out the whole front desk.
    attempt = attempts.take(SIGNIN_LIMIT, "staff-sign-in", f"{client}|{normalize_email(email)}")
    staff = authenticate(email, password)
    if staff is not None:
        attempts.give_back(attempt)
    return staff


def _hash_token(token: str) -> str:
    return token_hash(token)


def issue_token(email: str) -> str:
    """Create a new API token for the staff member and return it (shown once). Commits."""
    staff = require_staff(email)
    if not staff.active:
        raise DomainError("That staff account is disabled.", code="staff_inactive", status=409)
    token = secrets.token_urlsafe(32)
    row = ApiToken(staff=staff, token_hash=_hash_token(token))
    db.session.add(row)
    db.session.flush()
    record_audit("api_token.issue", row, staff=staff)
    db.session.commit()
    return token


def token_holder(token: str | None, *, now: datetime | None = None) -> tuple[Staff | None, int | None]:
    """(the active staff member owning this unrevoked token, else None; the token's id
    when its `last_used_at` is due a refresh, else None). Read-only: the API records the
    use after the request (`record_token_use`), so authorizing commits nothing."""
    row, due = live_token(token, now=now)
    return (None if row is None else row.staff), due


def live_token(token: str | None, *, now: datetime | None = None) -> tuple[ApiToken | None, int | None]:
    """`token_holder`, answering with the token row (its `staff` loaded). Read-only."""
    if not token:
        return None, None
    row = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.staff))
                            .where(ApiToken.token_hash == _hash_token(token)))
    if row is None or row.revoked_at is not None or not row.staff.active:
        return None, None
    now = now or utcnow()
    due = row.last_used_at is None or now - row.last_used_at > _LAST_USED_GRANULARITY
    return row, row.id if due else None


def record_token_use(token_id: int, *, now: datetime | None = None) -> None:
    """Refresh a token's `last_used_at` (at most every few minutes, see `token_holder`).
    Its own statement and commit, after the request's work is done."""
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id)
                       .values(last_used_at=now or utcnow()))
    db.session.commit()


def revoke(email: str, *, now: datetime | None = None) -> int:
    """Revoke every live API token of the staff member; returns how many. Commits."""
    staff = require_staff(email)
    count = revoke_tokens(staff, now=now)
    record_audit("api_token.revoke_all", staff, staff=staff, after={"revoked": count})
    db.session.commit()
    return count


def revoke_tokens(staff: Staff, *, now: datetime | None = None) -> int:
    """Revoke the member's live API tokens in the caller's transaction. Does not commit."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.staff_id == staff.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return result.rowcount
