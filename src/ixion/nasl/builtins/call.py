"""The arguments of one built-in call, read the way C's built-ins read them.

C built-ins fetch their arguments by position or by name with a handful of helpers
(``get_int_var_by_num``, ``get_str_var_by_name``, ``get_var_size_by_num``...), each with its
own conversion and default. :class:`Call` offers the same three readings, keyed by
position (``int``) or name (``str``), so each built-in reads like its C counterpart:

* :meth:`Call.integer`: ints as they are, strings through ``atol`` (decimal only), undef
  and arrays give the default;
* :meth:`Call.text`: strings as they are, ints in decimal, arrays as C prints them, undef
  gives None;
* :meth:`Call.size`: the length of a string, 0 for anything else (C's ``get_var_size``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from ixion.nasl.values import Value, atol, to_text

if TYPE_CHECKING:
    from ixion.nasl.runtime import Runtime

__all__ = ["ArgKey", "Call"]

ArgKey: TypeAlias = "int | str"


class Call:
    """Positional and named arguments of a built-in call, and the run it happens in."""

    __slots__ = ("named", "positional", "rt")

    def __init__(self, rt: Runtime, positional: list[Value], named: dict[str, Value]) -> None:
        self.rt = rt
        self.positional = positional
        self.named = named

    def __getitem__(self, key: ArgKey) -> Value:
        """The argument, or undef if it was not given."""
        if isinstance(key, int):
            return self.positional[key] if key < len(self.positional) else None
        return self.named.get(key)

    def integer(self, key: ArgKey, default: int) -> int:
        value = self[key]
        if isinstance(value, int):
            return value
        return atol(value) if isinstance(value, bytes) else default

    def text(self, key: ArgKey) -> bytes | None:
        return to_text(self[key])

    def size(self, key: ArgKey) -> int:
        value = self[key]
        return len(value) if isinstance(value, bytes) else 0

    def warn(self, message: str) -> None:
        """A warning at the call's position."""
        self.rt.warn(message)
