"""Syntax trees as short, position-free text, so parser tests can state whole trees.

``show(parse(b"x = -2 ** 2;"))`` is ``(= x (- (** 2 2)));``. Operators are prefix
s-expressions; calls, indexes and literals look like NASL (``f(1, a: 2)``, ``a[i]``,
``"str"``, ``'data'``); statements end with ``;`` or are s-expressions of their keyword.
Positions are left out: the tests that are about them compare nodes directly.
"""

from __future__ import annotations

from ixion.nasl.syntax import ast

QUOTE = '"'


def _bytes(value: bytes, quote: str) -> str:
    text = value.decode("latin-1").encode("unicode_escape").decode("ascii")
    return quote + text.replace(quote, "\\" + quote) + quote


def _optional(node: ast.Node | None) -> str:
    return "_" if node is None else show(node)


def _declared(names: tuple[tuple[str, ast.Expr | None], ...]) -> str:
    return " ".join(name if value is None else f"{name}={show(value)}" for name, value in names)


def show(node: ast.Node) -> str:
    """The text of a node and everything under it."""
    match node:
        case ast.Integer(value=value):
            return str(value)
        case ast.String(value=value):
            return _bytes(value, QUOTE)
        case ast.Data(value=value):
            return _bytes(value, "'")
        case ast.Variable(name=name):
            return name
        case ast.Index(target=target, index=index):
            return f"{show(target)}[{show(index)}]"
        case ast.Call(name=name, args=args):
            shown = (
                show(a.value) if a.name is None else f"{a.name}: {show(a.value)}" for a in args
            )
            return f"{name}({', '.join(shown)})"
        case ast.ArrayLiteral(items=items):
            shown = (
                show(i.value) if i.key is None else f"{show(i.key)} => {show(i.value)}"
                for i in items
            )
            return f"[{', '.join(shown)}]"
        case ast.Unary(op=op, operand=operand):
            return f"({op} {show(operand)})"
        case ast.Binary(op=op, left=left, right=right):
            return f"({op} {show(left)} {show(right)})"
        case ast.RegexMatch(negated=negated, left=left, pattern=pattern):
            match_op = "!~" if negated else "=~"
            return f"({match_op} {show(left)} {_bytes(pattern, QUOTE)})"
        case ast.Assign(op=op, target=target, value=value):
            return f"({op} {show(target)} {show(value)})"
        case ast.IncDec(op=op, prefix=prefix, target=target):
            return f"({op}{show(target)})" if prefix else f"({show(target)}{op})"
        case ast.ExprStatement(expr=expr):
            return show(expr) + ";"
        case ast.Empty():
            return ";"
        case ast.Block(body=body):
            return "{" + "".join(" " + show(s) for s in body) + " }"
        case ast.If(condition=condition, then=then, otherwise=otherwise):
            tail = "" if otherwise is None else " " + show(otherwise)
            return f"(if {show(condition)} {show(then)}{tail})"
        case ast.While(condition=condition, body=body):
            return f"(while {show(condition)} {show(body)})"
        case ast.For(init=init, condition=condition, step=step, body=body):
            parts = (_optional(init), _optional(condition), _optional(step), show(body))
            return f"(for {' '.join(parts)})"
        case ast.Repeat(body=body, until=until):
            return f"(repeat {show(body)} {show(until)})"
        case ast.Foreach(name=name, iterable=iterable, body=body):
            return f"(foreach {name} {show(iterable)} {show(body)})"
        case ast.RepeatCall(call=call, count=count):
            return f"(x {show(call)} {show(count)})"
        case ast.Return(value=value):
            return "(return)" if value is None else f"(return {show(value)})"
        case ast.Break():
            return "(break)"
        case ast.Continue():
            return "(continue)"
        case ast.LocalVar(names=names):
            return f"(local_var {_declared(names)})".replace(" )", ")")
        case ast.GlobalVar(names=names):
            return f"(global_var {_declared(names)})".replace(" )", ")")
        case ast.Include(path=path):
            return f"(include {_bytes(path, QUOTE)})"
        case ast.FunctionDef(name=name, params=params, body=body):
            return f"(function {name}({', '.join(params)}) {show(body)})"
        case ast.Program(body=body):
            return " ".join(show(s) for s in body)
    raise AssertionError(f"no text for {node!r}")
