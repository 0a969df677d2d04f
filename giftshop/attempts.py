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
from functools import wraps

from flask import current_app, make_response
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from giftshop.errors import DomainError, NotFound
from giftshop.extensions import limiter

# Public lookups of codes and order ids that match nothing, per client (the holder
# pages and the API's order lookup share one count).
LOOKUP_MISSES = "10 per minute"
LOOKUP_MESSAGE = "Too many wrong codes were tried from your connection."


def retry_words(seconds: int) -> str:
    """When to try again, as a person says it: "in about a minute", "in about 5 minutes"."""
    if seconds <= 10:
        return "in a few seconds"
    if seconds <= 40:
        return "in about half a minute"
    if seconds <= 90:
        return "in about a minute"
    if seconds < 55 * 60:
        return f"in about {round(seconds / 60)} minutes"
    if seconds <= 90 * 60:
        return "in about an hour"
    return f"in about {round(seconds / 3600)} hours"


class TooManyAttempts(DomainError):
    """The limit was reached; `reset_at` (UTC) is when the window ends."""

    code, status = "rate_limited", 429

    def __init__(self, message: str, reset_at: datetime):
        self.reset_at = reset_at
        super().__init__(f"{message} Please try again {retry_words(self.retry_after)}.")

    @property
    def retry_after(self) -> int:
        return max(1, int((self.reset_at - datetime.now(timezone.utc)).total_seconds()) + 1)


@dataclass(frozen=True)
class Attempt:
    item: RateLimitItem
    identifiers: tuple[str, ...]


def take(limit: str, scope: str, key: str, message: str = "Too many tries.") -> Attempt | None:
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
    raise TooManyAttempts(message, datetime.fromtimestamp(stats.reset_time, timezone.utc))


def give_back(attempt: Attempt | None) -> None:
    """Un-count an attempt that turned out not to count (same atomic store)."""
    if attempt is not None:
        limiter.limiter.storage.incr(attempt.item.key_for(*attempt.identifiers),
                                     attempt.item.get_expiry(), amount=-1)


def lookup_limit(view):
    """At most LOOKUP_MISSES lookups that find nothing (404) per client, shared by every
    public lookup (holder pages, the API's order lookup).

    The lookup is counted before it runs (atomically, see `take`) and handed back when
    it found something, so concurrent guesses get no extra tries."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        attempt = take(LOOKUP_MISSES, "voucher-lookup-miss", get_remote_address() or "",
                       LOOKUP_MESSAGE)
        try:
            response = make_response(view(*args, **kwargs))
        except NotFound:
            raise
        except Exception:
            give_back(attempt)
            raise
        if response.status_code != 404:
            give_back(attempt)
        return response
    return wrapped
