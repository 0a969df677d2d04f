"""Read-only searches behind the owner's lists: orders, vouchers, the audit log.

Each returns a Flask-SQLAlchemy `Pagination` (newest first) built from one query,
filters applied in SQL.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from giftshop.extensions import db
from giftshop.models import AuditLog, Order, OrderItem, Voucher
from giftshop.models.base import parse_db_int
from giftshop.vouchers.codes import normalize_code
from giftshop.localtime import LOCAL_TZ
from giftshop.vouchers.search import fold
from giftshop.models.vocab import VoucherStatus

PER_PAGE = 50
VOUCHER_FILTERS = ("all", "active", "used_up", "voided", "refunded", "frozen")


@dataclass(frozen=True)
class OrderSearch:
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _item_matches(like: str):
    """Orders with a line whose recipient or product (name or slug) contains the text."""
    return Order.id.in_(select(OrderItem.order_id).where(or_(
        OrderItem.recipient_name.ilike(like, escape="\\"),
        OrderItem.recipient_email.ilike(like, escape="\\"),
        OrderItem.product_name.ilike(like, escape="\\"),
        OrderItem.product_slug.ilike(like, escape="\\"))))


def _voucher_matches(text: str):
    """Orders with a voucher whose folded names and emails (recipient or buyer, as changed
    since) contain the text, ignoring accents as the desk search does."""
    return Order.id.in_(select(Voucher.order_id).where(
        Voucher.order_id.is_not(None),
        Voucher.search_text.like(_like(fold(text)), escape="\\")))


def search_orders(search: OrderSearch, page: int = 1):
    """Orders matching a code (voucher code, order link id or number), the buyer's or a
    recipient's name or email, or a product's name or slug, placed within the Portland
    dates given (both ends included)."""
    query = select(Order).options(selectinload(Order.items)) \
        .order_by(Order.created_at.desc(), Order.id.desc())
    text = search.text.strip()
    if text:
        like = _like(text)
        matches = [Order.purchaser_name.ilike(like, escape="\\"),
                   Order.purchaser_email.ilike(like, escape="\\"),
                   Order.public_id == text, _item_matches(like)]
        if fold(text):
            matches.append(_voucher_matches(text))
        code = normalize_code(text)
        if code:
            matches.append(Order.id.in_(select(Voucher.order_id).where(Voucher.code == code)))
        number = parse_db_int(text.lstrip("#"))
        if number is not None:
            matches.append(Order.id == number)
        query = query.where(or_(*matches))
    if search.date_from:
        query = query.where(Order.created_at >= _local_midnight(search.date_from))
    if search.date_to:
        query = query.where(Order.created_at < _local_midnight(search.date_to + timedelta(days=1)))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def filter_vouchers(state: str = "all", text: str = "", page: int = 1):
    """Vouchers in a state (active, used_up, voided, refunded, frozen) and/or matching a
    code, recipient or purchaser; newest first."""
    query = select(Voucher).order_by(Voucher.id.desc())
    conditions = {
        "active": [Voucher.status == VoucherStatus.ACTIVE, Voucher.frozen.is_(False),
                   Voucher.remaining > 0],
        "used_up": [Voucher.status == VoucherStatus.ACTIVE, Voucher.remaining == 0],
        "voided": [Voucher.status == VoucherStatus.VOIDED],
        "refunded": [Voucher.status == VoucherStatus.REFUNDED],
        "frozen": [Voucher.status == VoucherStatus.ACTIVE, Voucher.frozen.is_(True)],
    }
    query = query.where(*conditions.get(state, []))
    text = text.strip()
    if text:
        like = _like(text)
        matches = [Voucher.recipient_name.ilike(like, escape="\\"),
                   Voucher.recipient_email.ilike(like, escape="\\"),
                   Voucher.purchaser_name.ilike(like, escape="\\")]
        code = normalize_code(text)
        if code:
            matches.append(Voucher.code == code)
        query = query.where(or_(*matches))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def audit_page(action: str = "", target: str = "", page: int = 1):
    """The audit log, newest first; `target` is a table name ('voucher') or 'voucher:12'."""
    query = select(AuditLog).order_by(AuditLog.id.desc())
    if action.strip():
        query = query.where(AuditLog.action == action.strip())
    target_type, _, target_id = target.strip().partition(":")
    if target_type:
        query = query.where(AuditLog.target_type == target_type)
    if target_id:
        query = query.where(AuditLog.target_id == target_id)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def audit_actions() -> list[str]:
    """Every action recorded so far (for the filter's choices)."""
    return list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
