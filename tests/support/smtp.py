"""A real SMTP server (aiosmtpd) on 127.0.0.1, port 0, in a background thread.

`SMTPSink.messages` holds every message received, parsed as `email.message.EmailMessage`.
`go_down()` stops listening (clients get "connection refused") and `come_back()`
listens again on the same port, to exercise retries. `delay` slows each DATA
reply, so concurrent senders overlap; `refuse` maps recipients to a 5xx reply;
`connections` counts the SMTP sessions clients opened; `hang_up()` ends them.
"""
import asyncio
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import SMTP


class SMTPSink:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self.messages = []
        self.envelopes = []
        self.delay = 0.0
        self.refuse: dict[str, str] = {}
        self.connections = 0  # SMTP sessions opened by clients
        self._sessions = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None

    # aiosmtpd handler hooks ------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.original_content or envelope.content,
                                    policy=policy.default)
        with self._lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"

    # lifecycle -------------------------------------------------------------
    def start(self) -> "SMTPSink":
        self._thread.start()
        self.come_back()
        return self

    def come_back(self) -> None:
        """Listen (again): on port 0 the first time, then on the same port."""
        def session():
            self.connections += 1  # on the loop's thread only
            protocol = SMTP(self, loop=self._loop, hostname="sink.test")
            self._sessions.append(protocol)
            return protocol

        async def listen():
            return await self._loop.create_server(
                session,
                host=self.host, port=self.port, reuse_address=True)

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def go_down(self) -> None:
        """Stop listening: new connections are refused until `come_back()`."""
        async def close():
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)

    def hang_up(self) -> None:
        """End every open SMTP session from the server side, as an idle timeout does."""
        def close():
            for protocol in self._sessions:
                if protocol.transport is not None:
                    protocol.transport.close()

        self._loop.call_soon_threadsafe(close)

    def stop(self) -> None:
        if self._server is not None and self._server.is_serving():
            self.go_down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def config(self) -> dict:
        """App config pointing the shop's mail settings at this server."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port, "MAIL_USE_TLS": False,
                "MAIL_USERNAME": "", "MAIL_PASSWORD": "",
                "MAIL_DEFAULT_SENDER": "West Hills Massage <gifts@shop.test>"}


def mail_settings(**extra):
    """A test module's `app_config` fixture (`app_config = mail_settings(...)`): the shop's
    mail sent to the `smtp_server` sink, plus the `extra` settings."""
    @pytest.fixture
    def app_config(smtp_server):
        return {**smtp_server.config(), **extra}

    return app_config


@pytest.fixture
def smtp_server():
    sink = SMTPSink().start()
    try:
        yield sink
    finally:
        sink.stop()
