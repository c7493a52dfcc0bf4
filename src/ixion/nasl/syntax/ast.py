"""The NASL syntax tree: immutable nodes that carry where they came from.

The parser builds these and nothing changes them afterwards, so a parsed file can be cached
and shared by every run of every script that includes it. Each node keeps the line and column
of its first token: run-time errors name the file, the line and the column, and the tracer
(``ixion-nasl -T``) prints them.

The tree is close to NASL's grammar (nasl.md §2.2) rather than to its meaning: ``x = 1`` is an
:class:`Assign` whether ``x`` is local or global, and ``f(a: 1)`` is a :class:`Call` whether
``f`` is a user function or a built-in. Deciding that is the interpreter's job, at run time, as
in the C interpreter (functions are registered when their declaration executes).

Strings are ``bytes``: NASL strings are byte strings, and plugins put binary protocol data in
them. The two literal kinds stay distinct (:class:`String` for ``"..."``, :class:`Data` for
``'...'``) because they behave differently (nasl.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Argument",
    "ArrayItem",
    "ArrayLiteral",
    "Assign",
    "AssignOp",
    "Binary",
    "BinaryOp",
    "Block",
    "Break",
    "Call",
    "Continue",
    "Data",
    "Empty",
    "Expr",
    "ExprStatement",
    "For",
    "Foreach",
    "FunctionDef",
    "GlobalVar",
    "If",
    "IncDec",
    "Include",
    "Index",
    "Integer",
    "LocalVar",
    "Node",
    "Pos",
    "Program",
    "RegexMatch",
    "Repeat",
    "RepeatCall",
    "Return",
    "Statement",
    "String",
    "Unary",
    "UnaryOp",
    "Variable",
    "While",
]


@dataclass(frozen=True, slots=True)
class Pos:
    """Where a node starts: 1-based line and column (columns count bytes)."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Node:
    pos: Pos


# --- expressions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Integer(Node):
    """A decimal, hex (``0x1F``) or octal (``017``) literal; never negative."""

    value: int


@dataclass(frozen=True, slots=True)
class String(Node):
    """A ``"..."`` literal: the bytes between the quotes, verbatim (no escapes).

    The IP literal ``192.168.0.1`` is also a String (its dotted text), as in C.
    """

    value: bytes


@dataclass(frozen=True, slots=True)
class Data(Node):
    """A ``'...'`` literal with its escapes already decoded by the lexer."""

    value: bytes


@dataclass(frozen=True, slots=True)
class ArrayItem(Node):
    """One element of an array literal: ``value`` or ``key => value``."""

    key: Expr | None
    value: Expr


@dataclass(frozen=True, slots=True)
class ArrayLiteral(Node):
    """``[a, "k" => b]``."""

    items: tuple[ArrayItem, ...]


@dataclass(frozen=True, slots=True)
class Variable(Node):
    """A name read as a variable (``x`` may be a variable name: nasl.md §2.1)."""

    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``target[index]``; targets nest for ``a[1][2]``."""

    target: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Argument(Node):
    """One call argument: positional when ``name`` is None, else ``name: value``."""

    name: str | None
    value: Expr


@dataclass(frozen=True, slots=True)
class Call(Node):
    """``name(args)``: a user function or a built-in, decided when it runs."""

    name: str
    args: tuple[Argument, ...]


UnaryOp = Literal["-", "!", "~"]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: UnaryOp
    operand: Expr


BinaryOp = Literal[
    "||",
    "&&",
    "<",
    ">",
    "==",
    "!=",
    ">=",
    "<=",
    "><",
    ">!<",
    "|",
    "^",
    "&",
    "<<",
    ">>",
    ">>>",
    "+",
    "-",
    "*",
    "/",
    "%",
    "**",
]


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Every two-operand operator but the regex match and assignments.

    ``&&`` and ``||`` are here too: the interpreter evaluates their right side lazily.
    """

    op: BinaryOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class RegexMatch(Node):
    """``left =~ "pattern"`` (``negated`` for ``!~``).

    The pattern is always a literal in NASL, so the parser keeps its bytes; the interpreter
    compiles it once (case-insensitive extended regex, nasl.md §2.2).
    """

    negated: bool
    left: Expr
    pattern: bytes


AssignOp = Literal["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", ">>>="]


@dataclass(frozen=True, slots=True)
class Assign(Node):
    """``target op value``; an expression (its value is the assigned value)."""

    op: AssignOp
    target: Variable | Index
    value: Expr


@dataclass(frozen=True, slots=True)
class IncDec(Node):
    """``++x``, ``x++``, ``--x``, ``x--``."""

    op: Literal["++", "--"]
    prefix: bool
    target: Variable | Index


Expr = (
    Integer
    | String
    | Data
    | ArrayLiteral
    | Variable
    | Index
    | Call
    | Unary
    | Binary
    | RegexMatch
    | Assign
    | IncDec
)


# --- statements -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExprStatement(Node):
    """An assignment, increment or call standing alone (other expressions cannot)."""

    expr: Assign | IncDec | Call


@dataclass(frozen=True, slots=True)
class Empty(Node):
    """A lone ``;``."""


@dataclass(frozen=True, slots=True)
class Block(Node):
    """``{ ... }``; not a scope (NASL scopes are functions only)."""

    body: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class If(Node):
    condition: Expr
    then: Statement
    otherwise: Statement | None


@dataclass(frozen=True, slots=True)
class While(Node):
    condition: Expr
    body: Statement


@dataclass(frozen=True, slots=True)
class For(Node):
    """``for (init; condition; step) body``; init and step may be absent."""

    init: Statement | None
    condition: Expr | None
    step: Statement | None
    body: Statement


@dataclass(frozen=True, slots=True)
class Repeat(Node):
    """``repeat body until condition;``: the body runs at least once."""

    body: Statement
    until: Expr


@dataclass(frozen=True, slots=True)
class Foreach(Node):
    """``foreach name (iterable) body``: over an array's values."""

    name: str
    iterable: Expr
    body: Statement


@dataclass(frozen=True, slots=True)
class RepeatCall(Node):
    """``f(...) x n;``: the call made ``n`` times (the ``x`` statement)."""

    call: Call
    count: Expr


@dataclass(frozen=True, slots=True)
class Return(Node):
    value: Expr | None


@dataclass(frozen=True, slots=True)
class Break(Node):
    pass


@dataclass(frozen=True, slots=True)
class Continue(Node):
    pass


@dataclass(frozen=True, slots=True)
class LocalVar(Node):
    """``local_var a, b = 1;``: names declared in the current function's context."""

    names: tuple[tuple[str, Expr | None], ...]


@dataclass(frozen=True, slots=True)
class GlobalVar(Node):
    """``global_var a, b = 1;``: names declared in the script's top context."""

    names: tuple[tuple[str, Expr | None], ...]


@dataclass(frozen=True, slots=True)
class Include(Node):
    """``include("file.inc")``: the named file's statements run here, when this runs."""

    path: bytes


@dataclass(frozen=True, slots=True)
class FunctionDef(Node):
    """``function name(a, b) { ... }``; registered when the definition executes."""

    name: str
    params: tuple[str, ...]
    body: Block


Statement = (
    ExprStatement
    | Empty
    | Block
    | If
    | While
    | For
    | Repeat
    | Foreach
    | RepeatCall
    | Return
    | Break
    | Continue
    | LocalVar
    | GlobalVar
    | Include
    | FunctionDef
)


@dataclass(frozen=True, slots=True)
class Program(Node):
    """A whole file: its statements and its name (for error messages)."""

    filename: str
    body: tuple[Statement, ...]
