"""Voucher codes: 60 random bits, printed in groups, typed back in any form."""
import math
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from giftshop.extensions import db
from giftshop.vouchers.codes import ALPHABET, LENGTH, format_code, generate_code, normalize_code
from giftshop.vouchers.service import issue_voucher, unique_code

codes = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)
PRINTED = re.compile(r"^WHM-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def test_codes_carry_at_least_60_bits_from_an_alphabet_without_lookalikes():
    assert len(set(ALPHABET)) == 32 and LENGTH * math.log2(len(ALPHABET)) >= 60
    assert not set("ILOU") & set(ALPHABET)


@given(codes)
def test_normalizing_the_printed_form_gives_the_code_back(code):
    printed = format_code(code)
    assert PRINTED.match(printed)
    assert normalize_code(printed) == code


@given(codes, st.sampled_from([" ", "-", "  ", "_", "."]), st.booleans())
def test_lower_case_and_any_separators_are_accepted(code, sep, with_prefix):
    groups = [code[i:i + 4] for i in range(0, LENGTH, 4)]
    typed = sep.join((["whm"] if with_prefix else []) + [g.lower() for g in groups])
    assert normalize_code(f"  {typed} ") == code


@given(codes, st.sampled_from("Oo"), st.sampled_from("IiLl"))
def test_lookalike_letters_map_back_to_digits(code, zero, one):
    # O for 0 and I or L for 1, as people copy codes off paper.
    typed = code.replace("0", zero).replace("1", one)
    assert normalize_code(typed) == code


@given(codes, st.sampled_from(["http://shop.test", "https://gifts.example.com/", "HTTP://X"]))
def test_a_scanned_qr_url_normalizes_to_its_code(code, base):
    assert normalize_code(f"{base.rstrip('/')}/v/{code}") == code
    assert normalize_code(f"{base.rstrip('/')}/v/{format_code(code)}?utm=1#x") == code


@settings(max_examples=500)
@given(st.text() | st.text(alphabet=string.printable + "ØΩ/-", max_size=40))
def test_random_garbage_never_crashes_and_gives_none_or_a_valid_code(text):
    result = normalize_code(text)
    assert result is None or (len(result) == LENGTH and set(result) <= set(ALPHABET))


def test_empty_and_near_miss_input_is_refused():
    assert normalize_code("") is None
    assert normalize_code("WHM-ABCD-EFGH-JKM") is None  # one short
    assert normalize_code("WHM-ABCD-EFGH-JKMNP") is None  # one long
    assert normalize_code("ABCD-EFGH-JKMU") is None  # U is not in the alphabet


def test_generated_codes_are_well_formed_and_do_not_repeat():
    seen = {generate_code() for _ in range(20_000)}
    assert len(seen) == 20_000
    assert all(normalize_code(format_code(c)) == c for c in list(seen)[:500])


def test_unique_code_avoids_codes_already_issued(app, monkeypatch):
    with app.app_context():
        taken = issue_voucher(kind="money", initial=5000, value_cents=5000).code
        db.session.commit()
        fresh = "Z" * LENGTH
        offered = iter([taken, taken, fresh])
        monkeypatch.setattr("giftshop.vouchers.service.generate_code", lambda: next(offered))
        assert unique_code() == fresh
