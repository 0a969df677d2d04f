"""localstripe (a Stripe API emulator) served on 127.0.0.1 from a thread of the test session.

The Stripe SDK reaches it over real HTTP (STRIPE_API_BASE). localstripe keeps its data
in one in-memory store per process and would pickle it to /tmp after every write; that
dump is switched off so parallel test runs never share state through a file.
"""
import asyncio
import threading

import pytest
import stripe
from aiohttp import web

SECRET_KEY = "sk_test_12345"


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def _event_loop() -> asyncio.AbstractEventLoop:
    """One event-loop thread per test process: localstripe's aiohttp `app` is a module
    global that binds itself to the first loop serving it, so every server (one per test
    module) is started on, and cleaned up from, this same loop."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, daemon=True,
                             name="localstripe-loop").start()
        return _LOOP


class LocalStripe:
    def __init__(self):
        self.url = ""
        self._loop = _event_loop()
        self._runner = None

    def start(self) -> "LocalStripe":
        import localstripe.resources
        import localstripe.server

        localstripe.resources.store.dump_to_disk = lambda: None
        port = asyncio.run_coroutine_threadsafe(
            self._serve(localstripe.server.app), self._loop).result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def _serve(self, application) -> int:
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._runner = None

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url})

    def paid_payment_intent(self, amount_cents: int, currency: str = "usd") -> dict:
        """A PaymentIntent confirmed with the test Visa card: a real charge to refund."""
        client = self.client()
        intent = client.v1.payment_intents.create(
            {"amount": amount_cents, "currency": currency, "payment_method": "pm_card_visa"})
        intent = client.v1.payment_intents.confirm(intent.id)
        assert intent.status == "succeeded", intent.status
        return intent.to_dict(recursive=True)

    def refunds_for(self, payment_intent_id: str) -> list[dict]:
        listing = self.client().v1.refunds.list({"payment_intent": payment_intent_id})
        return [r.to_dict(recursive=True) for r in listing.data]

    def refund(self, payment_intent_id: str, amount_cents: int) -> dict:
        """A refund made behind the shop's back, as from the Stripe dashboard."""
        refund = self.client().v1.refunds.create(
            {"payment_intent": payment_intent_id, "amount": amount_cents})
        return refund.to_dict(recursive=True)


def stripe_config(server: LocalStripe) -> dict:
    """app_config overrides that send the shop's Stripe calls to `server`."""
    return {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": server.url}


def paid_order(app, server: LocalStripe, items: list[dict], purchaser: dict | None = None) -> int:
    """An order placed through the checkout service and paid with a real localstripe charge.

    `items` use the API's shape (`{"product": slug, "quantity": 2, "amount_cents": …}`).
    Returns the order id.
    """
    from giftshop.checkout.fulfilment import fulfil_order
    from giftshop.checkout.service import place_order
    from giftshop.extensions import db
    from giftshop.localtime import today_local

    with app.test_request_context():  # fulfilment renders emails with links
        order = place_order({"purchaser": purchaser or {"name": "Ana Buyer",
                                                        "email": "ana@example.com"},
                             "items": items}, today=today_local())
        intent = server.paid_payment_intent(order.total_cents)
        session = {"id": "cs_test_" + intent["id"], "payment_status": "paid",
                   "amount_total": order.total_cents, "currency": "usd",
                   "client_reference_id": order.public_id, "payment_intent": intent["id"]}
        assert fulfil_order(order.id, session)
        order_id = order.id
        db.session.remove()
    return order_id


@pytest.fixture(scope="module")
def localstripe():
    """localstripe on 127.0.0.1 for the test module; stopped afterwards."""
    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture
def app_config(localstripe):
    """The app talks to localstripe (imported by a test module, this replaces conftest's)."""
    return stripe_config(localstripe)
