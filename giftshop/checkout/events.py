"""The registry of Stripe webhook handlers: event type → function taking the Stripe object.

Handler modules (`webhooks`, `refunds`, `disputes`) register with `@handles`; the
webhook view dispatches through `HANDLERS`. Kept apart so handler modules need not
import the dispatcher.
"""
from typing import Callable

HANDLERS: dict[str, Callable[[dict], None]] = {}


def handles(*event_types: str):
    def register(fn):
        for event_type in event_types:
            HANDLERS[event_type] = fn
        return fn
    return register
