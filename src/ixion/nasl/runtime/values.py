"""NASL values and the conversions between them, as the C interpreter does them (nasl.md §2.3).

A value is one of:

* ``int``: a C ``long``; every operation wraps it to signed 64 bits (:func:`wrap64`).
* :class:`NaslString`: a ``"..."`` string (C's ``CONST_STR``), a ``bytes`` subclass.
* ``bytes``: *data* (C's ``CONST_DATA``): ``'...'`` literals and what most built-ins return.
* :class:`NaslArray`: the one container, with an integer-indexed and a string-keyed part.
* ``None``: undef, NASL's ``NULL``.

Strings and data are both byte strings and compare equal; they stay distinct because
``string()``, ``typeof()`` and ``+`` treat them differently. Nothing here decodes text.

Rules of this module: values are never ``bool``; arrays are the only mutable values, and a
stored array belongs to exactly one variable or element (stores copy, :meth:`NaslArray.copy`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "NaslArray",
    "NaslString",
    "OperandError",
    "Value",
    "array_to_text",
    "atol",
    "c_string",
    "copy_value",
    "decimal",
    "show",
    "strtol",
    "to_text",
    "truthy",
    "type_name",
    "wrap32",
    "wrap64",
]

INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
INT32_MIN: Final = -(1 << 31)
INT32_MAX: Final = (1 << 31) - 1
_MASK64: Final = (1 << 64) - 1
_MASK32: Final = (1 << 32) - 1

#: The number of hash buckets of a C NASL array (``VAR_NAME_HASH``, nasl_var.h).
_BUCKETS: Final = 17


class NaslString(bytes):
    """A ``"..."`` string: bytes that ``string()`` and ``display()`` still un-escape."""

    __slots__ = ()


Key: TypeAlias = "int | bytes"
Value: TypeAlias = "int | bytes | NaslArray | None"


class OperandError(Exception):
    """An operation C cannot perform on these operands (the evaluator adds the position)."""


def wrap64(x: int) -> int:
    """``x`` as a C ``long`` on x86-64: two's complement, 64 bits."""
    x &= _MASK64
    return x - (1 << 64) if x >> 63 else x


def wrap32(x: int) -> int:
    """``x`` as a C ``int``: what ``>>``, ``>>>`` and ``++``/``--`` keep (nasl.md §2.3)."""
    x &= _MASK32
    return x - (1 << 32) if x >> 31 else x


def c_string(data: bytes) -> bytes:
    """What C sees of ``data`` through a ``char *``: everything before the first NUL."""
    end = data.find(b"\0")
    return data if end < 0 else data[:end]


def decimal(x: int) -> bytes:
    """``printf("%ld")``."""
    return str(x).encode()


def show(data: bytes) -> str:
    """``data`` for a diagnostic message: ASCII as is, other bytes escaped."""
    return data.decode("ascii", "backslashreplace")


#: What ``strtol`` reads: blanks, a sign, then digits of the base (0: C's literal forms).
_STRTOL: Final = {
    0: re.compile(rb"[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))"),
    10: re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)"),
}


def strtol(data: bytes, base: int = 0) -> tuple[int, bool]:
    """C ``strtol(s, &end, base)`` (base 0 or 10) on ``data`` as a C string.

    Also whether it used the whole string (C's ``*end == '\\0'``: an empty string counts, a
    string of blanks does not, since nothing was converted). Base 0 reads ``0x1A`` as hex
    and ``010`` as octal; out-of-range values clamp to the ``long`` limits, as glibc does.
    """
    text = c_string(data)
    match = _STRTOL[base].match(text)
    if match is None:
        return 0, not text
    sign, *digits = match.groups()
    if base == 10:
        value = int(digits[0])
    elif digits[0] is not None:
        value = int(digits[0], 16)
    else:
        value = int(digits[1] or digits[2], 8 if digits[1] else 10)
    value = -value if sign == b"-" else value
    return max(INT64_MIN, min(INT64_MAX, value)), match.end() == len(text)


def atol(data: bytes) -> int:
    """C ``atol``: decimal only, so ``int("0x10")`` is 0 (nasl.md §2.3)."""
    return strtol(data, 10)[0]


def truthy(value: Value) -> bool:
    """C's ``cell2bool``: the string ``"0"`` is TRUE, every array is TRUE."""
    if value is None:
        return False
    if isinstance(value, int):
        return value != 0
    if isinstance(value, NaslArray):
        return True
    return len(value) != 0


def type_name(value: Value) -> str:
    """The name ``typeof()`` returns."""
    if value is None:
        return "undef"
    if isinstance(value, int):
        return "int"
    if isinstance(value, NaslString):
        return "string"
    if isinstance(value, NaslArray):
        return "array"
    return "data"


def to_text(value: Value) -> bytes | None:
    """C's ``cell2str``/``var2str``: ints in decimal, arrays as ``[ 0: 1, k: 'v' ]``."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, int):
        return decimal(value)
    return array_to_text(value)


def array_to_text(array: NaslArray) -> bytes:
    """C's ``array2str``, used where an array meets a string operation."""
    parts: list[bytes] = []
    for key, value in array.entries():
        label = decimal(key) if isinstance(key, int) else key
        if isinstance(value, int):
            shown = decimal(value)
        elif isinstance(value, bytes):
            shown = b"'" + c_string(value) + (b"'..." if len(value) >= 64 else b"'")
        else:
            shown = b"????"
        parts.append(label + b": " + shown)
    return b"[ " + b", ".join(parts) + b" ]"


def copy_value(value: Value) -> Value:
    """The value a store keeps: arrays are copied (C's ``copy_array``), the rest shared."""
    return value.copy() if isinstance(value, NaslArray) else value


@lru_cache(maxsize=4096)
def _bucket(key: bytes) -> int:
    """C's ``hash_str2`` modulo 17: which hash chain a key lives in."""
    h = 0
    for byte in key:
        h = ((h << 3) + byte) & _MASK64
    return h % _BUCKETS


class NaslArray:
    """A NASL array: ``a[0]`` lives in the numeric part, ``a["k"]`` in the keyed part.

    Order, for ``foreach``, ``keys()``, ``make_list()`` and :func:`array_to_text`: numeric
    indexes ascending, then keys grouped by C's hash bucket (bucket 0 to 16, as C walks its
    17 chains). Inside one bucket C's order depends on how many times the array was copied
    (every copy reverses each chain); ixion uses insertion order there instead. Scripts
    whose keys fall in different buckets see exactly C's order.

    A key may hold several values: ``get_kb_list()`` and ``make_array()`` add one entry per
    value, and ``foreach`` must see each. C chains them like other keys, so what a script
    sees depends on copies again; ixion gives what C gives for the usual case, an array
    assigned to a variable once: ``a[k]`` is the value added first, and iteration yields
    a key's values from the last added to the first.
    """

    __slots__ = ("_extra", "_items", "_keyed")

    def __init__(self, items: Iterable[Value] = ()) -> None:
        self._items: list[Value] = list(items)
        self._keyed: dict[bytes, Value] = {}
        self._extra: dict[bytes, list[Value]] | None = None

    @classmethod
    def keyed(cls, pairs: Iterable[tuple[bytes, Value]]) -> NaslArray:
        """An array of ``pairs``, duplicates kept (``get_kb_list``, ``make_array``)."""
        array = cls()
        for key, value in pairs:
            array.add_key(key, value)
        return array

    def __len__(self) -> int:
        """Slots held, defined or not: what the ``max_array`` limit counts."""
        extra = sum(map(len, self._extra.values())) if self._extra else 0
        return len(self._items) + len(self._keyed) + extra

    def get_index(self, index: int) -> Value:
        return self._items[index] if index < len(self._items) else None

    def set_index(self, index: int, value: Value) -> None:
        items = self._items
        if index >= len(items):
            items.extend([None] * (index + 1 - len(items)))
        items[index] = value

    def get_key(self, key: bytes) -> Value:
        return self._keyed.get(key)

    def set_key(self, key: bytes, value: Value) -> None:
        self._keyed[key] = value

    def add_key(self, key: bytes, value: Value) -> None:
        """Add a value under ``key`` even if it already has one."""
        if key not in self._keyed:
            self._keyed[key] = value
        else:
            if self._extra is None:
                self._extra = {}
            self._extra.setdefault(key, []).append(value)

    def append(self, value: Value) -> None:
        self._items.append(value)

    def max_index(self) -> int:
        """The highest defined numeric index plus one (``max_index()``)."""
        items = self._items
        for index in range(len(items) - 1, -1, -1):
            if items[index] is not None:
                return index + 1
        return 0

    def entries(self) -> Iterator[tuple[Key, Value]]:
        """Defined ``(key, value)`` pairs in NASL's iteration order (see the class doc)."""
        for index, value in enumerate(self._items):
            if value is not None:
                yield index, value
        if not self._keyed:
            return
        extra = self._extra or {}
        for key in sorted(self._keyed, key=_bucket):
            for more in reversed(extra.get(key, ())):
                if more is not None:
                    yield key, more
            value = self._keyed[key]
            if value is not None:
                yield key, value

    def values(self) -> Iterator[Value]:
        return (value for _, value in self.entries())

    def copy(self) -> NaslArray:
        """A deep copy: NASL arrays are values, never shared (``copy_array``)."""
        new = NaslArray(copy_value(v) for v in self._items)
        new._keyed = {k: copy_value(v) for k, v in self._keyed.items()}
        if self._extra:
            new._extra = {k: [copy_value(v) for v in vs] for k, vs in self._extra.items()}
        return new

    def __repr__(self) -> str:
        return f"NaslArray({list(self.entries())!r})"
