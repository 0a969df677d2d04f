"""Fixtures in the flaskr style: `app`, `client`, `runner`, on a real database.

GIFTSHOP_TEST_DB picks the backend for the whole run: `sqlite` (a file) or
`postgresql` (a database of its own created on GIFTSHOP_PG_ADMIN_URL's server and
dropped afterwards, so parallel runs never meet). The schema is built by the
committed Alembic migrations, once per run; every test starts from empty tables.
"""
import pytest
from sqlalchemy import text

from config import TestConfig
from giftshop import create_app
from giftshop.extensions import db
from tests.support.auth import STAFF_EMAIL, make_staff
from tests.support.databases import BACKEND, fresh_database
# Fixtures kept with the servers they run, offered to every test module from here.
from tests.support.live_server import live_server  # noqa: F401
from tests.support.localstripe_server import localstripe  # noqa: F401
from tests.support.smtp import smtp_server  # noqa: F401
from tests.support.stripe_stub import stripe_stub  # noqa: F401


def pytest_report_header(config):
    return f"giftshop database backend: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=f"PostgreSQL only (backend is {BACKEND})")
    for item in items:
        if BACKEND != "postgresql" and "postgresql_only" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: needs PostgreSQL row locks")
    config.addinivalue_line("markers", "browser: drives Debian's Chromium")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database(database_url, tmp_path_factory):
    """Run the committed migrations once; the schema every test uses."""
    from flask_migrate import upgrade

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def make_app(database_url, tmp_path, **overrides):
    overrides.setdefault("PDF_CACHE_DIR", str(tmp_path / "pdf-cache"))
    overrides.setdefault("INSTANCE_DIR", str(tmp_path))
    return create_app(TestConfig(SQLALCHEMY_DATABASE_URI=database_url, **overrides))


@pytest.fixture
def app_config():
    """Override per test module/test: `@pytest.mark.parametrize` or a redefined fixture."""
    return {}


@pytest.fixture
def app(migrated_database, tmp_path, app_config):
    app = make_app(migrated_database, tmp_path, **app_config)
    with app.app_context():
        _empty_tables()
        from giftshop.catalog.service import seed_catalog

        seed_catalog()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ledger_fixture(app):
    """The reports' hand-computed history (tests/support/factories.py: ledger_history)."""
    from tests.support.factories import ledger_history

    ledger_history(app)


@pytest.fixture
def staff(app):
    """A front-desk account, Dana (STAFF_EMAIL, PASSWORD); returns its id."""
    return make_staff(app, STAFF_EMAIL, "staff", name="Dana")
