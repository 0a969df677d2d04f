"""Tables, constraints and read-only derived properties. No commits here: services own them."""
from giftshop.models.base import utcnow
from giftshop.models.catalog import Design, DesignChoice, Product, ProductSlug
from giftshop.models.orders import Order, OrderItem, Refund, StripeEvent
from giftshop.models.vouchers import LedgerEntry, Voucher
from giftshop.models.staff import ApiToken, Staff
from giftshop.models.outbox import EmailOptOut, OutboxMessage
from giftshop.models.audit import AuditLog
from giftshop.models.promotions import BonusCampaign, PromoCode

__all__ = [
    "utcnow", "Design", "DesignChoice", "Product", "ProductSlug", "Order", "OrderItem", "Refund", "StripeEvent", "Voucher",
    "LedgerEntry", "Staff", "ApiToken", "OutboxMessage", "EmailOptOut", "AuditLog",
    "BonusCampaign", "PromoCode",
]
