"""The value model: C's integer conversions, truth, text forms and arrays.

Properties (hypothesis) pin the integer rules against their C definitions; examples pin
the corner cases nasl.md §2.3 names.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.nasl.runtime.values import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    NaslArray,
    NaslString,
    array_to_text,
    atol,
    c_string,
    copy_value,
    strtol,
    to_text,
    truthy,
    type_name,
    wrap32,
    wrap64,
)

any_int = st.integers(min_value=-(1 << 80), max_value=1 << 80)
longs = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)


# --- integers -----------------------------------------------------------------------------


@given(any_int)
def test_wrap64_keeps_the_low_64_bits_as_a_signed_long(x: int) -> None:
    wrapped = wrap64(x)
    assert INT64_MIN <= wrapped <= INT64_MAX
    assert (wrapped - x) % (1 << 64) == 0


@given(any_int)
def test_wrap32_keeps_the_low_32_bits_as_a_signed_int(x: int) -> None:
    wrapped = wrap32(x)
    assert INT32_MIN <= wrapped <= INT32_MAX
    assert (wrapped - x) % (1 << 32) == 0


@given(longs)
def test_strtol_reads_back_every_long_printed_in_decimal(x: int) -> None:
    assert strtol(str(x).encode()) == (x, True)
    assert atol(str(x).encode()) == x


@given(st.integers(min_value=0, max_value=INT64_MAX))
def test_strtol_base_0_reads_hex_and_octal(x: int) -> None:
    assert strtol(f"0x{x:x}".encode()) == (x, True)
    assert strtol(f"0{x:o}".encode()) == (x, True)


@given(st.integers(min_value=INT64_MAX + 1, max_value=1 << 90))
def test_strtol_clamps_out_of_range_values_like_glibc(x: int) -> None:
    assert strtol(str(x).encode()) == (INT64_MAX, True)
    assert strtol(f"-{x}".encode()) == (INT64_MIN, True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"12abc", (12, False)),
        (b"  \t7", (7, True)),
        (b"+5", (5, True)),
        (b"", (0, True)),
        (b"   ", (0, False)),
        (b"abc", (0, False)),
        (b"0x", (0, False)),
        (b"0xZ", (0, False)),
        (b"08", (0, False)),
        (b"1\x002", (1, True)),
    ],
)
def test_strtol_corner_cases(text: bytes, expected: tuple[int, bool]) -> None:
    assert strtol(text) == expected


def test_atol_is_decimal_only() -> None:
    assert atol(b"0x10") == 0
    assert atol(b"010") == 10
    assert atol(b" -42xyz") == -42


# --- truth, types, text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (0, False),
        (-1, True),
        (NaslString(b"0"), True),
        (b"0", True),
        (b"", False),
        (NaslString(b""), False),
        (NaslArray(), True),
    ],
)
def test_truth_follows_cell2bool(value: int | bytes | NaslArray | None, expected: bool) -> None:
    assert truthy(value) is expected


def test_type_names_are_typeofs() -> None:
    names = [type_name(v) for v in (1, NaslString(b"s"), b"d", NaslArray(), None)]
    assert names == ["int", "string", "data", "array", "undef"]


def test_text_forms_follow_cell2str() -> None:
    assert to_text(-5) == b"-5"
    assert to_text(None) is None
    assert to_text(b"x\0y") == b"x\0y"
    assert c_string(b"x\0y") == b"x"


def test_array_text_is_array2str() -> None:
    array = NaslArray([1, b"ab", None, NaslArray()])
    array.set_key(b"k", b"x" * 64)
    assert array_to_text(array) == b"[ 0: 1, 1: 'ab', 3: ????, k: '" + b"x" * 64 + b"'... ]"
    assert array_to_text(NaslArray()) == b"[  ]"


# --- arrays -------------------------------------------------------------------------------


def test_numeric_part_grows_with_holes_and_max_index_ignores_trailing_undef() -> None:
    array = NaslArray()
    array.set_index(3, 7)
    array.set_index(5, None)
    assert array.get_index(3) == 7
    assert array.get_index(0) is None
    assert array.get_index(99) is None
    assert array.max_index() == 4
    assert list(array.entries()) == [(3, 7)]


def test_keys_come_after_indexes_in_hash_bucket_order() -> None:
    array = NaslArray()
    for key in (b"a", b"g", b"f"):  # buckets 12, 1, 0
        array.set_key(key, key.upper())
    array.append(b"first")
    assert [k for k, _ in array.entries()] == [0, b"f", b"g", b"a"]


def test_a_duplicate_key_reads_its_first_value_and_iterates_last_first() -> None:
    array = NaslArray.keyed([(b"k", 1), (b"k", 2), (b"k", 3)])
    assert array.get_key(b"k") == 1
    assert list(array.values()) == [3, 2, 1]
    assert len(array) == 3


def test_copies_are_deep() -> None:
    inner = NaslArray([1])
    outer = NaslArray([inner])
    outer.set_key(b"k", NaslArray.keyed([(b"d", 1), (b"d", 2)]))
    copy = copy_value(outer)
    assert isinstance(copy, NaslArray)
    nested = copy.get_index(0)
    assert isinstance(nested, NaslArray)
    nested.set_index(0, 99)
    assert inner.get_index(0) == 1
    keyed = copy.get_key(b"k")
    assert isinstance(keyed, NaslArray)
    assert list(keyed.values()) == [2, 1]
    assert copy_value(b"x") == b"x"


@given(st.lists(st.one_of(st.none(), st.integers()), max_size=20))
def test_values_are_the_defined_elements_in_index_order(items: list[int | None]) -> None:
    array = NaslArray(items)
    assert list(array.values()) == [v for v in items if v is not None]
    defined = [i for i, v in enumerate(items) if v is not None]
    assert array.max_index() == (defined[-1] + 1 if defined else 0)
