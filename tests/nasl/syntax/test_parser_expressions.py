"""NASL expressions: the C precedence table of nasl.md §2.2 and its non-table rules.

Trees are written with :func:`tests.nasl.sexpr.show`: ``(+ a (* b c))`` and so on.
"""

from __future__ import annotations

import pytest

from ixion.nasl.syntax import ast
from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.parser import parse
from tests.nasl.sexpr import show


def value(source: str) -> str:
    """The tree of ``source`` as the right side of an assignment."""
    program = parse(f"v = {source};".encode())
    statement = program.body[0]
    assert isinstance(statement, ast.ExprStatement)
    assert isinstance(statement.expr, ast.Assign)
    return show(statement.expr.value)


def error(source: str) -> NaslSyntaxError:
    with pytest.raises(NaslSyntaxError) as caught:
        parse(source.encode(), "e.nasl")
    return caught.value


# --- precedence, lowest to highest ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("a || b && c", "(|| a (&& b c))"),
        ("a && b || c", "(|| (&& a b) c)"),
        ("a && b == c", "(&& a (== b c))"),
        ("a == b | c", "(== a (| b c))"),
        ("a | b ^ c", "(| a (^ b c))"),
        ("a ^ b & c", "(^ a (& b c))"),
        ("a & b << c", "(& a (<< b c))"),
        ("a << b + c", "(<< a (+ b c))"),
        ("a + b * c", "(+ a (* b c))"),
        ("a * !b", "(* a (! b))"),
        ("!a * b", "(* (! a) b)"),
        ("-a * b", "(* (- a) b)"),
        ("~a % b", "(% (~ a) b)"),
        ("-a ** b", "(- (** a b))"),
        ("!a ** b", "(! (** a b))"),
        ("a ** -b", "(** a (- b))"),
        ("a ** -b ** c", "(** a (- (** b c)))"),
    ],
)
def test_each_level_binds_tighter_than_the_one_before(source: str, tree: str) -> None:
    assert value(source) == tree


def test_bitwise_operators_bind_tighter_than_comparisons_unlike_c() -> None:
    assert value("a & 1 == 1") == "(== (& a 1) 1)"
    assert value("a | b != c ^ d") == "(!= (| a b) (^ c d))"


def test_minus_two_squared_is_minus_four_as_in_c() -> None:
    assert value("-2 ** 2") == "(- (** 2 2))"


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c % d", "(% (* (/ a b) c) d)"),
        ("a || b || c", "(|| (|| a b) c)"),
        ("a && b && c", "(&& (&& a b) c)"),
        ("a | b | c", "(| (| a b) c)"),
        ("a ^ b ^ c", "(^ (^ a b) c)"),
        ("a & b & c", "(& (& a b) c)"),
        ("a ** b ** c", "(** a (** b c))"),
        ("a = b = c", "(= a (= b c))"),
    ],
)
def test_associativity(source: str, tree: str) -> None:
    assert value(source) == tree


@pytest.mark.parametrize("first", ["<", ">", "==", "!=", ">=", "<=", "><", ">!<"])
@pytest.mark.parametrize("second", ["<", "==", "><", ">!<", "=~"])
def test_comparisons_do_not_chain(first: str, second: str) -> None:
    source = f"v = a {first} b {second} c;"
    err = error(source)
    assert err.column == source.index(second, source.index(first) + len(first)) + 1
    assert err.message == (
        f"'{second}' cannot follow '{first}' without parentheses: "
        "comparisons and shifts do not chain in NASL"
    )


@pytest.mark.parametrize(("first", "second"), [("<<", "<<"), (">>", ">>>"), (">>>", "<<")])
def test_shifts_do_not_chain(first: str, second: str) -> None:
    assert "cannot follow" in error(f"v = a {first} b {second} c;").message


def test_parentheses_allow_what_chaining_does_not() -> None:
    assert value("(a < b) < c") == "(< (< a b) c)"
    assert value("a << (b << c)") == "(<< a (<< b c))"


def test_a_regex_match_may_be_compared_further_as_in_c() -> None:
    # C reduces "expr =~ string" as soon as the literal is read (nasl_grammar.y).
    assert value('a =~ "x" == b') == '(== (=~ a "x") b)'
    assert value('a =~ "x" !~ "y"') == '(!~ (=~ a "x") "y")'


# --- regex match --------------------------------------------------------------------------------


def test_regex_match_takes_a_literal_of_either_kind() -> None:
    assert value('banner =~ "^SSH-[0-9.]+"') == '(=~ banner "^SSH-[0-9.]+")'
    assert value("r !~ '\\x41\\\\d'") == '(!~ r "A\\\\d")'
    assert value('a + b =~ "x" && c') == '(&& (=~ (+ a b) "x") c)'


def test_regex_match_keeps_the_pattern_bytes() -> None:
    statement = parse(b'v = a =~ "a\\.b";').body[0]
    assert isinstance(statement, ast.ExprStatement)
    assert isinstance(statement.expr, ast.Assign)
    assert statement.expr.value == ast.RegexMatch(
        ast.Pos(1, 5), False, ast.Variable(ast.Pos(1, 5), "a"), b"a\\.b"
    )


def test_regex_match_refuses_a_computed_pattern() -> None:
    err = error("v = a =~ p;")
    assert (err.line, err.column) == (1, 10)
    assert err.message == (
        "expected a string literal after '=~' (the pattern cannot be computed), found name 'p'"
    )


# --- assignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", ">>>="])
def test_every_assignment_operator(op: str) -> None:
    assert value(f"a[i] {op} b + 1") == f"({op} a[i] (+ b 1))"


def test_assignment_takes_the_rest_of_the_expression_wherever_it_starts() -> None:
    assert value("!x = f()") == "(! (= x f()))"
    assert value("a && b = c || d") == "(&& a (= b (|| c d)))"
    assert value("a || b = egrep(pattern: p)") == "(|| a (= b egrep(pattern: p)))"
    assert value("2 + a = 1") == "(+ 2 (= a 1))"
    assert value("-x = 1") == "(- (= x 1))"


def test_an_assignment_inside_parentheses_is_an_operand() -> None:
    assert value("(a = 1) + 2") == "(+ (= a 1) 2)"


def test_only_a_variable_or_element_can_be_assigned() -> None:
    err = error("v = (a) = 1;")
    # "expected ';'" points just past the last token that was fine.
    assert (err.column, err.message) == (8, "expected ';' after the assignment, found '='")
    assert error("v = f() = 1;").message == "expected ';' after the assignment, found '='"


# --- increments ---------------------------------------------------------------------------------


def test_increments_before_and_after_variables_and_elements() -> None:
    assert value("i++ + ++j") == "(+ (i++) (++j))"
    assert value("--a[1] - a[2]--") == "(- (--a[1]) (a[2]--))"
    assert value("-x++") == "(- (x++))"


def test_increments_need_a_variable() -> None:
    assert error("v = ++1;").message == "expected a name after '++', found integer 1"
    assert error("v = --(a);").message == "expected a name after '--', found '('"
    assert error("v = a++ ++;").message == "expected ';' after the assignment, found '++'"


# --- operands -----------------------------------------------------------------------------------


def test_literals() -> None:
    assert value("\"s\" + 'd\\n' + 0x10 + 010") == "(+ (+ (+ \"s\" 'd\\n') 16) 8)"


def test_ip_address_literal_is_a_string() -> None:
    assert value("192.168.0.1") == '"192.168.0.1"'
    assert value("010.0.0.0x1") == '"8.0.0.1"'  # each part read as an integer, printed back


def test_ip_address_literal_needs_four_parts() -> None:
    err = error("v = 10.0.1;")
    assert err.message == "expected an IP address literal of four numbers (a.b.c.d), found ';'"
    assert err.column == 11


def test_x_is_a_name_in_expressions() -> None:
    assert value("x + x(x: x) * x[x]") == "(+ x (* x(x: x) x[x]))"


def test_calls_with_positional_named_and_mixed_arguments() -> None:
    assert value("f()") == "f()"
    assert value("f(1, a + b)") == "f(1, (+ a b))"
    assert value("recv(socket: s, length: 1024)") == "recv(socket: s, length: 1024)"
    assert value("f(a, n: 1, b)") == "f(a, n: 1, b)"
    assert value("f(g(h(1)), k: [1])") == "f(g(h(1)), k: [1])"


def test_an_unclosed_call_names_the_function_and_where_it_opened() -> None:
    err = error("x = 1;\nr = recv(socket: s, length: 1024;")
    assert (err.line, err.column) == (2, 33)
    assert err.message == ("expected ')' to close the call of 'recv' opened at 2:9, found ';'")


def test_call_arguments_have_no_trailing_comma() -> None:
    assert error("f(1,);").message == "expected an expression, found ')'"


def test_indexes() -> None:
    assert value('a[1] + a["k"] + a[i + 1]') == '(+ (+ a[1] a["k"]) a[(+ i 1)])'


def test_only_a_variable_is_indexed_once() -> None:
    err = error("v = a[1][2];")
    assert (err.column, err.message) == (
        9,
        "only a variable can be indexed: NASL has no 'a[i][j]' (use a temporary)",
    )
    assert error("v = f()[0];").message == "expected ';' after the assignment, found '['"


def test_unclosed_index_and_parenthesis() -> None:
    assert error("v = a[1;").message == (
        "expected ']' to close the index of 'a' opened at 1:6, found ';'"
    )
    assert error("v = (1 + 2;").message == (
        "expected ')' to close the '(' opened at 1:5, found ';'"
    )


def test_array_literals_hold_literals_with_optional_string_keys() -> None:
    assert value("['PHSS_22540']") == "['PHSS_22540']"
    assert value("[1, \"k\" => 'v', 'd' => 2]") == "[1, \"k\" => 'v', 'd' => 2]"


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        (
            "v = [];",
            6,
            "expected an integer or string literal (array literals hold only literals), found ']'",
        ),
        (
            "v = [a];",
            6,
            "expected an integer or string literal (array literals hold only literals), "
            "found name 'a'",
        ),
        ("v = [1 => 2];", 6, "an array literal key must be a string"),
        ("v = [1, 2;", 10, "expected ']' to close the array literal opened at 1:5, found ';'"),
    ],
)
def test_array_literal_errors(source: str, column: int, message: str) -> None:
    err = error(source)
    assert (err.column, err.message) == (column, message)


def test_missing_operand() -> None:
    err = error("v = 1 + ;")
    assert (err.column, err.message) == (9, "expected an expression, found ';'")
    assert error("v = 1 +").message == "expected an expression, found end of file"


# --- positions ----------------------------------------------------------------------------------


def test_nodes_start_at_their_first_token() -> None:
    p = ast.Pos
    program = parse(b"v = a +\n  -f(b, n: 'c') * x[2];")
    a = ast.Variable(p(1, 5), "a")
    call = ast.Call(
        p(2, 4),
        "f",
        (
            ast.Argument(p(2, 6), None, ast.Variable(p(2, 6), "b")),
            ast.Argument(p(2, 9), "n", ast.Data(p(2, 12), b"c")),
        ),
    )
    product = ast.Binary(
        p(2, 3),
        "*",
        ast.Unary(p(2, 3), "-", call),
        ast.Index(p(2, 19), ast.Variable(p(2, 19), "x"), ast.Integer(p(2, 21), 2)),
    )
    assign = ast.Assign(
        p(1, 1), "=", ast.Variable(p(1, 1), "v"), ast.Binary(p(1, 5), "+", a, product)
    )
    assert program == ast.Program(p(1, 1), "<script>", (ast.ExprStatement(p(1, 1), assign),))
