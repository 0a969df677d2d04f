"""`flask db backup` / `db restore`: a consistent snapshot taken while the shop serves."""
import threading

from sqlalchemy import func, select

from giftshop import reports
from giftshop.desk import ledger
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Voucher
from tests.conftest import make_app
from tests.support.databases import fresh_database
from tests.support.factories import demo_paid_order


def _state():
    """Every voucher's remaining, every ledger row, per-voucher sums and the liability report."""
    remaining = dict(db.session.execute(select(Voucher.code, Voucher.remaining)).all())
    sums = dict(db.session.execute(
        select(Voucher.code, func.sum(LedgerEntry.delta))
        .join(LedgerEntry, LedgerEntry.voucher_id == Voucher.id).group_by(Voucher.code)).all())
    rows = {row[0]: tuple(row[1:]) for row in db.session.execute(
        select(LedgerEntry.id, LedgerEntry.voucher_id, LedgerEntry.kind, LedgerEntry.delta,
               LedgerEntry.balance_after)).all()}
    return remaining, sums, rows, reports.liability()


def _restored_state(backup_file, tmp_path, name):
    directory = tmp_path / name
    directory.mkdir()
    with fresh_database(directory) as url:
        restored = make_app(url, directory)
        result = restored.test_cli_runner().invoke(args=["db", "restore", str(backup_file)])
        assert result.exit_code == 0, result.output
        with restored.app_context():
            try:
                return _state()
            finally:
                db.session.remove()
                db.engine.dispose()


def _sell_and_redeem():
    codes = []
    for _ in range(3):
        codes += demo_paid_order(amount_cents=20_000, quantity=2)[1]
    codes += demo_paid_order(slug="pain-management-6-pack", quantity=2)[1]
    for code in codes[:6]:
        ledger.redeem(code, staff=None, amount_cents=2_500)
    ledger.redeem(codes[6], staff=None, sessions=2)
    return codes


def test_a_backup_taken_during_redemptions_restores_to_a_consistent_equal_shop(
        app, runner, tmp_path):
    with app.app_context():
        codes = _sell_and_redeem()
    stop = threading.Event()

    def redeem_steadily(code):
        with app.app_context():
            while not stop.is_set():
                ledger.redeem(code, staff=None, amount_cents=1)
            db.session.remove()

    threads = [threading.Thread(target=redeem_steadily, args=(c,)) for c in codes[:3]]
    for thread in threads:
        thread.start()
    busy_file = tmp_path / "busy.backup"
    try:
        result = runner.invoke(args=["db", "backup", str(busy_file)])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert result.exit_code == 0, result.output

    with app.app_context():
        live_remaining, live_sums, live_rows, live_liability = _state()
        db.session.remove()
    # Under load: the snapshot is one moment of the shop, every row exactly as it was then.
    remaining, sums, rows, liability = _restored_state(busy_file, tmp_path, "busy")
    assert remaining == sums and set(remaining) == set(live_remaining)
    assert all(live_rows[entry_id] == row for entry_id, row in rows.items())
    assert all(0 <= remaining[c] and live_remaining[c] <= remaining[c] for c in remaining)
    assert liability.total_cents >= live_liability.total_cents

    # Quiet: the restored copy equals the live shop in every voucher, sum and report figure.
    quiet_file = tmp_path / "quiet.backup"
    assert runner.invoke(args=["db", "backup", str(quiet_file)]).exit_code == 0
    assert _restored_state(quiet_file, tmp_path, "quiet") == (
        live_remaining, live_sums, live_rows, live_liability)


def test_restore_refuses_a_database_that_already_has_sales(app, runner, tmp_path):
    with app.app_context():
        demo_paid_order()
        codes_before = set(db.session.scalars(select(Voucher.code)))
        db.session.remove()
    backup_file = tmp_path / "shop.backup"
    assert runner.invoke(args=["db", "backup", str(backup_file)]).exit_code == 0
    result = runner.invoke(args=["db", "restore", str(backup_file)])
    assert result.exit_code != 0 and "not empty" in result.output
    missing = runner.invoke(args=["db", "restore", str(tmp_path / "nope.backup")])
    assert missing.exit_code != 0 and "No backup file" in missing.output
    with app.app_context():
        assert set(db.session.scalars(select(Voucher.code))) == codes_before
