"""Knowledge-base built-ins (nasl.md §2.6), with ``get_kb_item``'s forking.

``get_kb_item(name)`` with several values forks the script, one run per value
(:mod:`ixion.nasl.runtime.forking`), newest value first: OpenVAS reads the KB's list of values
into a linked list by prepending (``redis2kbitem``) and forks down that list.
``get_kb_item(name, TRUE)`` (``single``) takes the newest value without forking, as
OpenVAS does. ``get_kb_list(pattern)`` never forks: it returns an array keyed by item name
with one entry per value, duplicate names included, built from the same newest-first list.
``get_kb_fresh_item()``, a classic Nessus built-in, reads the newest value without forking.

Writes take an int (a C ``int``: -1 is refused, as C refuses it) or a string; KB names
are Latin-1 ``str`` (:mod:`ixion.nasl.runtime.kb`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.runtime.values import NaslArray, Value, c_string, wrap32

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]


def _name(text: bytes) -> str:
    return c_string(text).decode("latin-1")


def _get_kb_item(call: Call) -> Value:
    name = call.text(0)
    if name is None:
        return None
    values = call.rt.kb_values(_name(name))
    if not values:
        return None
    if len(values) == 1 or call.integer(1, 0):
        return values[-1]
    return values[-1 - call.rt.fork(len(values))]


def _get_kb_fresh_item(call: Call) -> Value:
    name = call.text(0)
    if name is None:
        return None
    values = call.rt.kb_values(_name(name))
    return values[-1] if values else None


def _get_kb_list(call: Call) -> Value:
    pattern = call.text(0)
    if pattern is None:
        call.warn("usage: get_kb_list(<NameOfItem>)")
        return None
    name = _name(pattern)
    if "*" in name:
        items = call.rt.kb_matching(name)
    else:
        items = tuple((name, value) for value in call.rt.kb_values(name))
    if not items:
        return None
    return NaslArray.keyed(
        (key.encode("latin-1"), c_string(value) if isinstance(value, bytes) else value)
        for key, value in reversed(items)
    )


def _write(call: Call, *, replace: bool) -> Value:
    function = "replace_kb_item" if replace else "set_kb_item"
    name, value = call.text("name"), call["value"]
    if name is None:
        call.warn(f"{function}: the name is undef")
        return None
    if isinstance(value, int):
        number = wrap32(value)
        if number == -1:
            call.warn(f"{function}({_name(name)}): the value -1 is refused")
        else:
            call.rt.kb_write(_name(name), number, replace=replace)
        return None
    text = call.text("value")
    if text is None:
        call.warn(f"{function}({_name(name)}): the value is undef")
        return None
    size = call.size("value")
    call.rt.kb_write(_name(name), text[:size] if size else c_string(text), replace=replace)
    return None


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "get_kb_item": _get_kb_item,
    "get_kb_fresh_item": _get_kb_fresh_item,
    "get_kb_list": _get_kb_list,
    "set_kb_item": lambda call: _write(call, replace=False),
    "replace_kb_item": lambda call: _write(call, replace=True),
}
