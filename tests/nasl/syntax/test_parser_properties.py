"""Property tests of the parser: hostile input, and trees that survive printing.

* Arbitrary bytes, and arbitrary sequences of real tokens, give a tree or a
  :class:`NaslSyntaxError`, never another exception.
* A random expression, printed fully parenthesised and printed with the fewest parentheses
  the C precedence table allows (``printer.py``), parses back to the same tree both ways.
* A random program (statements, blocks, loops, functions) parses back to itself.
"""

from __future__ import annotations

from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.nasl.syntax import ast
from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.parser import parse
from ixion.nasl.syntax.tokens import KEYWORDS, OPERATORS
from tests.nasl import printer
from tests.nasl.sexpr import show

P = ast.Pos(0, 0)  # generated trees have no real positions; show() ignores them
NAMES = st.sampled_from(["a", "b", "x", "port", "_FCT_ANON_ARGS"])
EXPRESSION_LEAVES = st.one_of(
    st.builds(ast.Variable, st.just(P), NAMES),
    st.builds(ast.Integer, st.just(P), st.integers(0, 2**64 - 1)),
    st.builds(ast.String, st.just(P), st.sampled_from([b"", b"s", b"a b"])),
    st.builds(ast.Data, st.just(P), st.sampled_from([b"", b"d"])),
)


def _variables() -> st.SearchStrategy[ast.Variable]:
    return st.builds(ast.Variable, st.just(P), NAMES)


def _targets(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Variable | ast.Index]:
    return st.one_of(_variables(), st.builds(ast.Index, st.just(P), _variables(), children))


def _assignments(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Assign]:
    ops = st.sampled_from(get_args(ast.AssignOp))
    return st.builds(ast.Assign, st.just(P), ops, _targets(children), children)


def _steps(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.IncDec]:
    ops = st.sampled_from(["++", "--"])
    return st.builds(ast.IncDec, st.just(P), ops, st.booleans(), _targets(children))


def _calls(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Call]:
    argument = st.builds(ast.Argument, st.just(P), st.one_of(st.none(), NAMES), children)
    return st.builds(ast.Call, st.just(P), NAMES, st.lists(argument, max_size=3).map(tuple))


def _operations(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    binary_ops = st.sampled_from(get_args(ast.BinaryOp))
    patterns = st.sampled_from([b"^a", b"b+"])
    return st.one_of(
        st.builds(ast.Binary, st.just(P), binary_ops, children, children),
        st.builds(ast.Unary, st.just(P), st.sampled_from(get_args(ast.UnaryOp)), children),
        st.builds(ast.RegexMatch, st.just(P), st.booleans(), children, patterns),
        st.builds(ast.Index, st.just(P), _variables(), children),
        _assignments(children),
        _steps(children),
        _calls(children),
    )


EXPRESSIONS = st.recursive(EXPRESSION_LEAVES, _operations, max_leaves=16)

# One operator per precedence level (and each level equally likely), so that the pairs whose
# grouping depends on precedence and associativity come up often, not once in thousands.
_ONE_PER_LEVEL = ["||", "&&", "<", "==", ">!<", "|", "^", "&", "<<", ">>>", "-", "%", "**"]


def _operators(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.builds(ast.Binary, st.just(P), st.sampled_from(_ONE_PER_LEVEL), children, children),
        st.builds(ast.Binary, st.just(P), st.sampled_from(_ONE_PER_LEVEL), children, children),
        st.builds(ast.Unary, st.just(P), st.sampled_from(get_args(ast.UnaryOp)), children),
        st.builds(ast.RegexMatch, st.just(P), st.booleans(), children, st.just(b"p")),
        st.builds(ast.Assign, st.just(P), st.just("="), _variables(), children),
    )


OPERATOR_TREES = st.recursive(_variables(), _operators, max_leaves=12)


def _value_of(source: str) -> ast.Expr:
    statement = parse(f"v = {source};".encode()).body[0]
    assert isinstance(statement, ast.ExprStatement)
    assert isinstance(statement.expr, ast.Assign)
    return statement.expr.value


@settings(max_examples=1500, deadline=None)
@given(OPERATOR_TREES)
def test_operators_group_by_the_c_precedence_table(tree: ast.Expr) -> None:
    expected = show(tree)
    assert show(_value_of(printer.full(tree))) == expected
    assert show(_value_of(printer.minimal(tree))) == expected


@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS)
def test_expressions_parse_back_from_full_and_minimal_parentheses(tree: ast.Expr) -> None:
    expected = show(tree)
    assert show(_value_of(printer.full(tree))) == expected
    assert show(_value_of(printer.minimal(tree))) == expected


# --- programs -----------------------------------------------------------------------------------

_STANDALONE = st.one_of(_assignments(EXPRESSIONS), _steps(EXPRESSIONS), _calls(EXPRESSIONS))
_OPTIONAL_STANDALONE = st.one_of(st.none(), st.builds(ast.ExprStatement, st.just(P), _STANDALONE))
_DECLARED = st.lists(st.tuples(NAMES, st.one_of(st.none(), EXPRESSIONS)), max_size=3).map(tuple)

SIMPLE_STATEMENTS = st.one_of(
    st.builds(ast.ExprStatement, st.just(P), _STANDALONE),
    st.builds(ast.RepeatCall, st.just(P), _calls(EXPRESSIONS), EXPRESSIONS),
    st.builds(ast.Empty, st.just(P)),
    st.builds(ast.Return, st.just(P), st.one_of(st.none(), EXPRESSIONS)),
    st.builds(ast.Break, st.just(P)),
    st.builds(ast.Continue, st.just(P)),
    st.builds(ast.LocalVar, st.just(P), _DECLARED),
    st.builds(ast.GlobalVar, st.just(P), _DECLARED),
    st.builds(ast.Include, st.just(P), st.sampled_from([b"http_func.inc", b""])),
)


def _blocks(children: st.SearchStrategy[ast.Statement]) -> st.SearchStrategy[ast.Block]:
    return st.builds(ast.Block, st.just(P), st.lists(children, max_size=3).map(tuple))


def _if(condition: ast.Expr, then: ast.Statement, otherwise: ast.Statement | None) -> ast.If:
    """An ``if`` whose ``else`` would not be taken by an ``if`` inside ``then``."""
    if otherwise is not None and printer.open_if(then):
        then = ast.Block(P, (then,))
    return ast.If(P, condition, then, otherwise)


def _compound(children: st.SearchStrategy[ast.Statement]) -> st.SearchStrategy[ast.Statement]:
    return st.one_of(
        _blocks(children),
        st.builds(_if, EXPRESSIONS, children, st.one_of(st.none(), children)),
        st.builds(ast.While, st.just(P), EXPRESSIONS, children),
        st.builds(
            ast.For, st.just(P), _OPTIONAL_STANDALONE, EXPRESSIONS, _OPTIONAL_STANDALONE, children
        ),
        st.builds(ast.Repeat, st.just(P), children, EXPRESSIONS),
        st.builds(ast.Foreach, st.just(P), NAMES, EXPRESSIONS, children),
    )


STATEMENTS = st.recursive(SIMPLE_STATEMENTS, _compound, max_leaves=8)
FUNCTIONS = st.builds(
    ast.FunctionDef,
    st.just(P),
    NAMES,
    st.lists(NAMES, max_size=3).map(tuple),
    _blocks(STATEMENTS),
)
PROGRAMS = st.builds(
    ast.Program,
    st.just(P),
    st.just("<script>"),
    st.lists(st.one_of(STATEMENTS, FUNCTIONS), max_size=4).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(PROGRAMS)
def test_programs_parse_back_to_themselves(program: ast.Program) -> None:
    source = "\n".join(printer.statement(s) for s in program.body)
    assert show(parse(source.encode())) == show(program)


# --- hostile input ------------------------------------------------------------------------------


def _parses_or_fails_cleanly(source: bytes) -> None:
    try:
        parse(source, "fuzz.nasl")
    except NaslSyntaxError as error:
        failure: NaslSyntaxError | None = error
    else:
        failure = None
    if failure is not None:
        assert failure.filename == "fuzz.nasl"
        assert failure.line >= 1
        assert failure.column >= 1
        assert str(failure).startswith(f"fuzz.nasl:{failure.line}:{failure.column}: ")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_a_syntax_error(source: bytes) -> None:
    _parses_or_fails_cleanly(source)


TOKEN_TEXTS = [*sorted(KEYWORDS | OPERATORS), "a", "f", "1", "0x1f", '"s"', "'d\\n'", "\n#c\n"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(TOKEN_TEXTS), max_size=40))
def test_arbitrary_token_sequences_parse_or_raise_a_syntax_error(texts: list[str]) -> None:
    _parses_or_fails_cleanly(" ".join(texts).encode())


@settings(max_examples=200, deadline=None)
@given(PROGRAMS, st.data())
def test_damaged_programs_parse_or_raise_a_syntax_error(
    program: ast.Program, data: st.DataObject
) -> None:
    source = "\n".join(printer.statement(s) for s in program.body).encode()
    cut = data.draw(st.integers(0, len(source)))
    insert = data.draw(st.sampled_from([b"", b"(", b")", b"{", b";", b"else", b"=", b"'"]))
    _parses_or_fails_cleanly(source[:cut] + insert + source[cut + 1 :])
