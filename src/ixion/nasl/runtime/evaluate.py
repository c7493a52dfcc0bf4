"""Expressions: one handler per node type, looked up in :data:`EXPRESSIONS`.

Handlers follow ``nasl_exec`` in ``nasl/exec.c`` and ``get_array_elem``/``nasl_affect`` in
``nasl/nasl_var.c`` (nasl.md §2.3): reading ``v[i]`` when ``v`` is undef makes ``v`` an
array, indexing a string gives one byte of data, stores copy arrays, and the odd cases C
only complains about (indexing an integer, a negative index, assigning into a string)
warn and yield undef. An assignment or ``++`` evaluates its target before its value, as C.

C's grammar indexes names only (``a[i]``); the tree also allows ``a[i][j]``, read and
written as the one-level case applied twice, and reading ``f()[i]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias

from ixion.nasl.runtime import calls
from ixion.nasl.runtime.operators import (
    ARITHMETIC,
    COMPARISONS,
    add,
    compare,
    contains,
    subtract,
    to_int,
)
from ixion.nasl.runtime.regex import RegexError, compile_ere
from ixion.nasl.runtime.values import (
    INT64_MAX,
    NaslArray,
    NaslString,
    OperandError,
    Value,
    atol,
    c_string,
    copy_value,
    to_text,
    truthy,
    type_name,
    wrap32,
    wrap64,
)
from ixion.nasl.syntax import ast

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Runtime

__all__ = ["EXPRESSIONS"]

ANON_ARGS: Final = "_FCT_ANON_ARGS"


class _VariableSlot(NamedTuple):
    """A store into a variable of some context."""

    scope: dict[str, Value]
    name: str

    def load(self) -> Value:
        return self.scope[self.name]

    def store(self, rt: Runtime, value: Value, pos: ast.Pos) -> None:
        self.scope[self.name] = copy_value(value)


class _ElementSlot(NamedTuple):
    """A store into an element of an array."""

    array: NaslArray
    key: int | bytes

    def load(self) -> Value:
        if isinstance(self.key, int):
            return self.array.get_index(self.key)
        return self.array.get_key(self.key)

    def store(self, rt: Runtime, value: Value, pos: ast.Pos) -> None:
        array, key = self
        if isinstance(key, int):
            rt.check_array(key + 1, pos)
            array.set_index(key, copy_value(value))
            return
        if array.get_key(key) is None:
            rt.check_array(len(array) + 1, pos)
        array.set_key(key, copy_value(value))


Slot: TypeAlias = "_VariableSlot | _ElementSlot"


def _int(rt: Runtime, value: Value, pos: ast.Pos) -> int:
    """``cell2intW``: an integer operand, warning about non-numeric strings."""
    if isinstance(value, int):
        return value
    return to_int(value, lambda message: rt.warn(message, pos))


def _variable(rt: Runtime, node: ast.Variable) -> Value:
    if node.name == ANON_ARGS:  # a copy of this context's positional arguments
        return NaslArray(copy_value(v) for v in rt.ctx.anon)
    return rt.ctx.read(node.name)


def _index(rt: Runtime, node: ast.Index) -> Value:
    target = node.target
    if isinstance(target, ast.Variable):
        index = rt.evaluate(node.index)  # C evaluates the index first
        if target.name == ANON_ARGS:
            return _anon_arg(rt, index)
        scope = rt.ctx.slot(target.name)
        container = scope[target.name]
        if container is None:
            container = scope[target.name] = NaslArray()
    else:
        container = rt.evaluate(target)
        index = rt.evaluate(node.index)
    return _element(rt, container, index, node.pos)


def _anon_arg(rt: Runtime, index: Value) -> Value:
    context = rt.ctx.function_context()
    if context is None or not isinstance(index, int | None):
        return None
    position = wrap32(index or 0)
    return context.anon[position] if 0 <= position < len(context.anon) else None


def _element(rt: Runtime, container: Value, index: Value, pos: ast.Pos) -> Value:
    if isinstance(container, NaslArray):
        key = _key(rt, index, pos)
        if isinstance(key, int):
            return container.get_index(key)
        return None if key is None else container.get_key(key)
    if isinstance(container, bytes):
        if not isinstance(index, int | None):
            rt.warn(f"a string cannot be indexed by {type_name(index)}", pos)
            return None
        position = wrap32(index or 0)
        if position < 0:
            rt.warn(f"negative index {position} into a string", pos)
            return None
        if position >= len(container):
            rt.warn(f"index {position} is past the end of the string ({len(container)})", pos)
            return b""
        return container[position : position + 1]
    if isinstance(container, int):
        rt.warn("an integer cannot be indexed", pos)
    return None


def _key(rt: Runtime, index: Value, pos: ast.Pos) -> int | bytes | None:
    """An array subscript as C uses it: undef is 0, ints are C ints, strings end at NUL."""
    if index is None:
        return 0
    if isinstance(index, int):
        position = wrap32(index)
        if position >= 0:
            return position
        rt.warn(f"negative index {position} into an array", pos)
        return None
    if isinstance(index, bytes):
        return c_string(index)
    rt.warn("an array cannot be used as an index", pos)
    return None


def _lvalue(rt: Runtime, target: ast.Variable | ast.Index) -> Slot | None:
    """Where a store to ``target`` goes, or None (after a warning) if it cannot."""
    if isinstance(target, ast.Variable):
        return _VariableSlot(rt.ctx.slot(target.name), target.name)
    index = rt.evaluate(target.index)
    array = _array_for_store(rt, target.target, target.pos)
    key = _key(rt, index, target.pos) if array is not None else None
    return None if array is None or key is None else _ElementSlot(array, key)


def _array_for_store(rt: Runtime, target: ast.Expr, pos: ast.Pos) -> NaslArray | None:
    """The array an element store writes into; undef becomes a new array."""
    if isinstance(target, ast.Variable) and target.name != ANON_ARGS:
        slot: Slot | None = _VariableSlot(rt.ctx.slot(target.name), target.name)
    elif isinstance(target, ast.Index):
        slot = _lvalue(rt, target)
    else:
        rt.warn("this expression cannot be assigned to", pos)
        return None
    if slot is None:
        return None
    value = slot.load()
    if value is None:
        slot.store(rt, NaslArray(), pos)
        value = slot.load()
    if isinstance(value, NaslArray):
        return value
    rt.warn(f"cannot assign an element of {type_name(value)}", pos)
    return None


def _assign(rt: Runtime, node: ast.Assign) -> Value:
    slot = _lvalue(rt, node.target)
    value = rt.evaluate(node.value)
    if node.op != "=":
        current = slot.load() if slot is not None else None
        value = _apply(rt, node.op[:-1], current, value, node.pos)
    if slot is not None:
        slot.store(rt, value, node.pos)
    return value


def _incdec(rt: Runtime, node: ast.IncDec) -> Value:
    """C's ``nasl_incr_variable``: the variable becomes a C ``int``; strings go via atoi."""
    slot = _lvalue(rt, node.target)
    if slot is None:
        return None
    old = slot.load()
    if isinstance(old, NaslArray):
        rt.warn("an array cannot be incremented or decremented", node.pos)
        return None
    before = wrap32(atol(old) if isinstance(old, bytes) else old or 0)
    after = wrap32(before + (1 if node.op == "++" else -1))
    slot.store(rt, after, node.pos)
    return after if node.prefix else before


def _unary(rt: Runtime, node: ast.Unary) -> Value:
    operand = rt.evaluate(node.operand)
    if node.op == "!":
        return int(not truthy(operand))
    try:
        number = _int(rt, operand, node.pos)
    except OperandError as err:
        raise rt.error(str(err), node.pos) from None
    return wrap64(-number) if node.op == "-" else ~number


def _binary(rt: Runtime, node: ast.Binary) -> Value:
    op = node.op
    if op == "&&":
        return int(truthy(rt.evaluate(node.left)) and truthy(rt.evaluate(node.right)))
    if op == "||":
        return int(truthy(rt.evaluate(node.left)) or truthy(rt.evaluate(node.right)))
    left = rt.evaluate(node.left)
    right = rt.evaluate(node.right)
    return _apply(rt, op, left, right, node.pos)


def _apply(rt: Runtime, op: str, left: Value, right: Value, pos: ast.Pos) -> Value:
    try:
        if op in ARITHMETIC:
            return ARITHMETIC[op](_int(rt, left, pos), _int(rt, right, pos))
        if op == "+":
            result = add(left, right)
        elif op == "-":
            result = subtract(left, right)
        elif op in COMPARISONS:
            return int(COMPARISONS[op](compare(left, right, lambda m: rt.warn(m, pos))))
        else:  # "><" / ">!<"
            return int(contains(left, right) == (op == "><"))
    except OperandError as err:
        raise rt.error(str(err), pos) from None
    return rt.check_string(result, pos) if isinstance(result, bytes) else result


def _regex_match(rt: Runtime, node: ast.RegexMatch) -> Value:
    """``=~`` / ``!~``: case-insensitive ERE search; undef on the left gives undef, as C."""
    text = to_text(rt.evaluate(node.left))
    if text is None:
        return None
    try:
        pattern = compile_ere(node.pattern, icase=True)
    except RegexError as err:
        raise rt.error(f"cannot compile regex: {err}", node.pos) from None
    return int((rt.search(pattern, c_string(text), pos=node.pos) is None) == node.negated)


def _array_literal(rt: Runtime, node: ast.ArrayLiteral) -> Value:
    array = NaslArray()
    for item in node.items:
        value = rt.evaluate(item.value)
        if item.key is None:
            array.append(copy_value(value))
            continue
        key = _key(rt, rt.evaluate(item.key), item.pos)
        if key is not None:
            _ElementSlot(array, key).store(rt, value, item.pos)
    return array


EXPRESSIONS: Final[dict[type, Callable[[Runtime, Any], Value]]] = {
    ast.Integer: lambda rt, node: node.value if node.value <= INT64_MAX else wrap64(node.value),
    ast.String: lambda rt, node: NaslString(node.value),
    ast.Data: lambda rt, node: node.value,
    ast.ArrayLiteral: _array_literal,
    ast.Variable: _variable,
    ast.Index: _index,
    ast.Call: calls.call,
    ast.Unary: _unary,
    ast.Binary: _binary,
    ast.RegexMatch: _regex_match,
    ast.Assign: _assign,
    ast.IncDec: _incdec,
}
