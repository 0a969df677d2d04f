"""The committed Alembic revisions build the schema the models describe, both ways."""
import os
import subprocess
import sys

from sqlalchemy import create_engine, inspect

from giftshop.extensions import db
from tests.support.databases import fresh_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def flask(url, *args):
    env = {**os.environ, "DATABASE_URL": url, "STRIPE_SECRET_KEY": "", "GIFTSHOP_ENV": "test"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "giftshop", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_upgrade_from_empty_then_check_then_downgrade_to_base(tmp_path):
    with fresh_database(tmp_path) as url:
        upgraded = flask(url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        check = flask(url, "db", "check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No new upgrade operations detected" in check.stdout + check.stderr
        down = flask(url, "db", "downgrade", "base")
        assert down.returncode == 0, down.stderr
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()


def test_seed_is_idempotent(runner, app):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and "0 product(s) created" in first.output  # the fixture seeded
    from giftshop.models import Product

    with app.app_context():
        assert db.session.query(Product).count() == 5
