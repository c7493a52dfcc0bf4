"""NASL expressions: a token cursor and a precedence-climbing (Pratt) parser.

The binding levels are the ``%left/%right/%nonassoc`` list of the C grammar (nasl.md §2.2),
lowest first. Three rules of that grammar are not ordinary precedence and are handled where
an operand is read, not in the operator loop:

* Assignment. C's ``aff`` rule needs a plain ``lvalue`` (``name`` or ``name[index]``) on its
  left, so an assignment can only start at an operand and always takes the whole rest of the
  expression: ``!x = f()`` is ``!(x = f())`` and ``a && b = c || d`` is ``a && (b = (c || d))``.
* ``++``/``--`` also apply to an lvalue only, never to a computed value.
* ``=~``/``!~`` take a string literal, never an expression, on the right.

Comparisons and shifts are non-associative: ``a < b < c`` is an error, as in C. One quirk is
kept on purpose: in C a regex match is reduced as soon as its literal is read, so
``a =~ "x" == b`` is accepted (as ``(a =~ "x") == b``) while ``a == b =~ "x"`` is not.

Speed matters (a feed is 136,000 files), so the cursor is an index into the lexer's lists,
values and positions are computed only for tokens that become nodes, and a lone literal or
variable (most call arguments) skips the operator machinery.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Final, Literal

from ixion.nasl.syntax import ast
from ixion.nasl.syntax.ast import Pos
from ixion.nasl.syntax.lexer import data_value, integer_value, syntax_error, tokenize
from ixion.nasl.syntax.tokens import DATA, INT, NAME, STRING

if TYPE_CHECKING:
    from ixion.nasl.syntax.errors import NaslSyntaxError

__all__ = ["MAX_NESTING", "ExpressionParser"]

#: How deep statements and expressions may nest before the parser gives up with a syntax
#: error instead of a RecursionError. A level costs up to four Python frames (a call inside a
#: call argument), so 100 levels stay far inside CPython's default limit of 1000 frames even
#: when the parser runs deep inside other code (an include executed by the interpreter). The
#: community feed nests at most about 30 levels; ``else if`` chains do not count (they are
#: read in a loop).
MAX_NESTING: Final = 100

_OR, _AND, _COMPARE, _BIT_OR, _BIT_XOR, _BIT_AND, _SHIFT, _SUM, _PRODUCT = range(2, 11)
_NOT, _NEGATE, _POWER = 11, 12, 13
_NON_ASSOCIATIVE: Final = frozenset({_COMPARE, _SHIFT})

#: Infix operators: binding level and the operator of the Binary node (None for =~ and !~).
_INFIX: Final[dict[str, tuple[int, ast.BinaryOp | None]]] = {
    "||": (_OR, "||"),
    "&&": (_AND, "&&"),
    "<": (_COMPARE, "<"),
    ">": (_COMPARE, ">"),
    "==": (_COMPARE, "=="),
    "!=": (_COMPARE, "!="),
    ">=": (_COMPARE, ">="),
    "<=": (_COMPARE, "<="),
    "><": (_COMPARE, "><"),
    ">!<": (_COMPARE, ">!<"),
    "=~": (_COMPARE, None),
    "!~": (_COMPARE, None),
    "|": (_BIT_OR, "|"),
    "^": (_BIT_XOR, "^"),
    "&": (_BIT_AND, "&"),
    "<<": (_SHIFT, "<<"),
    ">>": (_SHIFT, ">>"),
    ">>>": (_SHIFT, ">>>"),
    "+": (_SUM, "+"),
    "-": (_SUM, "-"),
    "*": (_PRODUCT, "*"),
    "/": (_PRODUCT, "/"),
    "%": (_PRODUCT, "%"),
    "**": (_POWER, "**"),
}

#: Prefix operators and the lowest level their operand may absorb: only ``**`` binds
#: tighter than them, so ``-2 ** 2`` is ``-(2 ** 2)`` and ``!a == b`` is ``(!a) == b``.
_PREFIX: Final[dict[str, tuple[ast.UnaryOp, int]]] = {
    "!": ("!", _NOT + 1),
    "-": ("-", _NEGATE + 1),
    "~": ("~", _NEGATE + 1),
}

_ASSIGN: Final[dict[str, ast.AssignOp]] = {
    op: op for op in ("=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", ">>>=")
}
_STEP: Final[dict[str, Literal["++", "--"]]] = {"++": "++", "--": "--"}

_LITERALS: Final = frozenset({STRING, INT, DATA})
_LEAVES: Final = _LITERALS | {NAME, "x"}
_AFTER_ARGUMENT: Final = frozenset({",", ")", ";", "]"})


class ExpressionParser:
    """A cursor over the tokens of one file, and the expression rules.

    The statement rules (:mod:`ixion.nasl.syntax.parser`) build on this class. ``_index`` is the
    current token; the token lists end with a second ``EOF`` so that looking one token past
    the current one never runs off the end.
    """

    __slots__ = ("_depth", "_index", "_kinds", "_line_starts", "_matches", "_texts", "_tokens")

    def __init__(self, source: bytes, filename: str) -> None:
        tokens = tokenize(source, filename)
        self._tokens = tokens
        self._kinds = [*tokens.kinds, tokens.kinds[-1]]
        self._texts = tokens.texts
        self._matches = tokens.matches
        self._line_starts = tokens.line_starts
        self._index = 0
        self._depth = 0

    # --- cursor --------------------------------------------------------------------------

    def _pos(self, index: int) -> Pos:
        start = self._matches[index].start(1)
        line = bisect_right(self._line_starts, start)
        return Pos(line, start - self._line_starts[line - 1] + 1)

    def _error(self, message: str, line: int, column: int) -> NaslSyntaxError:
        return syntax_error(self._tokens.source, self._tokens.filename, message, line, column)

    def _error_here(self, message: str) -> NaslSyntaxError:
        return self._error(message, *self._tokens.position(self._index))

    def _expected(self, what: str) -> NaslSyntaxError:
        return self._error_here(f"expected {what}, found {self._tokens.describe(self._index)}")

    def _expected_after(self, what: str) -> NaslSyntaxError:
        """For a missing terminator: point just past the previous token, not at the next."""
        end = self._matches[self._index - 1].end(1)
        found = self._tokens.describe(self._index)
        return self._error(f"expected {what}, found {found}", *self._tokens.position_of(end))

    # The messages below are templates filled with ``subject`` only when there is an error:
    # formatting them for every token that is fine would cost more than the checks.

    def _expect(self, kind: str, context: str, subject: str = "") -> int:
        """Move past a token of ``kind``, returning its index."""
        index = self._index
        if self._kinds[index] != kind:
            raise self._expected(f"'{kind}' {context.format(subject)}")
        self._index = index + 1
        return index

    def _close(self, closer: str, opener: int, what: str, subject: str = "") -> None:
        """Move past the ``closer`` that matches the token ``opener``."""
        if self._kinds[self._index] != closer:
            line, column = self._tokens.position(opener)
            what = what.format(subject)
            raise self._expected(f"'{closer}' to close {what} opened at {line}:{column}")
        self._index += 1

    def _name(self, context: str, subject: str = "") -> str:
        """Move past an identifier (``x`` is one too: ``identifier: IDENT | REP`` in C)."""
        index = self._index
        kind = self._kinds[index]
        if kind != NAME and kind != "x":
            raise self._expected(f"a name {context.format(subject)}")
        self._index = index + 1
        return self._texts[index].decode()

    def _deeper(self) -> None:
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise self._too_deep()

    def _too_deep(self) -> NaslSyntaxError:
        return self._error_here(f"nesting too deep (more than {MAX_NESTING} levels)")

    # --- expressions ---------------------------------------------------------------------

    def expression(self, min_level: int = _OR) -> ast.Expr:
        """An expression whose infix operators all bind at ``min_level`` or tighter."""
        kinds = self._kinds
        index = self._index
        kind = kinds[index]
        if kinds[index + 1] in _AFTER_ARGUMENT and kind in _LEAVES:
            self._index = index + 1
            if kind == STRING:
                return ast.String(self._pos(index), self._texts[index][1:-1])
            return self._leaf(index)
        depth = self._depth + 1
        if depth > MAX_NESTING:
            raise self._too_deep()
        self._depth = depth
        left = self._operand()
        infix = _INFIX
        while True:
            kind = kinds[self._index]
            entry = infix.get(kind)
            if entry is None or entry[0] < min_level:
                break
            level, op = entry
            self._index += 1
            if op is None:
                left = self._regex_match(kind == "!~", left)
                continue
            right = self.expression(level if level == _POWER else level + 1)
            left = ast.Binary(left.pos, op, left, right)
            if level in _NON_ASSOCIATIVE:
                following = infix.get(kinds[self._index])
                if following is not None and following[0] == level:
                    raise self._error_here(
                        f"'{kinds[self._index]}' cannot follow '{kind}' without parentheses: "
                        "comparisons and shifts do not chain in NASL"
                    )
        self._depth -= 1
        return left

    def _leaf(self, index: int) -> ast.Integer | ast.String | ast.Data | ast.Variable:
        """The node of a literal or name token (an INT here is never part of an IP)."""
        kind = self._kinds[index]
        if kind == NAME or kind == "x":
            return ast.Variable(self._pos(index), self._texts[index].decode())
        return self._literal(index)

    def _literal(self, index: int) -> ast.Integer | ast.String | ast.Data:
        kind = self._kinds[index]
        if kind == STRING:
            return ast.String(self._pos(index), self._texts[index][1:-1])
        if kind == INT:
            return ast.Integer(self._pos(index), integer_value(self._texts[index]))
        return ast.Data(self._pos(index), data_value(self._tokens, index))

    def _regex_match(self, negated: bool, left: ast.Expr) -> ast.RegexMatch:
        index = self._index
        kind = self._kinds[index]
        if kind == STRING:
            pattern = self._texts[index][1:-1]
        elif kind == DATA:
            pattern = data_value(self._tokens, index)
        else:
            op = "!~" if negated else "=~"
            raise self._expected(f"a string literal after '{op}' (the pattern cannot be computed)")
        self._index = index + 1
        return ast.RegexMatch(left.pos, negated, left, pattern)

    def _operand(self) -> ast.Expr:
        """A literal, a name (read, call, assignment, ++/--), a prefix operation or (...)."""
        index = self._index
        kind = self._kinds[index]
        if kind == NAME or kind == "x":
            return self._named()
        if kind in (STRING, DATA, INT):
            self._index = index + 1
            if kind == INT and self._kinds[index + 1] == ".":
                return self._ip_address(index)
            return self._literal(index)
        if kind == "(":
            self._index = index + 1
            inner = self.expression()
            self._close(")", index, "the '('")
            return inner
        prefix = _PREFIX.get(kind)
        if prefix is not None:
            self._index = index + 1
            return ast.Unary(self._pos(index), prefix[0], self.expression(prefix[1]))
        step = _STEP.get(kind)
        if step is not None:
            self._index = index + 1
            return ast.IncDec(self._pos(index), step, True, self._lvalue(step))
        if kind == "[":
            return self._array()
        raise self._expected("an expression")

    def _named(self) -> ast.Expr:
        """A name and what follows it: a call, an assignment, ``++``/``--``, or a read."""
        index = self._index
        name = self._texts[index].decode()
        pos = self._pos(index)
        self._index = index + 1
        if self._kinds[index + 1] == "(":
            return self._call(name, pos)
        variable = ast.Variable(pos, name)
        target = self._index_of(variable) if self._kinds[index + 1] == "[" else variable
        kind = self._kinds[self._index]
        op = _ASSIGN.get(kind)
        if op is not None:
            self._index += 1
            return ast.Assign(pos, op, target, self.expression())
        step = _STEP.get(kind)
        if step is not None:
            self._index += 1
            return ast.IncDec(pos, step, False, target)
        return target

    def _index_of(self, target: ast.Variable) -> ast.Index:
        opener = self._index
        self._index = opener + 1
        index = self.expression()
        self._close("]", opener, "the index of '{}'", target.name)
        if self._kinds[self._index] == "[":
            raise self._error_here(
                "only a variable can be indexed: NASL has no 'a[i][j]' (use a temporary)"
            )
        return ast.Index(target.pos, target, index)

    def _lvalue(self, step: str) -> ast.Variable | ast.Index:
        """What ``++``/``--`` in front apply to: a variable or one of its elements."""
        pos = self._pos(self._index)
        target = ast.Variable(pos, self._name("after '{}'", step))
        return self._index_of(target) if self._kinds[self._index] == "[" else target

    def _call(self, name: str, pos: Pos) -> ast.Call:
        kinds = self._kinds
        opener = self._index
        self._index = opener + 1
        args: list[ast.Argument] = []
        if kinds[opener + 1] != ")":
            while True:
                index = self._index
                kind = kinds[index]
                if (kind == NAME or kind == "x") and kinds[index + 1] == ":":
                    self._index = index + 2
                    value: ast.Expr
                    if kinds[index + 2] == STRING and kinds[index + 3] in _AFTER_ARGUMENT:
                        # The commonest argument by far (script_tag(name: "...", ...)).
                        value = ast.String(self._pos(index + 2), self._texts[index + 2][1:-1])
                        self._index = index + 3
                    else:
                        value = self.expression()
                    name_pos = self._pos(index)
                    args.append(ast.Argument(name_pos, self._texts[index].decode(), value))
                else:
                    value = self.expression()
                    args.append(ast.Argument(value.pos, None, value))
                if kinds[self._index] != ",":
                    break
                self._index += 1
        self._close(")", opener, "the call of '{}'", name)
        return ast.Call(pos, name, tuple(args))

    def _ip_address(self, first: int) -> ast.String:
        """``a.b.c.d`` (C's ``ipaddr`` rule): the string of the four numbers, printed back."""
        numbers = [integer_value(self._texts[first])]
        for _ in range(3):
            index = self._index
            if self._kinds[index] != "." or self._kinds[index + 1] != INT:
                raise self._expected("an IP address literal of four numbers (a.b.c.d)")
            numbers.append(integer_value(self._texts[index + 1]))
            self._index = index + 2
        # C prints each part with %ld, so a literal past LONG_MAX shows negative.
        text = ".".join(str(n - 2**64 if n >= 2**63 else n) for n in numbers)
        return ast.String(self._pos(first), text.encode())

    def _array(self) -> ast.ArrayLiteral:
        """``[1, "k" => 'v']``: C allows only literals as elements and string keys."""
        opener = self._index
        self._index = opener + 1
        items: list[ast.ArrayItem] = []
        while True:
            first = self._atom()
            if self._kinds[self._index] == "=>":
                if isinstance(first, ast.Integer):
                    line, column = first.pos.line, first.pos.column
                    raise self._error("an array literal key must be a string", line, column)
                self._index += 1
                items.append(ast.ArrayItem(first.pos, first, self._atom()))
            else:
                items.append(ast.ArrayItem(first.pos, None, first))
            if self._kinds[self._index] != ",":
                break
            self._index += 1
        self._close("]", opener, "the array literal")
        return ast.ArrayLiteral(self._pos(opener), tuple(items))

    def _atom(self) -> ast.Integer | ast.String | ast.Data:
        index = self._index
        if self._kinds[index] not in _LITERALS:
            raise self._expected("an integer or string literal (array literals hold only literals)")
        self._index = index + 1
        return self._literal(index)
