"""JSON out and back in for the JSON-based reports (JSON, JSON Lines, SARIF).

Writing: the record's strings may hold lone surrogates, the stand-ins for bytes that were
not UTF-8 when an NBE file was read (``surrogateescape``). UTF-8 cannot encode them, and
``ensure_ascii`` would make every accented letter unreadable, so they alone are written as
``\\udcXX`` escapes, which Python's ``json`` reads back as the same stand-ins.

Reading: a report is outside input. :class:`JsonValues` checks every value's type as it is
taken and names where a bad one was (``hosts[2].findings[0].text``), so a reader never
meets a wrong type later and its error says what to fix.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_T = TypeVar("_T")

__all__ = ["JsonReportError", "JsonValues", "decode_json", "encode_json"]

_LONE_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")


class JsonReportError(ValueError):
    """A JSON or JSON Lines report that cannot be read back."""


def encode_json(value: object, *, indent: int | None = None) -> bytes:
    """``value`` as UTF-8 JSON, the same bytes for the same value.

    With no ``indent`` the text is one line: control characters and line ends inside
    strings are always escaped, which JSON Lines relies on.
    """
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def decode_json(data: bytes, where: str) -> JsonValues:
    """A JSON document from bytes.

    Raises:
        JsonReportError: the bytes are not UTF-8 JSON (or are nested past Python's limit).
    """
    try:
        text = data.decode("utf-8")
        value: object = json.loads(text, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise JsonReportError(f"{where}: not JSON: {exc}") from None
    return JsonValues(value, where)


def _no_constant(name: str) -> NoReturn:
    # NaN and Infinity are Python's extension; no report of ours holds them.
    raise ValueError(f"{name} is not JSON")


class JsonValues:
    """A parsed JSON value and where it sits in the document, read with type checks."""

    __slots__ = ("value", "where")

    def __init__(self, value: object, where: str) -> None:
        self.value = value
        self.where = where

    def fail(self, problem: str) -> NoReturn:
        raise JsonReportError(f"{self.where}: {problem}")

    def build(self, make: Callable[[], _T]) -> _T:
        """``make()``, a value the record refuses (its ValueError) reported at this place."""
        try:
            return make()
        except JsonReportError:
            raise
        except ValueError as exc:
            self.fail(str(exc))

    def get(self, key: str) -> JsonValues:
        """The member ``key`` of this object (missing: an error)."""
        members = self.members()
        if key not in members:
            self.fail(f"no {key!r}")
        return JsonValues(members[key], f"{self.where}.{key}")

    def optional(self, key: str) -> JsonValues | None:
        """The member ``key``, or None when it is absent or ``null``."""
        value = self.members().get(key)
        return None if value is None else JsonValues(value, f"{self.where}.{key}")

    def members(self) -> dict[str, object]:
        if not isinstance(self.value, dict):
            self.fail(f"expected an object, not {_kind(self.value)}")
        return self.value

    def items(self) -> Iterator[JsonValues]:
        """The elements of this array."""
        if not isinstance(self.value, list):
            self.fail(f"expected an array, not {_kind(self.value)}")
        for index, value in enumerate(self.value):
            yield JsonValues(value, f"{self.where}[{index}]")

    def string(self) -> str:
        if not isinstance(self.value, str):
            self.fail(f"expected a string, not {_kind(self.value)}")
        return self.value

    def integer(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            self.fail(f"expected an integer, not {_kind(self.value)}")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, not {_kind(self.value)}")
        return self.value

    def strings(self) -> tuple[str, ...]:
        return tuple(item.string() for item in self.items())


def _kind(value: object) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
