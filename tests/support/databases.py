"""Throwaway databases: a SQLite file, or a PostgreSQL database created and dropped."""
import contextlib
import os
import uuid

from sqlalchemy import create_engine, text

BACKEND = os.environ.get("GIFTSHOP_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "GIFTSHOP_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def fresh_database(directory, backend: str = BACKEND):
    """Yield the URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/giftshop-{uuid.uuid4().hex[:8]}.sqlite3"
        return
    name = f"giftshop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
