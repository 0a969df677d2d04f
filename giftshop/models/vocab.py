"""The shop's vocabularies: one list each for the database constraints, the OpenAPI
enums, the queries and the code that compares or writes them.

Members are `StrEnum`s, so they are the stored strings themselves (`OrderStatus.PAID ==
"paid"`), and a column read back from the database compares equal to them.
"""
from enum import StrEnum


class Kind(StrEnum):
    """What a product sells and a voucher holds: cents or sessions."""

    MONEY = "money"
    SESSIONS = "sessions"


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


# Orders whose money was received (refunds later do not undo the sale).
PAID_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED)
# Orders that may still be paid: Stripe can report a late payment of an expired or
# failed Checkout Session, and the buyer may try again.
PAYABLE_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.FAILED, OrderStatus.EXPIRED)


class VoucherStatus(StrEnum):
    """What is stored; `VoucherState` adds what is derived from it."""

    ACTIVE = "active"
    VOIDED = "voided"
    REFUNDED = "refunded"


# A closed voucher is no longer valid for anything.
CLOSED_VOUCHER_STATUSES = (VoucherStatus.VOIDED, VoucherStatus.REFUNDED)


class VoucherState(StrEnum):
    """What pages and the APIs show (`Voucher.display_status`): the stored status, or
    for an active voucher whether it is expired, frozen or used up."""

    ACTIVE = "active"
    USED = "used"
    VOIDED = "voided"
    REFUNDED = "refunded"
    FROZEN = "frozen"
    EXPIRED = "expired"


class LedgerKind(StrEnum):
    ISSUE = "issue"
    REDEEM = "redeem"
    REVERSE = "reverse"
    CASHOUT = "cashout"
    VOID = "void"
    REFUND = "refund"
    ADJUST = "adjust"


# Sessions and money used at the desk, net of the uses undone.
REDEMPTION_KINDS = (LedgerKind.REDEEM, LedgerKind.REVERSE)


class RefundStatus(StrEnum):
    """Stripe's refund statuses. Stripe owns this list, so the column has no CHECK
    constraint: a status Stripe adds later is stored as reported, not refused."""

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


# Refunds that did not (or will not) return money.
FAILED_REFUND_STATUSES = (RefundStatus.FAILED, RefundStatus.CANCELED)


class GratuityStatus(StrEnum):
    NONE = "none"
    HELD = "held"  # waiting for the voucher's first redemption
    PAID = "paid"  # the therapist's
    REFUNDED = "refunded"  # returned to the buyer


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


def one_of(column: str, vocabulary: type[StrEnum]) -> str:
    """The CHECK constraint admitting exactly the members of `vocabulary`."""
    return f"{column} in ({', '.join(repr(value) for value in values(vocabulary))})"


def values(vocabulary) -> list[str]:
    """The members as plain strings (an OpenAPI `enum`, a form's choices)."""
    return [str(member) for member in vocabulary]
