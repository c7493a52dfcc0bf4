"""The NASL parser: source bytes in, an :class:`ast.Program` out.

Statements are read by recursive descent, expressions by precedence climbing
(:mod:`ixion.nasl.syntax.expressions`); both follow the C grammar (``nasl_grammar.y``, nasl.md §2.2)
rule for rule, because real plugins rely on its corners. Where C is stricter than one might
expect, so is this parser:

* Only an assignment, ``++``/``--``, a call or a call repeated with ``x`` (``f() x 3;``) may
  stand alone as a statement; ``a == b;`` is an error.
* ``function`` definitions appear only at the top level of a file, never inside a block.
* ``for`` needs its condition; its init and step may be empty, or an assignment, ``++``/``--``
  or a call.
* ``include`` takes one string literal, of either kind.

Two differences from C, both more lenient: ``local_var``/``global_var`` accept initialisers
(``local_var a = 1;``, as the Rust interpreter does; C's grammar has bare names only), and an
empty file is an empty program (C's grammar wants at least one statement).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.syntax import ast
from ixion.nasl.syntax.ast import Pos
from ixion.nasl.syntax.expressions import ExpressionParser
from ixion.nasl.syntax.lexer import data_value
from ixion.nasl.syntax.tokens import DATA, EOF, NAME, STRING

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.syntax.errors import NaslSyntaxError

__all__ = ["parse"]


def parse(source: bytes, filename: str = "<script>") -> ast.Program:
    """Parse a whole NASL file.

    Raises:
        NaslSyntaxError: at the first lexical or grammar error, naming file, line, column.
    """
    return _Parser(source, filename).program()


class _Parser(ExpressionParser):
    __slots__ = ()

    def program(self) -> ast.Program:
        body: list[ast.Statement] = []
        kinds = self._kinds
        while kinds[self._index] != EOF:
            if kinds[self._index] == "function":
                body.append(self._function())
            else:
                body.append(self.statement())
        return ast.Program(Pos(1, 1), self._tokens.filename, tuple(body))

    def statement(self) -> ast.Statement:
        self._deeper()
        kind = self._kinds[self._index]
        if kind == NAME or kind == "x" or kind == "++" or kind == "--":
            node = self._simple()
        else:
            rule = _KEYWORD_RULES.get(kind)
            if rule is None:
                raise self._misplaced()
            node = rule(self)
        self._depth -= 1
        return node

    def _misplaced(self) -> NaslSyntaxError:
        """The error for a token that cannot start a statement."""
        kind = self._kinds[self._index]
        if kind == "function":
            return self._error_here(
                "a function can only be defined at the top level of a file, not in a block"
            )
        if kind == "else":
            return self._error_here("'else' without an 'if' before it")
        if kind == "until":
            return self._error_here("'until' without a 'repeat' before it")
        if kind == EOF:
            return self._expected("a statement")
        return self._expected(
            "a statement (only an assignment, '++'/'--' or a function call can stand alone)"
        )

    def _end(self, what: str, subject: str = "") -> None:
        if self._kinds[self._index] != ";":
            raise self._expected_after(f"';' after {what.format(subject)}")
        self._index += 1

    def _keyword(self) -> Pos:
        """Move past the keyword that starts a statement; the statement's position."""
        index = self._index
        self._index = index + 1
        return self._pos(index)

    # --- simple statements -----------------------------------------------------------------

    def _simple(self) -> ast.Statement:
        """An assignment, ``++``/``--``, a call, or a call repeated with ``x``.

        Each of these is a single operand in expression terms (an assignment takes the rest
        of the expression itself), so no operator loop is needed: an operator after the
        operand, as in ``f() + 1;``, is an error, as in C.
        """
        expr = self._operand()
        if isinstance(expr, ast.Call) and self._kinds[self._index] == "x":
            self._index += 1
            node: ast.Statement = ast.RepeatCall(expr.pos, expr, self.expression())
            self._end("the repeated call")
            return node
        statement = self._standalone(expr)
        if self._kinds[self._index] != ";":
            raise self._expected_after(f"';' after {_STANDALONE[type(expr)]}")
        self._index += 1
        return statement

    def _standalone(self, expr: ast.Expr) -> ast.ExprStatement:
        if isinstance(expr, (ast.Assign, ast.IncDec, ast.Call)):
            return ast.ExprStatement(expr.pos, expr)
        message = (
            "this expression is not a statement: only an assignment, '++'/'--' or a "
            "function call can stand alone"
        )
        if self._kinds[self._index] == "==":
            message += " (did you mean '=' instead of '=='?)"
        raise self._error(message, expr.pos.line, expr.pos.column)

    def _empty(self) -> ast.Empty:
        return ast.Empty(self._keyword())

    def _return(self) -> ast.Return:
        pos = self._keyword()
        value = None if self._kinds[self._index] == ";" else self.expression()
        self._end("'return'")
        return ast.Return(pos, value)

    def _break(self) -> ast.Break:
        pos = self._keyword()
        self._end("'break'")
        return ast.Break(pos)

    def _continue(self) -> ast.Continue:
        pos = self._keyword()
        self._end("'continue'")
        return ast.Continue(pos)

    def _include(self) -> ast.Include:
        pos = self._keyword()
        opener = self._expect("(", "after 'include'")
        index = self._index
        kind = self._kinds[index]
        if kind == STRING:
            path = self._texts[index][1:-1]
        elif kind == DATA:
            path = data_value(self._tokens, index)
        else:
            raise self._expected("the file name of 'include' as a string literal")
        self._index = index + 1
        self._close(")", opener, "'include('")
        self._end("'include(...)'")
        return ast.Include(pos, path)

    def _declarations(self) -> tuple[Pos, tuple[tuple[str, ast.Expr | None], ...]]:
        """``local_var``/``global_var``: names, each with an optional initialiser."""
        keyword = self._kinds[self._index]
        pos = self._keyword()
        names: list[tuple[str, ast.Expr | None]] = []
        if self._kinds[self._index] != ";":
            while True:
                name = self._name("in '{}'", keyword)
                if self._kinds[self._index] == "=":
                    self._index += 1
                    names.append((name, self.expression()))
                else:
                    names.append((name, None))
                if self._kinds[self._index] != ",":
                    break
                self._index += 1
        self._end("the '{}' declaration", keyword)
        return pos, tuple(names)

    def _local_var(self) -> ast.LocalVar:
        return ast.LocalVar(*self._declarations())

    def _global_var(self) -> ast.GlobalVar:
        return ast.GlobalVar(*self._declarations())

    # --- compound statements -------------------------------------------------------------

    def _block(self) -> ast.Block:
        opener = self._index
        pos = self._keyword()
        body: list[ast.Statement] = []
        kinds = self._kinds
        while kinds[self._index] != "}":
            if kinds[self._index] == EOF:
                self._close("}", opener, "the block")
            body.append(self.statement())
        self._index += 1
        return ast.Block(pos, tuple(body))

    def _condition(self, keyword: str) -> ast.Expr:
        opener = self._expect("(", "after '{}'", keyword)
        condition = self.expression()
        self._close(")", opener, "the condition of '{}'", keyword)
        return condition

    def _if(self) -> ast.If:
        """``if``/``else``; an ``else if`` chain is read in a loop, not by recursion."""
        arms: list[tuple[Pos, ast.Expr, ast.Statement]] = []
        kinds = self._kinds
        while True:
            pos = self._keyword()
            arms.append((pos, self._condition("if"), self.statement()))
            otherwise: ast.Statement | None = None
            if kinds[self._index] != "else":
                break
            self._index += 1
            if kinds[self._index] != "if":
                otherwise = self.statement()
                break
        for pos, condition, then in reversed(arms):
            otherwise = ast.If(pos, condition, then, otherwise)
        assert isinstance(otherwise, ast.If)  # there is at least one arm
        return otherwise

    def _while(self) -> ast.While:
        pos = self._keyword()
        condition = self._condition("while")
        return ast.While(pos, condition, self.statement())

    def _for(self) -> ast.For:
        pos = self._keyword()
        opener = self._expect("(", "after 'for'")
        init = self._for_part(";")
        self._end("the initialisation of 'for'")
        condition = self.expression()
        self._end("the condition of 'for'")
        step = self._for_part(")")
        self._close(")", opener, "the head of 'for'")
        return ast.For(pos, init, condition, step, self.statement())

    def _for_part(self, closer: str) -> ast.ExprStatement | None:
        """The init or step of ``for``: empty, an assignment, ``++``/``--`` or a call."""
        if self._kinds[self._index] == closer:
            return None
        return self._standalone(self._operand())

    def _repeat(self) -> ast.Repeat:
        pos = self._keyword()
        body = self.statement()
        if self._kinds[self._index] != "until":
            raise self._expected(f"'until' to end the 'repeat' of {pos.line}:{pos.column}")
        self._index += 1
        until = self.expression()
        self._end("the condition of 'until'")
        return ast.Repeat(pos, body, until)

    def _foreach(self) -> ast.Foreach:
        pos = self._keyword()
        name = self._name("after 'foreach'")
        opener = self._expect("(", "after 'foreach {}'", name)
        iterable = self.expression()
        self._close(")", opener, "the 'foreach {}' list", name)
        return ast.Foreach(pos, name, iterable, self.statement())

    def _function(self) -> ast.FunctionDef:
        pos = self._keyword()
        name = self._name("after 'function'")
        opener = self._expect("(", "after 'function {}'", name)
        params: list[str] = []
        if self._kinds[self._index] != ")":
            while True:
                params.append(self._name("for a parameter of '{}'", name))
                if self._kinds[self._index] != ",":
                    break
                self._index += 1
        self._close(")", opener, "the parameters of '{}'", name)
        if self._kinds[self._index] != "{":
            raise self._expected(f"'{{' to start the body of '{name}'")
        self._deeper()
        body = self._block()
        self._depth -= 1
        return ast.FunctionDef(pos, name, tuple(params), body)


_KEYWORD_RULES: Final[dict[str, Callable[[_Parser], ast.Statement]]] = {
    "if": _Parser._if,
    "{": _Parser._block,
    ";": _Parser._empty,
    "return": _Parser._return,
    "foreach": _Parser._foreach,
    "for": _Parser._for,
    "while": _Parser._while,
    "repeat": _Parser._repeat,
    "break": _Parser._break,
    "continue": _Parser._continue,
    "include": _Parser._include,
    "local_var": _Parser._local_var,
    "global_var": _Parser._global_var,
}

#: What may stand alone as a statement, and how "expected ';' after ..." names it.
_STANDALONE: Final[dict[type[ast.Expr], str]] = {
    ast.Assign: "the assignment",
    ast.IncDec: "the '++'/'--'",
    ast.Call: "the call",
}
