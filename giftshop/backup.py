"""Backups the owner can run while the shop serves, and restore into an empty database.

SQLite: the online backup API copies the file page by page under SQLite's own
locking, so the snapshot is one consistent state even while redemptions commit.
PostgreSQL: `pg_dump --format=custom` reads everything in one repeatable-read
snapshot; `pg_restore` loads it. The password travels in PGPASSWORD, never on a
command line another user could read in `ps`.

Restore refuses a database that holds any row of the shop's tables: a restore
never merges into, or silently replaces, live sales.
"""
import os
import sqlite3
import subprocess

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from giftshop.errors import DomainError


class BackupError(DomainError):
    status = 409
    code = "backup_failed"


def backup(database_url: str, path: str) -> None:
    """Write a consistent snapshot of the database to `path` (replaced atomically)."""
    url = make_url(database_url)
    tmp = f"{path}.partial"
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(url.database, tmp)
    else:
        _run_pg(["pg_dump", "--format=custom", "--no-owner", "--file", tmp], url)
    os.replace(tmp, path)


def restore(database_url: str, path: str, table_names: list[str]) -> None:
    """Load the snapshot at `path` into the database, which must hold no shop rows.

    `table_names` are the shop's tables (the models' metadata); raises BackupError
    when one of them has a row, or when the file is missing.
    """
    if not os.path.isfile(path):
        raise BackupError(f"No backup file at {path}.")
    url = make_url(database_url)
    if not _is_empty(url, table_names):
        raise BackupError("The database is not empty: restore only into a new, empty database.")
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(path, url.database)
    else:
        _run_pg(["pg_restore", "--no-owner", "--clean", "--if-exists", "--exit-on-error",
                 "--single-transaction", path], url)


def _is_empty(url: URL, table_names: list[str]) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            # Names come from the models' metadata, never from input.
            return not any(
                conn.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first()
                for name in table_names if name in present)
    finally:
        engine.dispose()


def _sqlite_copy(source: str, target: str) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run_pg(command: list[str], url: URL) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [*command[:1], "--dbname", target, *command[1:]]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")
