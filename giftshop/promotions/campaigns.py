"""Bonus campaigns: between two dates, a paid order of at least $X also issues the buyer a
promotional voucher of $Y, with its expiry printed (ORS 646A.278 allows an expiry on a card
not sold at face value; a bonus is free). The bonus is issued in the fulfilment transaction,
so it is exactly-once like the order's own vouchers, and travels in the buyer's receipt.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from giftshop.audit import record_audit
from giftshop.errors import ValidationFailed
from giftshop.extensions import db
from giftshop.models import BonusCampaign, LedgerEntry, Order, Voucher
from giftshop.promotions.dates import check_date_range
from giftshop.vouchers.service import issue_voucher
from giftshop.localtime import LOCAL_TZ
from giftshop.transactions import rolls_back_on_error
from giftshop.models.vocab import LedgerKind, REDEMPTION_KINDS

MAX_CENTS = 1_000_000


def _check(data: dict, today: date) -> dict:
    errors = {}
    name = (data.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Give the campaign a name (up to 120 characters)."
    starts, ends = check_date_range(data, errors, today=today, what="campaign")
    expires = data.get("bonus_expires_on")
    if not isinstance(expires, date):
        errors["bonus_expires_on"] = "Choose a date."
    if "ends_on" not in errors and "bonus_expires_on" not in errors and expires <= ends:
        errors["bonus_expires_on"] = "Bonus vouchers must expire after the campaign ends."
    for key in ("min_purchase_cents", "bonus_cents"):
        value = data.get(key)
        if not isinstance(value, int) or not 100 <= value <= MAX_CENTS:
            errors[key] = "Give an amount from $1 to $10,000."
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "starts_on": starts, "ends_on": ends, "bonus_expires_on": expires,
            "min_purchase_cents": data["min_purchase_cents"], "bonus_cents": data["bonus_cents"]}


@rolls_back_on_error
def create_campaign(data: dict, *, staff, today: date) -> BonusCampaign:
    """Validate and store a campaign with an audit row. Commits; ValidationFailed (422,
    nothing written) on bad input."""
    clean = _check(data, today)
    campaign = BonusCampaign(**clean, created_by_id=staff.id)
    db.session.add(campaign)
    db.session.flush()
    record_audit("bonus_campaign.create", campaign, staff=staff, after={
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in clean.items()})
    db.session.commit()
    return campaign


def campaign_for(order: Order, day: date) -> BonusCampaign | None:
    """The running campaign the order qualifies for; the biggest bonus when several do.

    The minimum is compared with what the buyer pays for the gifts (after a promo
    code's discount, without a prepaid gratuity, which is the therapist's), not the
    catalog price: a $100 minimum means $100 spent on gifts."""
    return db.session.scalar(
        select(BonusCampaign)
        .where(BonusCampaign.starts_on <= day, BonusCampaign.ends_on >= day,
               BonusCampaign.min_purchase_cents <= order.gifts_paid_cents)
        .order_by(BonusCampaign.bonus_cents.desc(), BonusCampaign.id).limit(1))


def issue_bonus(order: Order) -> list[Voucher]:
    """The bonus voucher a just-paid order earns (none or one), for its buyer. Call inside
    the fulfilment transaction (after `paid_at` is set); does not commit."""
    campaign = campaign_for(order, order.paid_at.astimezone(LOCAL_TZ).date())
    if campaign is None:
        return []
    voucher = issue_voucher(
        kind="money", initial=campaign.bonus_cents, value_cents=0, order=order,
        purchaser_name=order.purchaser_name, recipient_name=order.purchaser_name,
        message=f"Bonus: {campaign.name}", promotional=True,
        expires_on=campaign.bonus_expires_on, note=f"bonus campaign {campaign.id}")
    voucher.bonus_campaign_id = campaign.id
    return [voucher]


@dataclass(frozen=True)
class CampaignFigures:
    campaign: BonusCampaign
    vouchers: int
    issued_cents: int
    redeemed_cents: int


def campaign_report() -> list[CampaignFigures]:
    """Per campaign, newest first: bonus vouchers issued, their value, and how much of it
    was redeemed (redemptions net of reversals). One query."""
    used = case((LedgerEntry.kind.in_(REDEMPTION_KINDS), -LedgerEntry.delta), else_=0)
    issued = case((LedgerEntry.kind == LedgerKind.ISSUE, LedgerEntry.delta), else_=0)
    rows = db.session.execute(
        select(BonusCampaign,
               func.count(func.distinct(Voucher.id)),
               func.coalesce(func.sum(issued), 0), func.coalesce(func.sum(used), 0))
        .outerjoin(Voucher, Voucher.bonus_campaign_id == BonusCampaign.id)
        .outerjoin(LedgerEntry, LedgerEntry.voucher_id == Voucher.id)
        .group_by(BonusCampaign.id)
        .order_by(BonusCampaign.starts_on.desc(), BonusCampaign.id.desc()))
    return [CampaignFigures(c, n, int(i), int(u)) for c, n, i, u in rows]
