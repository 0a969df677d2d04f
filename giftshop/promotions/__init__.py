"""Promotions: bonus campaigns (a purchase earns a promotional voucher)."""
