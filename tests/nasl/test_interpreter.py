"""The interpreter's API and what the compliance cases cannot show.

Trees the parser never builds (nested indexing), how errors and diagnostics carry their
place, exit codes per fork, include loading, and Python's own limits turned into NASL errors.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

import pytest

from ixion.nasl.builtins import standard_library
from ixion.nasl.interpreter import Interpreter, ScriptResult
from ixion.nasl.network.host import Report
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.runtime.clock import SYSTEM_CLOCK
from ixion.nasl.runtime.diagnostics import Diagnostic
from ixion.nasl.runtime.evaluate import EXPRESSIONS
from ixion.nasl.runtime.execute import STATEMENTS
from ixion.nasl.runtime.includes import IncludeNotFound, Includes
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.runtime.run import Call
from ixion.nasl.runtime.values import Value
from ixion.nasl.syntax import ast
from ixion.nasl.syntax.errors import NaslRuntimeError, NaslSyntaxError
from ixion.nasl.syntax.parser import parse
from tests.nasl.harness import FakeClock, run_source

P = ast.Pos(1, 1)


def run(source: bytes, **options: object) -> tuple[bytes, list[Diagnostic], ScriptResult]:
    output = bytearray()
    diagnostics: list[Diagnostic] = []
    interpreter = Interpreter(
        output=output.extend, diagnostics=diagnostics.append, clock=FakeClock(), kb=MemoryKB()
    )
    result = interpreter.run(parse(source, "t.nasl"), source=source, **options)  # type: ignore[arg-type]
    return bytes(output), diagnostics, result


def test_every_node_type_has_a_handler() -> None:
    assert set(EXPRESSIONS) == set(typing.get_args(ast.Expr))
    assert set(STATEMENTS) == set(typing.get_args(ast.Statement))


def test_nested_indexes_read_and_write_like_one_level_twice() -> None:
    def var(name: str) -> ast.Variable:
        return ast.Variable(P, name)

    def index(target: ast.Expr, i: int) -> ast.Index:
        return ast.Index(P, target, ast.Integer(P, i))

    def show(expr: ast.Expr) -> ast.Statement:
        return ast.ExprStatement(P, ast.Call(P, "display", (ast.Argument(P, None, expr),)))

    program = ast.Program(
        P,
        "t.nasl",
        (
            ast.ExprStatement(
                P, ast.Assign(P, "=", index(index(var("a"), 1), 2), ast.Integer(P, 7))
            ),
            show(index(index(var("a"), 1), 2)),
            show(ast.Call(P, "typeof", (ast.Argument(P, None, index(var("a"), 1)),))),
            ast.ExprStatement(
                P, ast.Assign(P, "=", index(ast.Call(P, "f", ()), 0), ast.Integer(P, 1))
            ),
        ),
    )
    output = bytearray()
    warnings: list[Diagnostic] = []
    Interpreter(output=output.extend, diagnostics=warnings.append).run(program)
    assert output == b"7array"
    assert [w.message for w in warnings] == ["this expression cannot be assigned to"]


def test_diagnostics_name_file_line_and_column() -> None:
    _, diagnostics, _ = run(b"x = 1;\n  y = nosuch(1);\n")
    assert diagnostics == [
        Diagnostic("warning", "undefined function 'nosuch'", "t.nasl", 2, 7),
    ]
    assert str(diagnostics[0]) == "t.nasl:2:7: warning: undefined function 'nosuch'"


def test_a_runtime_error_shows_the_offending_line() -> None:
    with pytest.raises(NaslRuntimeError) as caught:
        run(b"x = 1;\nx = make_list(1) * 2;\n")
    err = caught.value
    assert (err.filename, err.line, err.column) == ("t.nasl", 2, 5)
    assert err.source_line == "x = make_list(1) * 2;"
    assert "an array cannot be used as an integer" in str(err)


def test_each_fork_has_its_exit_code() -> None:
    kb = MemoryKB([("K", 1), ("K", 2)])
    source = b"k = get_kb_item('K'); if (k == 2) exit(20); exit(k);"
    result = Interpreter(kb=kb).run(parse(source), source=source)
    assert result.exit_codes == (20, 1)
    assert result.runs == 2
    assert Interpreter().run(parse(b"x = 1;")).exit_codes == (None,)


def test_run_flags_reach_the_script() -> None:
    output, _, _ = run(
        b'display(description, COMMAND_LINE, " ", SCRIPT_NAME);',
        description=True,
        command_line=True,
    )
    assert output == b"11 t.nasl"


def test_report_builtins_can_reach_the_host_and_are_quiet_in_replays() -> None:
    def security_note(call: Call) -> Value:
        call.rt.report(Report("note", call.integer("port", 0), "tcp", call.text("data") or b""))
        return None

    reports: list[Report] = []
    host = TargetHost("127.0.0.1", on_report=reports.append)
    library = {**standard_library(), "security_note": security_note}
    source = (
        b'security_note(port: 1, data: "once");'
        b'p = get_kb_item("P");'
        b'security_note(port: p, data: "each");'
    )
    kb = MemoryKB([("P", 80), ("P", 443)])
    Interpreter(kb=kb, host=host, builtins=library).run(parse(source))
    assert [(r.port, r.data) for r in reports] == [(1, b"once"), (443, b"each"), (80, b"each")]


def test_includes_are_parsed_once_and_shared(tmp_path: Path) -> None:
    (tmp_path / "lib.inc").write_bytes(b"function lib() { return 1; }\n")
    includes = Includes([tmp_path])
    first, _ = includes.load(b"lib.inc", None)
    second, _ = includes.load(b"lib.inc", None)
    assert first is second
    assert run_source(b'include("lib.inc"); display(lib());', includes=includes) == b"1"
    assert run_source(b'include("lib.inc"); display(lib());', includes=includes) == b"1"


def test_include_names_must_be_plain_file_names(tmp_path: Path) -> None:
    includes = Includes([tmp_path])
    for name in (b"../etc/passwd", b"sub/x.inc", b"a\\b.inc", b"", b"x\0.inc"):
        with pytest.raises(IncludeNotFound):
            includes.load(name, tmp_path)


def test_an_include_that_does_not_parse_is_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "bad.inc").write_bytes(b"x = ;\n")
    with pytest.raises(NaslSyntaxError) as caught:
        Interpreter(includes=Includes([tmp_path])).run(parse(b'include("bad.inc");'))
    assert caught.value.filename == "bad.inc"


def test_pythons_recursion_limit_becomes_a_nasl_error() -> None:
    expr: ast.Expr = ast.Integer(P, 1)
    for _ in range(sys.getrecursionlimit() + 10):
        expr = ast.Unary(P, "-", expr)
    program = ast.Program(
        P, "t.nasl", (ast.ExprStatement(P, ast.Assign(P, "=", ast.Variable(P, "x"), expr)),)
    )
    with pytest.raises(NaslRuntimeError, match="nested too deep"):
        Interpreter(limits=Limits(max_call_depth=1)).run(program)


@pytest.mark.parametrize(
    ("source", "warning", "output"),
    [
        (b's = "abc"; display(isnull(s["k"]));', "a string cannot be indexed by string", b"1"),
        (b's = "abc"; display(isnull(s[-1]));', "negative index -1 into a string", b"1"),
        (b"a[make_list(1)] = 1;", "an array cannot be used as an index", b""),
        (b"a = make_list(1); a++;", "an array cannot be incremented or decremented", b""),
        (b'foreach x ("abc") display(x);', "foreach over string, not an array", b""),
    ],
)
def test_evaluator_corners_warn_and_go_on(source: bytes, warning: str, output: bytes) -> None:
    printed, diagnostics, _ = run(source)
    assert [d.message for d in diagnostics] == [warning]
    assert printed == output


def test_bitwise_not_and_unary_minus() -> None:
    assert run(b"display(~5, -(-3));")[0] == b"-63"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"x = -make_list(1);", "an array cannot be used as an integer"),
        (b"function f() {} f() x make_list(2);", "an array cannot be used as an integer"),
        (b"x = make_list(1) + 1;", "an array cannot be added to or subtracted from an integer"),
    ],
)
def test_operations_c_cannot_perform_end_the_script(source: bytes, message: str) -> None:
    with pytest.raises(NaslRuntimeError, match=message):
        run(source)


def test_local_var_and_global_var_may_initialise() -> None:
    output, _, _ = run(b"function f() { local_var a = 1; global_var g = a + 1; } f(); display(g);")
    assert output == b"2"


def test_without_sinks_output_and_diagnostics_go_nowhere() -> None:
    assert Interpreter().run(parse(b'display("x"); nosuch();')).exit_codes == (None,)


def test_the_system_clock_is_the_machines() -> None:
    clock = SYSTEM_CLOCK
    clock.sleep(0)
    assert clock.monotonic() >= 0
    now = int(clock.time())
    assert clock.calendar(now, utc=True).tm_year >= 2024
    local = clock.calendar(now, utc=False)
    fields = (local.tm_year, local.tm_mon, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec)
    assert clock.mktime((*fields, 0, 0, -1)) == now


class TickingClock(FakeClock):
    """A clock that moves a second each time the interpreter looks at it."""

    def monotonic(self) -> float:
        self.elapsed += 1
        return self.elapsed


def test_the_deadline_is_checked_as_steps_go_by() -> None:
    interpreter = Interpreter(clock=TickingClock(), limits=Limits(timeout=5))
    with pytest.raises(NaslRuntimeError, match=r"deadline passed \(timeout=5s\)") as caught:
        interpreter.run(parse(b"while (TRUE) i++;"))
    assert caught.value.line == 1


def test_on_exit_may_itself_exit() -> None:
    output, _, result = run(b'function on_exit() { display("a"); exit(3); display("b"); } exit(1);')
    assert output == b"a"
    assert result.exit_codes == (1,)
