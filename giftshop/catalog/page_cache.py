"""The catalog page, rendered once per catalog version and served from memory.

Guarantees: a worker serves the page it rendered only while no catalog change has
been committed since, as far as PostgreSQL has told it. Every flush that touches a
product, a design choice or a bonus campaign (`CATALOG_MODELS`) also runs
`NOTIFY giftshop_catalog` in that transaction, which PostgreSQL
delivers on commit (never on rollback) to every listening connection, in every
worker and on every host. Each worker keeps one LISTEN connection in a daemon thread
and drops its page on each notification; the worker that made the edit drops its
own at once. While that connection is not listening (starting, lost, reconnecting)
nothing is cached and every request renders from the database. A page rendered
while a notification arrived is not kept (a generation counter), so it can never
outlive the edit it missed.

SQLite (one machine, no LISTEN) renders every request, as before. Requests whose
session carries flashed messages are rendered too: those pages differ per visitor.
"""
import threading
import time

from flask import Flask, current_app, has_app_context, render_template, request, session
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from giftshop.catalog.service import active_products
from giftshop.models import BonusCampaign, DesignChoice, Product

CHANNEL = "giftshop_catalog"
# Whatever a catalog page may show: an edit to any of these ends every cached page.
CATALOG_MODELS = (Product, DesignChoice, BonusCampaign)
# How often an idle listener proves its connection is alive (a silent network drop
# would otherwise leave a stale page in memory for good).
_HEARTBEAT_SECONDS = 20.0
_POLL_SECONDS = 1.0
_RETRY_SECONDS = 2.0


class CatalogPageCache:
    """One per app in each worker process; see the module docstring."""

    def __init__(self, dsn: str | None):
        self.dsn = dsn
        self.pages: dict[str, str] = {}
        self.generation = 0
        self.listening = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def stop(self) -> None:
        """End the listener (tests; a worker simply exits) and cache nothing more."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=_POLL_SECONDS + 5)

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self.pages.clear()

    def page(self, key: str, render) -> str:
        """The cached page for `key`, else `render()` (kept if nothing changed meanwhile)."""
        if self.dsn is None or self._stopped.is_set():
            return render()
        self._start_listener()
        cached = self.pages.get(key)
        if cached is not None:
            return cached
        listening, generation = self.listening, self.generation
        body = render()
        with self._lock:
            if listening and self.listening and generation == self.generation:
                self.pages[key] = body
        return body

    def _start_listener(self) -> None:
        # Started lazily in the worker (after gunicorn forks), never at import or create_app.
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._listen, daemon=True,
                                                    name="catalog-page-listener")
                    self._thread.start()

    def _listen(self) -> None:
        import psycopg

        while not self._stopped.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # Pages rendered before LISTEN took effect may predate an edit.
                    self.invalidate()
                    self.listening = True
                    idle_since = time.monotonic()
                    while not self._stopped.is_set():
                        for _ in conn.notifies(timeout=_POLL_SECONDS):
                            self.invalidate()
                        if time.monotonic() - idle_since > _HEARTBEAT_SECONDS:
                            conn.execute("SELECT 1")
                            idle_since = time.monotonic()
            except Exception:  # any failure: stop caching, reconnect after a pause
                pass
            finally:
                self.listening = False
                self.invalidate()
            self._stopped.wait(_RETRY_SECONDS)


def _libpq_dsn(app: Flask) -> str | None:
    """The database as a psycopg DSN when it is PostgreSQL through psycopg 3, else None."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _notify_catalog_change(session: Session, flush_context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, CATALOG_MODELS) for obj in changed):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"NOTIFY {CHANNEL}"))
    # This worker's own page goes at once (others hear the NOTIFY on commit); a
    # rollback afterwards only costs one extra render.
    cache = current_app.extensions.get("catalog_page") if has_app_context() else None
    if cache is not None:
        cache.invalidate()


def init_app(app: Flask) -> None:
    app.extensions["catalog_page"] = CatalogPageCache(
        _libpq_dsn(app) if app.config.get("CATALOG_PAGE_CACHE", True) else None)
    if not event.contains(Session, "after_flush", _notify_catalog_change):
        event.listen(Session, "after_flush", _notify_catalog_change)


def catalog_home() -> str:
    """The rendered catalog page `GET /` (from memory when it is current)."""
    def render() -> str:
        return render_template("catalog/home.html", products=active_products())

    if session.get("_flashes"):
        return render()
    cache: CatalogPageCache = current_app.extensions["catalog_page"]
    return cache.page(request.script_root, render)
