"""Payment disputes (chargebacks): freeze the order's vouchers while Stripe decides.

`charge.dispute.created` freezes every active voucher of the order (the ledger then
refuses redemptions and cash-outs with code `frozen`); `charge.dispute.closed`
unfreezes them when the dispute is won (or a warning closes) and voids them when it
is lost, since the money went back to the card holder. `Order.dispute_status` keeps
Stripe's latest dispute status. Each handler locks the order, is safe to replay, and
commits.
"""
import logging

from giftshop.audit import record_audit
from giftshop.checkout.orders import lock_order, order_for_intent, order_snapshot
from giftshop.extensions import db
from giftshop.models import Order
from giftshop.vouchers import lifecycle
from giftshop.vouchers.ledger import lock_voucher
from giftshop.models.vocab import VoucherStatus

log = logging.getLogger(__name__)
# Closed statuses after which the buyer keeps nothing: the vouchers are voided.
LOST = ("lost",)


def _locked_order(dispute: dict) -> Order | None:
    order = order_for_intent(dispute.get("payment_intent"))
    if order is None:
        log.warning("Stripe dispute %s (charge %s) matches no order", dispute.get("id"),
                    dispute.get("charge"))
        return None
    return lock_order(order.id)


def freeze_order(dispute: dict) -> int:
    """Freeze the order's active vouchers. Returns how many were frozen now. Commits."""
    order = _locked_order(dispute)
    if order is None:
        return 0
    before = order_snapshot(order)
    order.dispute_status = dispute.get("status") or "needs_response"
    frozen = []
    for voucher in order.vouchers:
        voucher = lock_voucher(voucher.id)
        if lifecycle.freeze(voucher, actor="stripe", reason={"dispute": dispute.get("id")}):
            frozen.append(voucher.code)
    record_audit("order.dispute_opened", order, actor="stripe", before=before,
                 after={**order_snapshot(order), "dispute": dispute.get("id"),
                        "reason": dispute.get("reason"), "frozen": frozen})
    db.session.commit()
    return len(frozen)


def close_dispute(dispute: dict) -> str:
    """Unfreeze (won) or void (lost) the order's frozen vouchers. Commits.

    Returns the dispute status acted on, or 'no_order'.
    """
    order = _locked_order(dispute)
    if order is None:
        return "no_order"
    status = dispute.get("status") or ""
    before = order_snapshot(order)
    order.dispute_status = status
    for voucher in order.vouchers:
        voucher = lock_voucher(voucher.id)
        if voucher.status != VoucherStatus.ACTIVE:
            continue
        if status in LOST:
            lifecycle.void(voucher, actor="stripe", reason="payment dispute lost")
        else:
            lifecycle.unfreeze(voucher, actor="stripe", reason={"dispute": dispute.get("id")})
    record_audit("order.dispute_closed", order, actor="stripe", before=before,
                 after={**order_snapshot(order), "dispute": dispute.get("id")})
    db.session.commit()
    return status


def dispute_created(dispute: dict) -> None:
    freeze_order(dispute)


def dispute_updated(dispute: dict) -> None:
    order = _locked_order(dispute)
    if order is not None and dispute.get("status") and order.dispute_status != dispute["status"]:
        before = order_snapshot(order)
        order.dispute_status = dispute["status"]
        record_audit("order.dispute_updated", order, actor="stripe", before=before,
                     after=order_snapshot(order))
    db.session.commit()


def dispute_closed(dispute: dict) -> None:
    close_dispute(dispute)
