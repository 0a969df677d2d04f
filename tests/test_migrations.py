"""The committed Alembic revisions build the schema the models describe, both ways."""
import os
import re
import subprocess
import sys

from sqlalchemy import create_engine, inspect

from giftshop.extensions import db
from giftshop.models import vocab
from giftshop.models.catalog import Design
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


# (table, constraint name, vocabulary): each CHECK the migrations made must admit
# exactly the members of the enum the models generate it from.
VOCABULARY_CHECKS = [
    ("order", "ck_order_status", vocab.OrderStatus),
    ("voucher", "ck_voucher_status", vocab.VoucherStatus),
    ("voucher", "ck_voucher_kind", vocab.Kind),
    ("product", "ck_product_kind", vocab.Kind),
    ("ledger_entry", "ck_ledger_entry_kind", vocab.LedgerKind),
    ("outbox_message", "ck_outbox_message_status", vocab.OutboxStatus),
    ("staff", "ck_staff_role", vocab.Role),
    ("voucher", "ck_voucher_design", Design),
    ("order_item", "ck_order_item_design", Design),
    ("design_choice", "ck_design_choice_slug", Design),
]


def test_migrated_checks_admit_exactly_each_vocabulary(app):
    """A member added to an enum without a migration (or a migration that drifts from
    the enum) fails here: the models' constraint and the database's must agree."""
    with app.app_context():
        inspector = inspect(db.engine)
        for table, name, vocabulary in VOCABULARY_CHECKS:
            checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
            assert name in checks, (table, name, sorted(checks))
            admitted = set(re.findall(r"'([^']*)'", checks[name]))
            assert admitted == set(vocab.values(vocabulary)), (name, admitted)
            model_check = next(c for c in db.metadata.tables[table].constraints
                               if c.name == name)
            assert set(re.findall(r"'([^']*)'", str(model_check.sqltext))) == admitted
