"""Front-desk ledger services: redeem, reverse, cash out, void — exact, idempotent, locked."""
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from giftshop.vouchers.lookup import find_by_code
from giftshop.desk import ledger
from giftshop.desk.staff import create_staff
from giftshop.errors import DomainError
from giftshop.extensions import db
from giftshop.models import AuditLog, LedgerEntry, Staff
from tests.support.auth import PASSWORD
from tests.support.factories import entry_count, make_voucher


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def desk_staff(ctx):
    return create_staff("desk@example.com", PASSWORD, role="staff")


@pytest.fixture
def owner(ctx):
    return create_staff("owner@example.com", PASSWORD, role="owner")


def refused(fn) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn()
    db.session.rollback()
    return info.value


def assert_ledger_sums(code: str) -> None:
    voucher = find_by_code(code)
    db.session.refresh(voucher)
    deltas = db.session.scalar(select(func.sum(LedgerEntry.delta))
                               .where(LedgerEntry.voucher_id == voucher.id,
                                      LedgerEntry.kind != "issue"))
    assert voucher.remaining == voucher.initial + (deltas or 0)


def test_redeeming_part_of_a_money_balance_leaves_the_rest(desk_staff):
    code = make_voucher("money", 10_000)
    outcome = ledger.redeem(code, staff=desk_staff, amount_cents=3_750, idempotency_key="k-1")
    assert outcome.created and outcome.voucher.remaining == 6_250
    assert (outcome.entry.kind, outcome.entry.delta, outcome.entry.balance_after) == (
        "redeem", -3_750, 6_250)
    assert outcome.entry.staff_id == desk_staff.id
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "voucher.redeem"))
    assert audit.actor == "desk@example.com"
    assert (audit.before["remaining"], audit.after["remaining"]) == (10_000, 6_250)


def test_redeeming_past_zero_is_refused(desk_staff):
    code = make_voucher("money", 2_500)
    error = refused(lambda: ledger.redeem(code, staff=desk_staff, amount_cents=2_501))
    assert (error.code, error.status) == ("insufficient_balance", 409)
    sessions = make_voucher("sessions", 1)
    ledger.redeem(sessions, staff=desk_staff, sessions=1)
    error = refused(lambda: ledger.redeem(sessions, staff=desk_staff, sessions=1))
    assert error.code == "no_sessions_left"
    assert entry_count(code) == 1 and find_by_code(code).remaining == 2_500


def test_bad_quantities_and_unknown_codes_are_refused(desk_staff):
    money, package = make_voucher("money"), make_voucher("sessions", 4)
    assert refused(lambda: ledger.redeem(money, staff=desk_staff, amount_cents=0)).status == 422
    assert refused(lambda: ledger.redeem(money, staff=desk_staff, sessions=1)).status == 422
    assert refused(lambda: ledger.redeem(package, staff=desk_staff, amount_cents=100)).status == 422
    assert refused(lambda: ledger.redeem(package, staff=desk_staff, sessions=True)).status == 422
    assert refused(lambda: ledger.redeem("WHM-0000-0000-0000", staff=desk_staff,
                                         sessions=1)).code == "unknown_code"
    assert refused(lambda: ledger.redeem("nonsense", staff=desk_staff, sessions=1)).status == 404


def test_codes_are_accepted_in_any_printed_form(desk_staff):
    code = make_voucher("sessions", 6)
    printed = f"whm-{code[:4]}-{code[4:8]}-{code[8:]}".lower()
    url = f"http://shop.test/v/WHM-{code[:4]}-{code[4:8]}-{code[8:]}"
    assert ledger.redeem(printed, staff=desk_staff, sessions=1).voucher.remaining == 5
    assert ledger.redeem(url, staff=desk_staff, sessions=2).voucher.remaining == 3


def test_a_repeated_idempotency_key_is_a_no_op(desk_staff):
    code = make_voucher("sessions", 6)
    first = ledger.redeem(code, staff=desk_staff, sessions=1, idempotency_key="double-tap")
    again = ledger.redeem(code, staff=desk_staff, sessions=1, idempotency_key="double-tap")
    assert again.entry.id == first.entry.id and not again.created
    assert find_by_code(code).remaining == 5 and entry_count(code) == 2
    reused = refused(lambda: ledger.redeem(code, staff=desk_staff, sessions=2,
                                           idempotency_key="double-tap"))
    assert reused.code == "idempotency_key_reused"


def test_a_reversal_gives_the_value_back_once(desk_staff):
    code = make_voucher("money", 10_000)
    redemption = ledger.redeem(code, staff=desk_staff, amount_cents=4_000).entry
    undo = ledger.reverse(redemption.id, staff=desk_staff)
    assert (undo.entry.kind, undo.entry.delta, undo.entry.reverses_id) == (
        "reverse", 4_000, redemption.id)
    assert undo.voucher.remaining == 10_000
    assert refused(lambda: ledger.reverse(redemption.id, staff=desk_staff)).code == \
        "already_reversed"
    assert refused(lambda: ledger.reverse(undo.entry.id, staff=desk_staff)).code == \
        "not_reversible"
    assert refused(lambda: ledger.reverse(999_999, staff=desk_staff)).status == 404
    assert_ledger_sums(code)


def test_staff_may_reverse_within_24_hours_and_the_owner_any_time(desk_staff, owner):
    code = make_voucher("sessions", 6)
    entry = ledger.redeem(code, staff=desk_staff, sessions=2).entry
    later = entry.created_at + timedelta(hours=24, minutes=1)
    error = refused(lambda: ledger.reverse(entry.id, staff=desk_staff, now=later))
    assert (error.code, error.status) == ("reversal_window_passed", 403)
    ok = ledger.reverse(entry.id, staff=desk_staff, now=entry.created_at + timedelta(hours=23))
    assert ok.voucher.remaining == 6
    second = ledger.redeem(code, staff=desk_staff, sessions=1).entry
    much_later = second.created_at + timedelta(days=400)
    assert ledger.reverse(second.id, staff=owner, now=much_later).voucher.remaining == 6


def test_small_balances_can_be_cashed_out_after_a_use(desk_staff):
    code = make_voucher("money", 5_000)
    assert refused(lambda: ledger.cash_out(code, staff=desk_staff)).code == "not_cashable"
    ledger.redeem(code, staff=desk_staff, amount_cents=4_501)
    outcome = ledger.cash_out(code, staff=desk_staff, idempotency_key="cash-1")
    assert (outcome.entry.kind, outcome.entry.delta, outcome.voucher.remaining) == (
        "cashout", -499, 0)
    assert ledger.cash_out(code, staff=desk_staff, idempotency_key="cash-1").entry.id == \
        outcome.entry.id
    assert refused(lambda: ledger.cash_out(code, staff=desk_staff)).code == "not_cashable"
    assert_ledger_sums(code)


def test_five_dollars_or_more_or_an_untouched_or_session_voucher_is_not_cashable(desk_staff):
    code = make_voucher("money", 10_000)
    ledger.redeem(code, staff=desk_staff, amount_cents=9_500)  # leaves exactly $5.00
    assert refused(lambda: ledger.cash_out(code, staff=desk_staff)).code == "not_cashable"
    reversed_only = make_voucher("money", 400)  # never used: a reversed redemption is no use
    entry = ledger.redeem(reversed_only, staff=desk_staff, amount_cents=100).entry
    ledger.reverse(entry.id, staff=desk_staff)
    assert refused(lambda: ledger.cash_out(reversed_only, staff=desk_staff)).code == \
        "not_cashable"
    package = make_voucher("sessions", 4)
    ledger.redeem(package, staff=desk_staff, sessions=3)
    assert refused(lambda: ledger.cash_out(package, staff=desk_staff)).code == "not_cashable"


def test_only_the_owner_voids_and_a_voided_voucher_takes_nothing_more(desk_staff, owner):
    code = make_voucher("money", 10_000)
    entry = ledger.redeem(code, staff=desk_staff, amount_cents=1_000).entry
    assert refused(lambda: ledger.void_voucher(code, staff=desk_staff, reason="x")).status == 403
    assert refused(lambda: ledger.void_voucher(code, staff=owner, reason="  ")).status == 422
    outcome = ledger.void_voucher(code, staff=owner, reason="Sold by mistake")
    assert (outcome.entry.kind, outcome.entry.delta, outcome.entry.note) == (
        "void", -9_000, "Sold by mistake")
    assert (outcome.voucher.status, outcome.voucher.remaining) == ("voided", 0)
    for attempt in (lambda: ledger.redeem(code, staff=owner, amount_cents=1),
                    lambda: ledger.reverse(entry.id, staff=owner),
                    lambda: ledger.cash_out(code, staff=owner),
                    lambda: ledger.void_voucher(code, staff=owner, reason="again")):
        error = refused(attempt)
        assert (error.code, error.status) == ("voided", 410)
    assert_ledger_sums(code)


def test_a_frozen_voucher_cannot_be_redeemed(desk_staff):
    code = make_voucher("sessions", 6)
    voucher = find_by_code(code)
    voucher.frozen = True
    db.session.commit()
    error = refused(lambda: ledger.redeem(code, staff=desk_staff, sessions=1))
    assert (error.code, error.status) == ("frozen", 409)


def test_remaining_always_equals_initial_plus_the_sum_of_entries(desk_staff, owner):
    code = make_voucher("money", 20_000)
    entries = [ledger.redeem(code, staff=desk_staff, amount_cents=cents).entry
               for cents in (1_234, 5_000, 99, 7_777)]
    ledger.reverse(entries[1].id, staff=desk_staff)
    ledger.reverse(entries[3].id, staff=owner)
    ledger.redeem(code, staff=desk_staff, amount_cents=10_000)
    voucher = find_by_code(code)
    assert voucher.remaining == 20_000 - 1_234 - 99 - 10_000
    assert_ledger_sums(code)
    rows = ledger.history(voucher)
    assert [r.balance_after for r in rows][-1] == voucher.remaining
    running = 0
    for row in rows:
        running += row.delta
        assert row.balance_after == running


# --- Concurrency: real threads, each with its own app context and session. ---

def _hammer(app, count: int, action) -> list[str]:
    """Run `action()` in `count` threads released together; return each result code."""
    barrier = threading.Barrier(count)
    results: list[str] = []
    lock = threading.Lock()

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                action()
                result = "ok"
            except DomainError as exc:
                db.session.rollback()
                result = exc.code
            finally:
                db.session.remove()
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _staff(staff_id: int) -> Staff:
    return db.session.get(Staff, staff_id)


@pytest.mark.postgresql_only
def test_fifty_desks_redeeming_one_of_six_sessions_succeed_exactly_six_times(app, desk_staff):
    code, staff_id = make_voucher("sessions", 6), desk_staff.id
    db.session.remove()
    results = _hammer(app, 50, lambda: ledger.redeem(code, staff=_staff(staff_id), sessions=1,
                                                     idempotency_key=str(uuid.uuid4())))
    assert results.count("ok") == 6
    assert results.count("no_sessions_left") == 44
    assert find_by_code(code).remaining == 0
    assert entry_count(code) == 7
    assert_ledger_sums(code)


@pytest.mark.postgresql_only
def test_forty_ten_dollar_redemptions_of_a_hundred_succeed_exactly_ten_times(app, desk_staff):
    code, staff_id = make_voucher("money", 10_000), desk_staff.id
    db.session.remove()
    results = _hammer(app, 40, lambda: ledger.redeem(code, staff=_staff(staff_id),
                                                     amount_cents=1_000))
    assert results.count("ok") == 10
    assert results.count("insufficient_balance") == 30
    assert find_by_code(code).remaining == 0
    assert_ledger_sums(code)


@pytest.mark.postgresql_only
def test_one_idempotency_key_sent_ten_times_at_once_writes_one_entry(app, desk_staff):
    code, staff_id = make_voucher("money", 10_000), desk_staff.id
    db.session.remove()
    ids: list[int] = []

    def redeem():
        ids.append(ledger.redeem(code, staff=_staff(staff_id), amount_cents=2_500,
                                 idempotency_key="same-key").entry.id)

    results = _hammer(app, 10, redeem)
    assert results == ["ok"] * 10 and len(set(ids)) == 1
    assert entry_count(code) == 2
    assert find_by_code(code).remaining == 7_500


@pytest.mark.postgresql_only
def test_concurrent_reversals_of_one_redemption_undo_it_once(app, desk_staff):
    code, staff_id = make_voucher("money", 10_000), desk_staff.id
    entry_id = ledger.redeem(code, staff=desk_staff, amount_cents=3_000).entry.id
    db.session.remove()
    results = _hammer(app, 8, lambda: ledger.reverse(entry_id, staff=_staff(staff_id)))
    assert results.count("ok") == 1 and results.count("already_reversed") == 7
    assert find_by_code(code).remaining == 10_000


def test_a_unique_key_race_is_answered_with_the_winners_entry(desk_staff, monkeypatch):
    """Simulates the twin that committed the same Idempotency-Key after our look-up:
    the insert hits the unique constraint, and the service answers with the winner."""
    code = make_voucher("sessions", 6)
    winner = ledger.redeem(code, staff=desk_staff, sessions=1, idempotency_key="race").entry
    real_lock = ledger.lock_voucher_with_key
    blind = {"calls": 0}

    def lock_without_seeing_the_key(normalized, key, **options):
        blind["calls"] += 1
        voucher, _ = real_lock(normalized, key, **options)
        return voucher, None  # as if the winner had not committed yet

    monkeypatch.setattr(ledger, "lock_voucher_with_key", lock_without_seeing_the_key)
    outcome = ledger.redeem(code, staff=desk_staff, sessions=1, idempotency_key="race")
    assert blind["calls"] == 1  # then the IntegrityError handler finds the winner
    assert outcome.entry.id == winner.id and not outcome.created
    assert find_by_code(code).remaining == 5 and entry_count(code) == 2


@pytest.mark.postgresql_only
def test_one_idempotency_key_with_different_amounts_at_once_takes_one_amount(app, desk_staff):
    code, staff_id = make_voucher("money", 10_000), desk_staff.id
    db.session.remove()
    amounts = iter(range(100, 1_100, 100))
    lock = threading.Lock()

    def redeem():
        with lock:
            amount = next(amounts)
        ledger.redeem(code, staff=_staff(staff_id), amount_cents=amount,
                      idempotency_key="same-key")

    results = _hammer(app, 10, redeem)
    # Only the winner's own amount was taken; every other amount is told so, as in
    # the sequential case, instead of being answered with the winner's entry.
    assert results.count("ok") == 1 and results.count("idempotency_key_reused") == 9
    assert entry_count(code) == 2


def test_a_unique_key_race_with_another_amount_is_refused_like_a_sequential_reuse(
        desk_staff, monkeypatch):
    code = make_voucher("money", 10_000)
    ledger.redeem(code, staff=desk_staff, amount_cents=1_000, idempotency_key="race")
    real_lock = ledger.lock_voucher_with_key

    def lock_without_seeing_the_key(normalized, key, **options):
        voucher, _ = real_lock(normalized, key, **options)
        return voucher, None  # as if the winner had not committed yet

    monkeypatch.setattr(ledger, "lock_voucher_with_key", lock_without_seeing_the_key)
    with pytest.raises(DomainError) as refused:
        ledger.redeem(code, staff=desk_staff, amount_cents=2_000, idempotency_key="race")
    assert refused.value.code == "idempotency_key_reused" and refused.value.status == 422
    assert find_by_code(code).remaining == 9_000 and entry_count(code) == 2


@pytest.mark.parametrize("attempt", ["overdraw", "bad_amount", "not_cashable", "void_by_staff"])
def test_a_refused_service_leaves_the_session_clean(desk_staff, attempt):
    """The one rule of who rolls back: the service, before its error leaves it (row
    lock released, nothing pending), so a view can render the refusal as it is."""
    code = make_voucher("money", 2_500)
    calls = {
        "overdraw": lambda: ledger.redeem(code, staff=desk_staff, amount_cents=2_501),
        "bad_amount": lambda: ledger.redeem(code, staff=desk_staff, amount_cents=-1),
        "not_cashable": lambda: ledger.cash_out(code, staff=desk_staff),
        "void_by_staff": lambda: ledger.void_voucher(code, staff=desk_staff, reason="x"),
    }
    with pytest.raises(DomainError):
        calls[attempt]()
    assert not db.session().in_transaction()
    assert entry_count(code) == 1
