"""Attempt limits that count before they check, in Flask-Limiter's configured store.

Flask-Limiter's `deduct_when` tests the limit, runs the view, then counts: N requests
arriving together all pass the test before any is counted, so all N get a password
check or a code lookup. Here an attempt is counted first, by one atomic increment in
the limiter's store (memory for one process, or `REDIS_URL` shared by every worker),
and only an attempt within the limit goes on. An attempt that turns out not to count
(a correct password, a code that exists) is handed back afterwards.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from limits import RateLimitItem, parse

from giftshop.errors import DomainError
from giftshop.extensions import limiter


class TooManyAttempts(DomainError):
    """The limit was reached; `reset_at` (UTC) is when the window ends."""

    code, status = "rate_limited", 429

    def __init__(self, message: str, reset_at: datetime):
        super().__init__(message)
        self.reset_at = reset_at

    @property
    def retry_after(self) -> int:
        return max(1, int((self.reset_at - datetime.now(timezone.utc)).total_seconds()) + 1)


@dataclass(frozen=True)
class Attempt:
    item: RateLimitItem
    identifiers: tuple[str, ...]


def take(limit: str, scope: str, key: str) -> Attempt | None:
    """Count one attempt against `limit` (e.g. "5 per minute") for `key` within `scope`.

    Atomic: however many requests arrive together, at most the limit's amount get past
    this call in one window. Raises TooManyAttempts past the limit (the refused attempt
    stays counted). Returns None when rate limiting is switched off.
    """
    if not limiter.enabled:
        return None
    attempt = Attempt(parse(limit), (current_app.config.get("RATELIMIT_KEY_PREFIX", ""),
                                     scope, key))
    if limiter.limiter.hit(attempt.item, *attempt.identifiers):
        return attempt
    stats = limiter.limiter.get_window_stats(attempt.item, *attempt.identifiers)
    raise TooManyAttempts("Too many attempts. Please wait a minute and try again.",
                          datetime.fromtimestamp(stats.reset_time, timezone.utc))


def give_back(attempt: Attempt | None) -> None:
    """Un-count an attempt that turned out not to count (same atomic store)."""
    if attempt is not None:
        limiter.limiter.storage.incr(attempt.item.key_for(*attempt.identifiers),
                                     attempt.item.get_expiry(), amount=-1)
