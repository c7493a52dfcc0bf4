"""NASL statements, whole programs, syntax errors and the nesting limit (nasl.md §2.2, §2.5).

Trees are written with :func:`tests.nasl.sexpr.show`; the expression rules have their own
module, ``test_parser_expressions.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ixion.nasl.syntax import ast
from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.expressions import MAX_NESTING
from ixion.nasl.syntax.parser import parse
from tests.nasl.sexpr import show


def tree(source: str) -> str:
    return show(parse(source.encode()))


def error(source: str) -> NaslSyntaxError:
    with pytest.raises(NaslSyntaxError) as caught:
        parse(source.encode(), "e.nasl")
    return caught.value


# --- simple statements --------------------------------------------------------------------------


def test_assignments_increments_and_calls_stand_alone() -> None:
    assert tree("a = 1; b[2] += a; i++; --j; f(); g(a, n: 1);") == (
        "(= a 1); (+= b[2] a); (i++); (--j); f(); g(a, n: 1);"
    )


def test_x_is_a_name_in_statements() -> None:
    assert tree("x = 1; x++; x(x: x); x[x] = x;") == "(= x 1); (x++); x(x: x); (= x[x] x);"


def test_a_call_repeated_with_x() -> None:
    assert tree("send(socket: s, data: d) x 10;") == "(x send(socket: s, data: d) 10)"
    assert tree("f() x n + 1;") == "(x f() (+ n 1))"


NOT_A_STATEMENT = (
    "this expression is not a statement: only an assignment, '++'/'--' or a function call "
    "can stand alone"
)
CANNOT_START = (
    "expected a statement (only an assignment, '++'/'--' or a function call can stand alone)"
)


@pytest.mark.parametrize(("source", "column"), [("a;", 1), ("a + b;", 1), ("x = 1; a[1];", 8)])
def test_other_expressions_cannot_stand_alone(source: str, column: int) -> None:
    err = error(source)
    assert (err.column, err.message) == (column, NOT_A_STATEMENT)


@pytest.mark.parametrize(
    ("source", "found"),
    [("!f();", "'!'"), ("-a = 1;", "'-'"), ("1;", "integer 1"), ("(a = 1);", "'('")],
)
def test_a_statement_cannot_start_with_an_operator_or_literal(source: str, found: str) -> None:
    err = error(source)
    assert (err.column, err.message) == (1, f"{CANNOT_START}, found {found}")


def test_a_lone_comparison_suggests_assignment() -> None:
    err = error("if (a) b == 1;")
    assert (err.line, err.column) == (1, 8)
    assert err.message == NOT_A_STATEMENT + " (did you mean '=' instead of '=='?)"


def test_an_operator_after_a_call_statement() -> None:
    err = error("f() + 1;")
    assert (err.column, err.message) == (4, "expected ';' after the call, found '+'")


def test_empty_statements() -> None:
    assert tree(";;") == "; ;"
    assert tree("if (a) ; else {}") == "(if a ; { })"


def test_return_break_continue() -> None:
    assert tree("function f() { return; return a + 1; break; continue; }") == (
        "(function f() { (return) (return (+ a 1)) (break) (continue) })"
    )


def test_local_and_global_declarations() -> None:
    assert tree("local_var a, b; global_var x;") == "(local_var a b) (global_var x)"
    assert tree("local_var;") == "(local_var)"  # C's arg_decl may be empty


def test_declarations_with_initialisers_extend_c() -> None:
    assert tree("local_var a = 1, b, c = f(); global_var g = [1];") == (
        "(local_var a=1 b c=f()) (global_var g=[1])"
    )


def test_include_takes_a_string_literal_of_either_kind() -> None:
    program = parse(b"include(\"http_func.inc\");\ninclude('a\\x2einc');")
    assert program.body == (
        ast.Include(ast.Pos(1, 1), b"http_func.inc"),
        ast.Include(ast.Pos(2, 1), b"a.inc"),
    )


def test_include_refuses_a_computed_name() -> None:
    err = error("include(name);")
    assert (err.column, err.message) == (
        9,
        "expected the file name of 'include' as a string literal, found name 'name'",
    )
    assert error('include("a.inc")').message == (
        "expected ';' after 'include(...)', found end of file"
    )


# --- compound statements ------------------------------------------------------------------------


def test_blocks() -> None:
    assert tree("{ a = 1; { } { f(); } }") == "{ (= a 1); { } { f(); } }"


def test_if_else_and_the_dangling_else() -> None:
    assert tree("if (a) f();") == "(if a f();)"
    assert tree("if (a) f(); else g();") == "(if a f(); g();)"
    assert tree("if (a) if (b) f(); else g();") == "(if a (if b f(); g();))"
    assert tree("if (a) { if (b) f(); } else g();") == "(if a { (if b f();) } g();)"


def test_else_if_chains_nest_and_do_not_count_as_depth() -> None:
    assert tree("if (a) f(); else if (b) g(); else h();") == "(if a f(); (if b g(); h();))"
    arms = " else ".join(f"if (a == {i}) f();" for i in range(3 * MAX_NESTING))
    program = parse(arms.encode())
    assert isinstance(program.body[0], ast.If)


def test_loops() -> None:
    assert tree("while (i < 3) i++;") == "(while (< i 3) (i++);)"
    assert tree("for (i = 0; i < n; i++) f(i);") == "(for (= i 0); (< i n) (i++); f(i);)"
    assert tree("for (;1;) ;") == "(for _ 1 _ ;)"
    assert tree("for (f(); g(); ++i) {}") == "(for f(); g() (++i); { })"
    assert tree("repeat i++; until i > 3;") == "(repeat (i++); (> i 3))"
    assert tree("repeat { f(); } until (done);") == "(repeat { f(); } done)"
    assert tree("foreach p (ports) f(p);") == "(foreach p ports f(p);)"
    assert tree("foreach x (make_list(1, 2)) {}") == "(foreach x make_list(1, 2) { })"


def test_for_needs_its_condition_as_in_c() -> None:
    err = error("for (;;) f();")
    assert (err.column, err.message) == (7, "expected an expression, found ';'")


def test_for_init_and_step_must_be_statements() -> None:
    err = error("for (i < 3; i < 3; i++) f();")
    assert err.column == 6
    assert err.message.startswith("this expression is not a statement")


def test_function_definitions() -> None:
    assert tree("function f() {}") == "(function f() { })"
    assert tree("function x(x, y) { return x + y; }") == "(function x(x, y) { (return (+ x y)) })"


def test_functions_are_defined_only_at_top_level_as_in_c() -> None:
    for source in (
        "{ function f() {} }",
        "if (a) function f() {}",
        "function g() { function f() {} }",
    ):
        err = error(source)
        assert err.message == (
            "a function can only be defined at the top level of a file, not in a block"
        )


def test_a_function_body_is_a_block() -> None:
    assert error("function f() return 1;").message == (
        "expected '{' to start the body of 'f', found keyword 'return'"
    )


# --- programs and positions ---------------------------------------------------------------------


def test_an_empty_file_is_an_empty_program() -> None:
    assert parse(b"", "empty.nasl") == ast.Program(ast.Pos(1, 1), "empty.nasl", ())
    assert parse(b"# only a comment\n").body == ()


def test_statements_start_at_their_first_token() -> None:
    p = ast.Pos
    program = parse(b"if (description) {\n  exit(0);\n}\nforeach x (l) ;", "d.nasl")
    exit_call = ast.Call(p(2, 3), "exit", (ast.Argument(p(2, 8), None, ast.Integer(p(2, 8), 0)),))
    assert program == ast.Program(
        p(1, 1),
        "d.nasl",
        (
            ast.If(
                p(1, 1),
                ast.Variable(p(1, 5), "description"),
                ast.Block(p(1, 18), (ast.ExprStatement(p(2, 3), exit_call),)),
                None,
            ),
            ast.Foreach(p(4, 1), "x", ast.Variable(p(4, 12), "l"), ast.Empty(p(4, 15))),
        ),
    )


# --- syntax errors ------------------------------------------------------------------------------


SYNTAX_ERRORS = [
    ("a = 1\nb = 2;", 1, 6, "expected ';' after the assignment, found name 'b'"),
    ("f(a)\n", 1, 5, "expected ';' after the call, found end of file"),
    ("i++ j++;", 1, 4, "expected ';' after the '++'/'--', found name 'j'"),
    ("return 1 2;", 1, 9, "expected ';' after 'return', found integer 2"),
    ("if a f();", 1, 4, "expected '(' after 'if', found name 'a'"),
    (
        "if (a f();",
        1,
        7,
        "expected ')' to close the condition of 'if' opened at 1:4, found name 'f'",
    ),
    ("while (a) ", 1, 11, "expected a statement, found end of file"),
    ("{ f();", 1, 7, "expected '}' to close the block opened at 1:1, found end of file"),
    ("foreach (l) f();", 1, 9, "expected a name after 'foreach', found '('"),
    ("foreach p l f();", 1, 11, "expected '(' after 'foreach p', found name 'l'"),
    (
        "repeat f(); while (1);",
        1,
        13,
        "expected 'until' to end the 'repeat' of 1:1, found keyword 'while'",
    ),
    ("for (i = 0; i < 3) f();", 1, 18, "expected ';' after the condition of 'for', found ')'"),
    (
        "for (i = 0; i; i++ f();",
        1,
        20,
        "expected ')' to close the head of 'for' opened at 1:5, found name 'f'",
    ),
    ("function (a) {}", 1, 10, "expected a name after 'function', found '('"),
    (
        "function f(a b) {}",
        1,
        14,
        "expected ')' to close the parameters of 'f' opened at 1:11, found name 'b'",
    ),
    ("function f(1) {}", 1, 12, "expected a name for a parameter of 'f', found integer 1"),
    ("local_var 1;", 1, 11, "expected a name in 'local_var', found integer 1"),
    ("global_var a b;", 1, 13, "expected ';' after the 'global_var' declaration, found name 'b'"),
    ("else f();", 1, 1, "'else' without an 'if' before it"),
    ("until x;", 1, 1, "'until' without a 'repeat' before it"),
    ("a = 1; }", 1, 8, CANNOT_START + ", found '}'"),
    (
        'f(a: "b"\n  c: 1);',
        2,
        3,
        "expected ')' to close the call of 'f' opened at 1:2, found name 'c'",
    ),
]


@pytest.mark.parametrize(("source", "line", "column", "message"), SYNTAX_ERRORS)
def test_syntax_errors_say_where_and_what(
    source: str, line: int, column: int, message: str
) -> None:
    err = error(source)
    assert (err.filename, err.line, err.column, err.message) == ("e.nasl", line, column, message)


def test_an_error_renders_like_a_compiler_message() -> None:
    err = error("x = 1;\nif (x)\n  r = recv(socket: s;\n")
    assert str(err) == (
        "e.nasl:3:21: expected ')' to close the call of 'recv' opened at 3:11, found ';'\n"
        "      r = recv(socket: s;\n"
        "                        ^"
    )


def test_a_missing_semicolon_is_shown_after_the_statement_not_on_the_next_line() -> None:
    err = error("a = 1\nb = 2;")
    assert str(err) == (
        "e.nasl:1:6: expected ';' after the assignment, found name 'b'\n    a = 1\n         ^"
    )


# --- nesting ------------------------------------------------------------------------------------


_SHAPES: dict[str, Callable[[int], str]] = {  # construct: source nesting it n times
    "parentheses": lambda n: "v = " + "(" * n + "1" + ")" * n + ";",
    "minus": lambda n: "v = " + "- " * n + "1;",
    "not": lambda n: "v = " + "!" * n + "1;",
    "calls": lambda n: "f(" * n + ")" * n + ";",
    "indexes": lambda n: "v = " + "a[" * n + "1" + "]" * n + ";",
    "assignments": lambda n: "a = " * n + "1;",
    "powers": lambda n: "v = " + "2 ** " * n + "2;",
    "blocks": lambda n: "{" * n + "}" * n,
    "ifs": lambda n: "if (a) " * n + "f();",
    "loops": lambda n: "foreach b (c) " * n + "f();",
}
KINDS = list(_SHAPES)


@pytest.mark.parametrize("kind", KINDS)
def test_deep_nesting_is_a_syntax_error_not_a_crash(kind: str) -> None:
    err = error(_SHAPES[kind](5000))
    assert err.message == f"nesting too deep (more than {MAX_NESTING} levels)"


def _parse_deep_in_the_stack(source: bytes, frames: int) -> ast.Program:
    """Parse from ``frames`` Python frames down, as an include run by the interpreter is."""
    if frames:
        return _parse_deep_in_the_stack(source, frames - 1)
    return parse(source)


@pytest.mark.parametrize("kind", KINDS)
def test_nesting_just_under_the_limit_parses_even_deep_in_the_stack(kind: str) -> None:
    source = _SHAPES[kind](MAX_NESTING - 2).encode()
    assert _parse_deep_in_the_stack(source, 400).body
