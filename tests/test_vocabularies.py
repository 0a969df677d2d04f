"""Every member of each vocabulary (giftshop/models/vocab.py) has its words on the pages,
and the sets the queries use are drawn from it."""
from giftshop.desk.presenter import KIND_LABELS
from giftshop.models import vocab
from giftshop.vouchers.lookup import PUBLIC_LABELS, STATUS_TEXT


def test_each_ledger_kind_has_a_label_for_the_desk_and_for_the_holder():
    assert set(KIND_LABELS) == set(vocab.values(vocab.LedgerKind))
    assert set(PUBLIC_LABELS) == set(vocab.values(vocab.LedgerKind))


def test_each_voucher_state_has_words_on_the_holder_page():
    # "expired" is worded with its date (lookup.status_text); every other state is here
    assert set(STATUS_TEXT) | {"expired"} == set(vocab.values(vocab.VoucherState))
    assert set(vocab.values(vocab.VoucherStatus)) <= set(vocab.values(vocab.VoucherState))


def test_the_query_sets_are_members_of_their_vocabulary():
    assert set(vocab.PAID_ORDER_STATUSES) | set(vocab.PAYABLE_ORDER_STATUSES) == set(
        vocab.OrderStatus)
    assert not set(vocab.PAID_ORDER_STATUSES) & set(vocab.PAYABLE_ORDER_STATUSES)
    assert set(vocab.FAILED_REFUND_STATUSES) < set(vocab.RefundStatus)
    assert set(vocab.REDEMPTION_KINDS) < set(vocab.LedgerKind)
    assert set(vocab.CLOSED_VOUCHER_STATUSES) == set(vocab.VoucherStatus) - {
        vocab.VoucherStatus.ACTIVE}


def test_a_member_is_the_stored_string_itself():
    assert vocab.OrderStatus.PAID == "paid" and str(vocab.LedgerKind.REDEEM) == "redeem"
    assert vocab.one_of("status", vocab.OutboxStatus) == (
        "status in ('pending', 'sent', 'failed', 'cancelled')")
