"""API tokens this process has already resolved, so the staff API's hot routes (voucher
lookup, redemption) send no token query of their own.

What is cached is only what never changes for a token row: its id and its staff
member's id and email (kept by hash, `TokenHolder`). Whether the token still works is
never cached: a hot route's one statement carries `ApiToken.live(holder.token_id)`, an
EXISTS that re-reads the token's `revoked_at` and the member's `active` flag, so a token revoked, or
a member disabled, by any worker, any host or the CLI fails on the very next request
anywhere. Routes whose answer depends on the role (void, reversal) keep the per-request
token query (`api_staff_required`), so a role change needs no invalidation here.

An entry is dropped after `REFRESH` so the full check runs again and refreshes the
token's `last_used_at`; the cache holds at most `MAX_ENTRIES` tokens.
"""
import hashlib
import threading
import time
from dataclasses import dataclass

from giftshop.models import ApiToken

#: As often as `token_holder` finds `last_used_at` due a refresh.
REFRESH = 300.0
MAX_ENTRIES = 1024


@dataclass(frozen=True)
class TokenHolder:
    """The staff member behind a cached token, as the ledger and the audit log need it
    (`id`, `email`); `token_id` names the row `ApiToken.live` re-checks."""

    token_id: int
    id: int
    email: str


_entries: dict[str, tuple[TokenHolder, float]] = {}
_lock = threading.Lock()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def cached(token: str | None) -> TokenHolder | None:
    """The holder this process resolved for `token` within `REFRESH` seconds, else None."""
    if not token:
        return None
    entry = _entries.get(token_hash(token))
    if entry is None or time.monotonic() - entry[1] > REFRESH:
        return None
    return entry[0]


def remember(token: str, row: ApiToken) -> TokenHolder:
    """Cache a token `live_token` has just found live; returns its holder."""
    holder = TokenHolder(token_id=row.id, id=row.staff.id, email=row.staff.email)
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[token_hash(token)] = (holder, time.monotonic())
    return holder


def forget(token: str | None) -> None:
    if token:
        with _lock:
            _entries.pop(token_hash(token), None)


def clear() -> None:
    with _lock:
        _entries.clear()
