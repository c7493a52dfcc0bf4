"""NASL's operators on values, with C's typing rules (``nasl/exec.c``; nasl.md §2.3).

* ``+`` and ``-`` look at their operands: undef yields the other side, data wins over
  string, string over int; ``-`` on strings removes the first occurrence of the right side.
* Every other arithmetic or bitwise operator converts both sides with ``strtol``, warning
  about strings that are not wholly numeric, and computes in a C ``long``: results wrap
  to 64 bits, ``/`` and ``%`` truncate toward zero and give 0 for a zero divisor.
* ``>>`` and ``>>>`` keep 32 bits, as C stores their result in an ``int``; shift counts
  are masked as x86-64 masks them (6 bits, 5 for the 32-bit ``>>>``).
* Comparisons follow ``cell_cmp``: numbers when both sides are ints, bytes when either
  side is a string, undef as 0 or ``""``; an array compares "equal", with a warning.

Operations C cannot perform at all (arithmetic on an array, which recurses until C's stack
overflows) raise :class:`~ixion.nasl.runtime.values.OperandError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ixion.nasl.runtime.values import (
    NaslArray,
    NaslString,
    OperandError,
    Value,
    show,
    strtol,
    to_text,
    wrap32,
    wrap64,
)

__all__ = ["ARITHMETIC", "COMPARISONS", "add", "compare", "contains", "subtract", "to_int"]

Warn = Callable[[str], None]
_MASK32: Final = (1 << 32) - 1


def to_int(value: Value, warn: Warn | None = None) -> int:
    """C's ``cell2int`` (``cell2intW`` when ``warn`` is given): strings through ``strtol``."""
    if isinstance(value, int):
        return value
    if value is None:
        return 0
    if isinstance(value, NaslArray):
        raise OperandError("an array cannot be used as an integer")
    number, whole = strtol(value)
    if not whole and warn is not None:
        warn(f"converting the non-numeric string '{show(value)}' to an integer")
    return number


def _result_kind(a: Value, b: Value) -> type[bytes] | None:
    """The string type ``+``/``-`` produce, or None when both sides are ints."""
    if type(a) is bytes or type(b) is bytes:
        return bytes
    if isinstance(a, NaslString) or isinstance(b, NaslString):
        return NaslString
    if isinstance(a, NaslArray) and isinstance(b, NaslArray):
        return None
    if isinstance(a, NaslArray) or isinstance(b, NaslArray):
        raise OperandError("an array cannot be added to or subtracted from an integer")
    return None


def add(a: Value, b: Value) -> Value:
    """``a + b``: concatenation if either side is a string, else integer addition."""
    if b is None:
        return a
    if a is None:
        return b
    kind = _result_kind(a, b)
    if kind is None:
        if isinstance(a, int) and isinstance(b, int):
            return wrap64(a + b)
        return None  # two arrays: C's "NODE_EMPTY" result
    return kind(_text(a) + _text(b))


def subtract(a: Value, b: Value) -> Value:
    """``a - b``: integer subtraction, or the left string without the right one's first copy."""
    if b is None:
        return a
    if a is None:
        return wrap64(-b) if isinstance(b, int) else None
    kind = _result_kind(a, b)
    if kind is None:
        if isinstance(a, int) and isinstance(b, int):
            return wrap64(a - b)
        return None
    left, right = _text(a), _text(b)
    at = left.find(right) if right else -1
    return kind(left if at < 0 else left[:at] + left[at + len(right) :])


def _text(value: Value) -> bytes:
    text = to_text(value)
    return b"" if text is None else text


def contains(needle: Value, haystack: Value) -> bool:
    """``needle >< haystack``: binary-safe substring test (C's ``memmem``)."""
    return _text(needle) in _text(haystack)


def compare(a: Value, b: Value, warn: Warn) -> int:
    """C's ``cell_cmp``: negative, zero or positive.

    Integers are compared by subtracting them in a C ``long``, so, as in C, two values more
    than 2**63 apart compare the wrong way round.
    """
    if isinstance(a, int) and isinstance(b, int):
        return wrap64(a - b)
    if a is None and b is None:
        return 0
    if isinstance(a, NaslArray) or isinstance(b, NaslArray):
        if a is None:
            return -1
        if b is None:
            return 1
        warn("comparing an array does not make sense; it is taken as equal")
        return 0
    if a is None:
        a = 0 if isinstance(b, int) else b""
    elif b is None:
        b = 0 if isinstance(a, int) else b""
    if isinstance(a, int) and isinstance(b, int):
        return wrap64(a - b)
    left, right = _text(a), _text(b)
    return (left > right) - (left < right)


def _divide(x: int, y: int) -> int:
    if y == 0:
        return 0
    quotient = abs(x) // abs(y)
    return wrap64(quotient if (x < 0) == (y < 0) else -quotient)


def _modulo(x: int, y: int) -> int:
    if y == 0:
        return 0
    remainder = abs(x) % abs(y)
    return -remainder if x < 0 else remainder


def _power(x: int, y: int) -> int:
    """C's ``expo``: a negative exponent gives 0, except for base 1."""
    if y < 0:
        return 1 if x == 1 else 0
    return wrap64(pow(x, y, 1 << 64))


#: ``op -> f(x, y)`` for the operators that convert both sides to integers first.
ARITHMETIC: Final[dict[str, Callable[[int, int], int]]] = {
    "*": lambda x, y: wrap64(x * y),
    "/": _divide,
    "%": _modulo,
    "**": _power,
    "&": lambda x, y: x & y,
    "|": lambda x, y: x | y,
    "^": lambda x, y: x ^ y,
    "<<": lambda x, y: wrap64(x << (y & 63)),
    ">>": lambda x, y: wrap32(x >> (y & 63)),
    ">>>": lambda x, y: wrap32((x & _MASK32) >> (y & 31)),
}

#: ``op -> test`` on the result of :func:`compare`.
COMPARISONS: Final[dict[str, Callable[[int], bool]]] = {
    "<": lambda c: c < 0,
    ">": lambda c: c > 0,
    "<=": lambda c: c <= 0,
    ">=": lambda c: c >= 0,
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
}
