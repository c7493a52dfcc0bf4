"""Built-ins about values themselves: types, arrays, functions, ``exit`` (nasl.md §6.2 T1).

Behaviour follows ``nasl/nasl_misc_funcs.c``: ``make_list()`` flattens array arguments one
level and skips undef ones with a warning; ``make_array()`` takes key/value pairs, an
integer key addressing the numeric part; ``keys()`` lists numeric indexes then string keys
(as strings); ``sort()`` orders with the comparison operators' rules.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import TYPE_CHECKING, Final

from ixion.nasl.runtime.control import ExitScript
from ixion.nasl.runtime.operators import compare
from ixion.nasl.runtime.values import (
    NaslArray,
    NaslString,
    Value,
    c_string,
    copy_value,
    type_name,
    wrap32,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]


def _isnull(call: Call) -> Value:
    return int(call[0] is None)


def _typeof(call: Call) -> Value:
    # C answers "null" when there is no positional argument at all.
    return type_name(call[0]).encode() if call.positional else b"null"


def _int(call: Call) -> Value:
    return call.integer(0, 0)


def _make_list(call: Call) -> NaslArray:
    result = NaslArray()
    for number, value in enumerate(call.positional):
        if value is None:
            call.warn(f"make_list: undefined argument #{number} skipped")
        elif isinstance(value, NaslArray):
            for element in value.values():
                result.append(copy_value(element))
        else:
            result.append(value)
    return result


def _make_array(call: Call) -> Value:
    result = NaslArray()
    values = call.positional
    if len(values) % 2:
        call.warn(f"make_array: odd number ({len(values)}) of arguments")
    for number in range(0, len(values) - 1, 2):
        key, value = values[number], values[number + 1]
        if value is None or isinstance(value, NaslArray):
            call.warn(f"make_array: bad value type {type_name(value)} for argument #{number + 1}")
        elif isinstance(key, int):
            index = wrap32(key)
            if index < 0:
                call.warn(f"make_array: negative index {index} skipped")
                continue
            call.rt.check_array(index + 1)
            result.set_index(index, value)
        elif isinstance(key, bytes):
            result.add_key(c_string(key), value)
    return result


def _keys(call: Call) -> Value:
    result = NaslArray()
    for number, value in enumerate(call.positional):
        if not isinstance(value, NaslArray):
            call.warn(f"keys: argument #{number} is not an array")
            continue
        for key, _ in value.entries():
            result.append(key if isinstance(key, int) else NaslString(key))
    return result


def _max_index(call: Call) -> Value:
    array = call[0]
    return array.max_index() if isinstance(array, NaslArray) else None


def _sort(call: Call) -> Value:
    elements = list(_make_list(call).values())
    rt = call.rt

    def order(a: Value, b: Value) -> int:
        return compare(a, b, rt.warn)

    elements.sort(key=cmp_to_key(order))
    return NaslArray(elements)


def _defined_func(call: Call) -> Value:
    name = call.text(0)
    if name is None:
        call.warn("defined_func: missing parameter")
        return None
    return int(call.rt.function_exists(name.decode("latin-1")))


def _exit(call: Call) -> Value:
    raise ExitScript(wrap32(call.integer(0, 0)))


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "isnull": _isnull,
    "typeof": _typeof,
    "int": _int,
    "make_list": _make_list,
    "make_array": _make_array,
    "keys": _keys,
    "max_index": _max_index,
    "sort": _sort,
    "defined_func": _defined_func,
    "exit": _exit,
}
