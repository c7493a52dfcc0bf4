"""Operators on values: +/- typing, C integer arithmetic, comparisons (nasl.md §2.3)."""

from __future__ import annotations

import operator

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ixion.nasl.runtime.operators import (
    ARITHMETIC,
    COMPARISONS,
    add,
    compare,
    contains,
    subtract,
    to_int,
)
from ixion.nasl.runtime.values import (
    INT64_MAX,
    INT64_MIN,
    NaslArray,
    NaslString,
    OperandError,
    Value,
)

longs = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
texts = st.binary(max_size=8)


def no_warning(message: str) -> None:
    raise AssertionError(f"unexpected warning: {message}")


# --- integer arithmetic --------------------------------------------------------------------


@given(longs, longs, st.sampled_from(sorted(ARITHMETIC)))
def test_every_arithmetic_result_is_a_long(x: int, y: int, op: str) -> None:
    assert INT64_MIN <= ARITHMETIC[op](x, y) <= INT64_MAX


@given(longs, longs)
def test_division_truncates_toward_zero_and_keeps_c_identity(x: int, y: int) -> None:
    assume(y != 0 and not (x == INT64_MIN and y == -1))
    quotient, remainder = ARITHMETIC["/"](x, y), ARITHMETIC["%"](x, y)
    assert quotient * y + remainder == x
    assert abs(remainder) < abs(y)
    assert remainder == 0 or (remainder < 0) == (x < 0)


@given(longs)
def test_a_zero_divisor_gives_zero(x: int) -> None:
    assert ARITHMETIC["/"](x, 0) == 0
    assert ARITHMETIC["%"](x, 0) == 0


@given(longs, st.integers(min_value=0, max_value=63))
def test_right_shifts_keep_32_bits(x: int, count: int) -> None:
    assert -(1 << 31) <= ARITHMETIC[">>"](x, count) < 1 << 31
    assert -(1 << 31) <= ARITHMETIC[">>>"](x, count) < 1 << 31


@pytest.mark.parametrize(
    ("op", "x", "y", "expected"),
    [
        ("**", 2, 10, 1024),
        ("**", 2, -1, 0),
        ("**", 1, -7, 1),
        ("**", 2, 64, 0),
        ("**", -2, 3, -8),
        ("<<", 1, 63, INT64_MIN),
        ("<<", 1, 64, 1),
        (">>", -1, 1, -1),
        (">>", 1 << 32, 1, -(1 << 31)),
        (">>>", -1, 1, (1 << 31) - 1),
        (">>>", -16, 2, 0x3FFFFFFC),
        ("*", INT64_MAX, 2, -2),
        ("/", INT64_MIN, -1, INT64_MIN),
    ],
)
def test_arithmetic_corner_cases(op: str, x: int, y: int, expected: int) -> None:
    assert ARITHMETIC[op](x, y) == expected


def test_to_int_uses_strtol_and_warns_about_leftovers() -> None:
    warnings: list[str] = []
    assert to_int(NaslString(b"0x1A"), warnings.append) == 26
    assert to_int(b"12abc", warnings.append) == 12
    assert to_int(None, warnings.append) == 0
    assert warnings == ["converting the non-numeric string '12abc' to an integer"]
    with pytest.raises(OperandError):
        to_int(NaslArray())


# --- + and - -------------------------------------------------------------------------------


@given(longs, longs)
def test_adding_two_ints_wraps(x: int, y: int) -> None:
    result = add(x, y)
    assert isinstance(result, int)
    assert (result - (x + y)) % (1 << 64) == 0


@given(texts, texts)
def test_string_kinds_decide_the_type_of_a_concatenation(a: bytes, b: bytes) -> None:
    assert type(add(NaslString(a), NaslString(b))) is NaslString
    assert type(add(NaslString(a), b)) is bytes
    assert type(add(a, NaslString(b))) is bytes
    assert add(NaslString(a), b) == a + b


@given(longs, texts)
def test_an_int_is_printed_in_decimal_next_to_a_string(x: int, text: bytes) -> None:
    assert add(x, NaslString(text)) == NaslString(str(x).encode() + text)
    assert add(NaslString(text), x) == text + str(x).encode()


@given(st.one_of(longs, texts.map(NaslString), texts))
def test_undef_is_neutral_in_addition(value: Value) -> None:
    assert add(None, value) == value
    assert add(value, None) == value
    assert subtract(value, None) == value


def test_subtraction_removes_the_first_occurrence() -> None:
    assert subtract(NaslString(b"a-b-c"), NaslString(b"-")) == b"ab-c"
    assert type(subtract(NaslString(b"abc"), b"b")) is bytes
    assert subtract(NaslString(b"abc"), NaslString(b"")) == b"abc"
    assert subtract(None, 5) == -5
    assert subtract(None, NaslString(b"a")) is None
    assert subtract(13, NaslString(b"3")) == NaslString(b"1")


def test_arrays_and_integers_do_not_add() -> None:
    with pytest.raises(OperandError):
        add(NaslArray(), 1)
    assert add(NaslArray(), NaslArray()) is None
    assert add(NaslString(b"x"), NaslArray([1])) == b"x[ 0: 1 ]"


# --- comparisons ---------------------------------------------------------------------------


@given(longs, longs)
def test_ints_compare_by_subtraction_in_a_long(x: int, y: int) -> None:
    assume(INT64_MIN <= x - y <= INT64_MAX)
    for op, test in COMPARISONS.items():
        python = {"<": operator.lt, ">": operator.gt, "<=": operator.le}
        python |= {">=": operator.ge, "==": operator.eq, "!=": operator.ne}
        assert test(compare(x, y, no_warning)) is python[op](x, y)


@given(longs, texts)
def test_an_int_against_a_string_compares_as_text(x: int, text: bytes) -> None:
    decimal = str(x).encode()
    expected = (decimal > text) - (decimal < text)
    assert compare(x, NaslString(text), no_warning) == expected


def test_undef_compares_as_zero_or_empty_and_below_arrays() -> None:
    assert compare(None, 0, no_warning) == 0
    assert compare(None, b"", no_warning) == 0
    assert compare(None, None, no_warning) == 0
    assert compare(None, NaslArray(), no_warning) < 0
    assert compare(NaslArray(), None, no_warning) > 0


def test_arrays_compare_equal_with_a_warning() -> None:
    warnings: list[str] = []
    assert compare(NaslArray([1]), NaslArray([2]), warnings.append) == 0
    assert compare(NaslArray(), 5, warnings.append) == 0
    assert len(warnings) == 2


def test_the_c_overflow_of_cell_cmp_is_kept() -> None:
    assert compare(INT64_MIN, 1, no_warning) > 0


def test_substring_operator_is_binary_safe() -> None:
    assert contains(b"a\0b", b"xa\0by")
    assert contains(None, b"")
    assert contains(12, NaslString(b"a12"))
    assert not contains(b"abc", None)
