"""Syntax trees back to NASL source, for the parser's round-trip property tests.

Expressions print two ways: fully parenthesised, where nothing depends on precedence, and
with the fewest parentheses the C grammar allows (nasl.md §2.2), where everything does. Both
must parse back to the tree they came from. The minimal printer is an independent statement
of the precedence rules: it knows levels and associativity, and two rules beyond the table:

* an assignment takes the rest of the expression, so it needs no parentheses only where
  nothing follows it (``rightmost``);
* a regex match may be the left operand of a comparison without parentheses (a C quirk).

Statements print faithfully; the generator never builds a dangling ``else`` (see
``open_if``), which C, and so our parser, would attach to the inner ``if``.
"""

from __future__ import annotations

from collections.abc import Callable

from ixion.nasl.syntax import ast

QUOTE = '"'

_LEVELS: dict[str, int] = {
    **dict.fromkeys(["||"], 2),
    **dict.fromkeys(["&&"], 3),
    **dict.fromkeys(["<", ">", "==", "!=", ">=", "<=", "><", ">!<"], 4),
    **dict.fromkeys(["|"], 5),
    **dict.fromkeys(["^"], 6),
    **dict.fromkeys(["&"], 7),
    **dict.fromkeys(["<<", ">>", ">>>"], 8),
    **dict.fromkeys(["+", "-"], 9),
    **dict.fromkeys(["*", "/", "%"], 10),
    **dict.fromkeys(["**"], 13),
}
_COMPARE, _SHIFT, _POWER = 4, 8, 13
_ATOM = 20


def level(node: ast.Expr) -> int:
    match node:
        case ast.Binary(op=op):
            return _LEVELS[op]
        case ast.RegexMatch():
            return _COMPARE
        case ast.Unary(op="!"):
            return 11
        case ast.Unary():
            return 12
        case ast.Assign():
            return 1
    return _ATOM


def _literal(value: bytes, quote: str) -> str:
    return quote + value.decode("ascii") + quote


def _leaf(node: ast.Expr) -> str | None:
    """Text of the literals and variables, which print the same in both styles."""
    match node:
        case ast.Integer(value=value):
            return str(value)
        case ast.String(value=value):
            return _literal(value, QUOTE)
        case ast.Data(value=value):
            return _literal(value, "'")
        case ast.Variable(name=name):
            return name
    return None


def full(node: ast.Expr) -> str:
    """Every operation in parentheses."""
    leaf = _leaf(node)
    if leaf is not None:
        return leaf
    match node:
        case ast.Index(target=target, index=index):
            return f"{full(target)}[{full(index)}]"
        case ast.Call(name=name, args=args):
            return f"{name}({_arguments(args, full)})"
        case ast.IncDec(op=op, prefix=prefix, target=target):
            return f"({op}{full(target)})" if prefix else f"({full(target)}{op})"
        case ast.Unary(op=op, operand=operand):
            return f"({op} {full(operand)})"
        case ast.Binary(op=op, left=left, right=right):
            return f"({full(left)} {op} {full(right)})"
        case ast.RegexMatch(negated=negated, left=left, pattern=pattern):
            match_op = "!~" if negated else "=~"
            return f"({full(left)} {match_op} {_literal(pattern, QUOTE)})"
        case ast.Assign(op=op, target=target, value=value):
            return f"({full(target)} {op} {full(value)})"
    raise AssertionError(node)


def _arguments(args: tuple[ast.Argument, ...], text: Callable[[ast.Expr], str]) -> str:
    return ", ".join(
        text(a.value) if a.name is None else f"{a.name}: {text(a.value)}" for a in args
    )


def minimal(node: ast.Expr, rightmost: bool = True) -> str:
    """The fewest parentheses; ``rightmost``: nothing is printed after this expression."""
    leaf = _leaf(node)
    if leaf is not None:
        return leaf
    match node:
        case ast.Index(target=target, index=index):
            return f"{minimal(target)}[{minimal(index)}]"
        case ast.Call(name=name, args=args):
            return f"{name}({_arguments(args, minimal)})"
        case ast.IncDec(op=op, prefix=prefix, target=target):
            return f"{op}{minimal(target)}" if prefix else f"{minimal(target)}{op}"
        case ast.Unary(op=op, operand=operand):
            wrap = level(operand) < _POWER and not isinstance(operand, ast.Unary)
            return f"{op} {_operand(operand, wrap, rightmost)}"
        case ast.Assign(op=op, target=target, value=value):
            return f"{minimal(target)} {op} {minimal(value, rightmost)}"
        case ast.RegexMatch(negated=negated, left=left, pattern=pattern):
            wrap = level(left) <= _COMPARE and not isinstance(left, ast.RegexMatch)
            text = _operand(left, wrap, rightmost=False)
            match_op = "!~" if negated else "=~"
            return f"{text} {match_op} {_literal(pattern, QUOTE)}"
        case ast.Binary(op=op, left=left, right=right):
            here = _LEVELS[op]
            tight = here in (_COMPARE, _SHIFT, _POWER)  # same level on the left needs (...)
            quirk = here == _COMPARE and isinstance(left, ast.RegexMatch)
            left_wrap = not quirk and (level(left) < here or (level(left) == here and tight))
            right_wrap = not isinstance(right, ast.Unary) and (
                level(right) < here or (level(right) == here and here != _POWER)
            )
            left_text = _operand(left, left_wrap, rightmost=False)
            return f"{left_text} {op} {_operand(right, right_wrap, rightmost)}"
    raise AssertionError(node)


def _operand(node: ast.Expr, wrap: bool, rightmost: bool) -> str:
    if wrap or (isinstance(node, ast.Assign) and not rightmost):
        return f"({minimal(node)})"
    return minimal(node, rightmost)


def open_if(node: ast.Statement) -> bool:
    """Whether ``node`` ends with an ``if`` that an ``else`` printed after it would join."""
    match node:
        case ast.If(otherwise=None):
            return True
        case ast.If(otherwise=otherwise) if otherwise is not None:
            return open_if(otherwise)
        case ast.While(body=body) | ast.For(body=body) | ast.Foreach(body=body):
            return open_if(body)
    return False


def _declared(names: tuple[tuple[str, ast.Expr | None], ...]) -> str:
    return ", ".join(n if v is None else f"{n} = {minimal(v)}" for n, v in names)


def statement(node: ast.Statement) -> str:
    """One statement, on one line."""
    match node:
        case ast.ExprStatement(expr=expr):
            return minimal(expr) + ";"
        case ast.Empty():
            return ";"
        case ast.Block(body=body):
            return "{" + "".join(" " + statement(s) for s in body) + " }"
        case ast.If(condition=condition, then=then, otherwise=otherwise):
            tail = "" if otherwise is None else " else " + statement(otherwise)
            return f"if ({minimal(condition)}) {statement(then)}{tail}"
        case ast.While(condition=condition, body=body):
            return f"while ({minimal(condition)}) {statement(body)}"
        case ast.For(init=init, condition=condition, step=step, body=body):
            parts = [statement(p)[:-1] if p else "" for p in (init, step)]
            cond = "" if condition is None else minimal(condition)
            return f"for ({parts[0]}; {cond}; {parts[1]}) {statement(body)}"
        case ast.Repeat(body=body, until=until):
            return f"repeat {statement(body)} until {minimal(until)};"
        case ast.Foreach(name=name, iterable=iterable, body=body):
            return f"foreach {name} ({minimal(iterable)}) {statement(body)}"
        case ast.RepeatCall(call=call, count=count):
            return f"{minimal(call)} x {minimal(count)};"
        case ast.Return(value=value):
            return "return;" if value is None else f"return {minimal(value)};"
        case ast.Break():
            return "break;"
        case ast.Continue():
            return "continue;"
        case ast.LocalVar(names=names):
            return f"local_var {_declared(names)};"
        case ast.GlobalVar(names=names):
            return f"global_var {_declared(names)};"
        case ast.Include(path=path):
            return f"include({_literal(path, QUOTE)});"
        case ast.FunctionDef(name=name, params=params, body=body):
            return f"function {name}({', '.join(params)}) {statement(body)}"
    raise AssertionError(node)
