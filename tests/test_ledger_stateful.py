"""A hypothesis state machine drives random redeem / reverse / cash-out / void / refund
sequences through the real services and checks the ledger's promises after every step."""
import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test)
from sqlalchemy import func, select

from giftshop.desk import ledger as desk
from giftshop.desk.staff import create_staff
from giftshop.errors import DomainError
from giftshop.extensions import db
from giftshop.models import LedgerEntry, Staff, Voucher
from giftshop.vouchers import lifecycle
from giftshop.vouchers.ledger import lock_voucher, record_entry
from giftshop.vouchers.service import issue_voucher
from tests.support.auth import PASSWORD


def make_machine(owner_id: int):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize(kind=st.sampled_from(["money", "sessions"]))
        def issue(self, kind):
            self.kind = kind
            self.initial = 10_000 if self.kind == "money" else 6
            voucher = issue_voucher(kind=self.kind, initial=self.initial,
                                    value_cents=10_000, service="60-min massage")
            db.session.commit()
            self.code, self.voucher_id = voucher.code, voucher.id
            self.expected = self.initial
            self.closed = False
            self.redemptions: list[tuple[int, int]] = []  # (entry id, amount)
            self.reversed: set[int] = set()

        @property
        def owner(self):
            return db.session.get(Staff, owner_id)

        def _try(self, fn):
            try:
                return fn()
            except DomainError as exc:
                db.session.rollback()
                return exc

        @rule(amount=st.integers(min_value=1, max_value=12_000))
        def redeem(self, amount):
            if self.kind == "sessions":
                amount = amount % 8 + 1
            kwargs = {"amount_cents": amount} if self.kind == "money" else {"sessions": amount}
            result = self._try(lambda: desk.redeem(self.code, staff=self.owner,
                                                   idempotency_key=str(uuid.uuid4()), **kwargs))
            if self.closed:
                assert isinstance(result, DomainError) and result.code in ("voided", "refunded")
            elif amount > self.expected:
                assert isinstance(result, DomainError)
                assert result.code in ("insufficient_balance", "no_sessions_left")
            else:
                assert not isinstance(result, DomainError), result
                self.expected -= amount
                self.redemptions.append((result.entry.id, amount))

        @rule(data=st.data())
        def reverse(self, data):
            if not self.redemptions:
                return
            entry_id, amount = data.draw(st.sampled_from(self.redemptions))
            result = self._try(lambda: desk.reverse(entry_id, staff=self.owner))
            if self.closed:
                assert isinstance(result, DomainError)
            elif entry_id in self.reversed:
                assert isinstance(result, DomainError) and result.code == "already_reversed"
            else:
                assert not isinstance(result, DomainError), result
                self.reversed.add(entry_id)
                self.expected += amount

        @rule()
        def cash_out(self):
            result = self._try(lambda: desk.cash_out(self.code, staff=self.owner))
            live = [e for e, _ in self.redemptions if e not in self.reversed]
            allowed = (not self.closed and self.kind == "money" and 0 < self.expected < 500
                       and bool(live))
            if allowed:
                assert not isinstance(result, DomainError), result
                self.expected = 0
            else:
                assert isinstance(result, DomainError)

        @rule()
        def void(self):
            result = self._try(lambda: desk.void_voucher(self.code, staff=self.owner,
                                                         reason="test"))
            if self.closed:
                assert isinstance(result, DomainError)
            else:
                assert not isinstance(result, DomainError), result
                self.expected, self.closed = 0, True

        @rule(amount=st.integers(min_value=1, max_value=12_000))
        def refund(self, amount):
            # As checkout.refunds takes value: under the row lock, closed when nothing is left.
            voucher = lock_voucher(self.voucher_id)
            result = self._try(lambda: record_entry(voucher, "refund", -amount))
            if self.closed or amount > self.expected:
                assert isinstance(result, DomainError)
                return
            assert not isinstance(result, DomainError), result
            self.expected -= amount
            if lifecycle.close_refunded(voucher):
                self.closed = True
            db.session.commit()

        @invariant()
        @precondition(lambda self: hasattr(self, "voucher_id"))
        def remaining_is_issued_plus_deltas_and_never_negative(self):
            db.session.expire_all()
            voucher = db.session.get(Voucher, self.voucher_id)
            total = db.session.scalar(select(func.sum(LedgerEntry.delta))
                                      .where(LedgerEntry.voucher_id == self.voucher_id))
            assert voucher.remaining == total == self.expected
            assert 0 <= voucher.remaining <= voucher.initial

    return LedgerMachine


def test_random_ledger_sequences_keep_remaining_equal_to_the_sum_of_entries(app):
    with app.app_context():
        owner = create_staff("owner@example.com", PASSWORD, role="owner")
        db.session.commit()
        machine = make_machine(owner.id)
        run_state_machine_as_test(machine, settings=settings(
            max_examples=25, stateful_step_count=15, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
