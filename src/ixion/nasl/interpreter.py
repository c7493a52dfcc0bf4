"""Running a parsed NASL script: the public entry point of the interpreter.

:class:`Interpreter` holds what does not change from one script to the next (built-ins,
the KB and host, limits, include files, where output and diagnostics go); :meth:`run`
executes one script, as often as its forks require (:mod:`~ixion.nasl.runtime.forking`), each run
followed by the script's ``on_exit`` function if it defined one (nasl.md §2.4).

Everything a script can do wrong ends in a :class:`~ixion.nasl.syntax.errors.NaslError`, never in
another exception: limit violations, failed includes, and Python's own recursion and
memory limits, which a hostile script could otherwise reach.

Tracing (``ixion-nasl -T``) costs nothing when it is off: with a trace hook, the statement
table is replaced by one whose handlers call the hook first; without, the table is the
plain one and no statement tests a flag.
"""

from __future__ import annotations

import contextlib
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ixion.nasl.builtins import standard_library
from ixion.nasl.runtime.calls import invoke
from ixion.nasl.runtime.clock import SYSTEM_CLOCK, Clock
from ixion.nasl.runtime.context import Context
from ixion.nasl.runtime.control import BreakLoop, ContinueLoop, ExitScript, ReturnValue
from ixion.nasl.runtime.evaluate import EXPRESSIONS
from ixion.nasl.runtime.execute import STATEMENTS
from ixion.nasl.runtime.forking import Replay, ReplayDiverged
from ixion.nasl.runtime.includes import Includes
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.runtime.limits import Limits, stop_watching
from ixion.nasl.runtime.predefined import CONSTANTS, run_variables
from ixion.nasl.runtime.run import Runtime, Services
from ixion.nasl.syntax.ast import Block
from ixion.nasl.syntax.errors import NaslRuntimeError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ixion.nasl.network.host import Host
    from ixion.nasl.runtime.diagnostics import Diagnostic, DiagnosticSink
    from ixion.nasl.runtime.kb import KnowledgeBase
    from ixion.nasl.runtime.run import Builtin
    from ixion.nasl.syntax import ast

__all__ = ["Interpreter", "ScriptResult", "TraceHook"]

#: Called before each statement runs: file name, position, the statement's first line.
TraceHook = Callable[[str, "ast.Pos", str], None]
#: The longest statement text a trace line shows.
_TRACE_WIDTH: Final = 120

#: Python frames one level of NASL calls takes at most (call, body, statement, nested
#: blocks, expression): the interpreter raises Python's recursion limit, process-wide and
#: never back down, until ``max_call_depth`` levels fit. Python 3.11 keeps such frames
#: off the C stack, so a high limit costs only memory.
_FRAMES_PER_CALL: Final = 50


@dataclass(frozen=True, slots=True)
class ScriptResult:
    """How a script ended: one exit code per run (None: it ended without ``exit()``)."""

    exit_codes: tuple[int | None, ...]

    @property
    def runs(self) -> int:
        return len(self.exit_codes)


def _ignore(_: Diagnostic | bytes) -> None:
    pass


class Interpreter:
    """Runs NASL scripts against one KB and one host."""

    def __init__(
        self,
        *,
        kb: KnowledgeBase | None = None,
        host: Host | None = None,
        limits: Limits | None = None,
        includes: Includes | None = None,
        builtins: Mapping[str, Builtin] | None = None,
        output: Callable[[bytes], None] = _ignore,
        diagnostics: DiagnosticSink = _ignore,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        trusted: bool = False,
        script_oid: bytes | None = None,
        preferences: Mapping[str, bytes] | None = None,
        trace: TraceHook | None = None,
    ) -> None:
        self.kb: KnowledgeBase = kb if kb is not None else MemoryKB()
        self.host = host
        self.limits = limits if limits is not None else Limits()
        self.includes = includes if includes is not None else Includes()
        self.builtins = builtins if builtins is not None else standard_library()
        self.output = output
        self.diagnostics = diagnostics
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        #: Whether the script may use the file and command built-ins (default: no).
        self.trusted = trusted
        self.script_oid = script_oid
        self.preferences = dict(preferences) if preferences is not None else {}
        self.statements = STATEMENTS if trace is None else _traced(trace)

    def run(
        self,
        program: ast.Program,
        *,
        source: bytes = b"",
        directory: Path | None = None,
        description: bool = False,
        command_line: bool = False,
    ) -> ScriptResult:
        """Run ``program`` (parsed from ``source``, found in ``directory``) to its end.

        Raises:
            NaslError: a run-time error or an include that does not parse; the runs
                before it have had their effects.
        """
        services = Services(
            limits=self.limits,
            builtins=self.builtins,
            kb=self.kb,
            host=self.host,
            clock=self.clock,
            random=self.rng,
            includes=self.includes,
            script_directory=directory,
            output=self.output,
            diagnostics=self.diagnostics,
            expressions=EXPRESSIONS,
            statements=self.statements,
            sources={program.filename: source},
            trusted=self.trusted,
            script_oid=self.script_oid,
            preferences=self.preferences,
        )
        timeout = self.limits.timeout
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        variables = {
            **CONSTANTS,
            **run_variables(program.filename, description=description, command_line=command_line),
        }
        needed = self.limits.max_call_depth * _FRAMES_PER_CALL + 1000
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)
        replay = Replay()
        codes: list[int | None] = []
        while True:
            rt = Runtime(services, replay, program.filename, deadline)
            rt.root.vars.update(variables)
            codes.append(_run_once(rt, program))
            fork = replay.advance()
            if fork is None:
                return ScriptResult(tuple(codes))
            if replay.runs >= self.limits.max_runs:
                filename, line, column = fork
                raise NaslRuntimeError(
                    f"the script forks into too many runs (max_runs={self.limits.max_runs})",
                    filename=filename,
                    line=line,
                    column=column,
                )


def _run_once(rt: Runtime, program: ast.Program) -> int | None:
    """One run, with Python's own limits turned into NASL errors at the current place.

    However the run ends, the sockets it opened are closed, its values are let go, and
    then the memory watcher lets it go.
    """
    try:
        return _checked_run(rt, program)
    except NaslRuntimeError as err:
        _forget_values(err)
        raise
    finally:
        rt.connections.close_all()
        rt.root = rt.ctx = Context()
        stop_watching(rt)


def _checked_run(rt: Runtime, program: ast.Program) -> int | None:
    try:
        return _run_script(rt, program)
    except RecursionError:
        raise rt.error("expressions or calls nested too deep") from None
    except MemoryError:
        raise rt.error("out of memory") from None
    except ReplayDiverged as err:
        raise rt.error(f"internal error: {err}") from None


def _forget_values(err: BaseException) -> None:
    """Clear the finished frames an error holds (and the error it replaced, if any).

    Their locals are the script's values: a script stopped at its memory budget would
    otherwise keep them alive as long as its caller keeps the error, after the watcher
    let the run go, and a neighbour still running would be blamed for them.
    """
    seen: BaseException | None = err
    while seen is not None:
        traceback.clear_frames(seen.__traceback__)
        seen = seen.__context__


def _run_script(rt: Runtime, program: ast.Program) -> int | None:
    """The main part, then ``on_exit``; the code ``exit()`` was given, if any."""
    rt.replay.start_run()
    code = None
    try:
        for statement in program.body:
            rt.execute(statement)
    except ExitScript as exited:
        code = exited.code
    except (ReturnValue, BreakLoop, ContinueLoop):
        pass  # outside any function these end the main part (C's flags reach the root)
    on_exit = rt.root.find_function("on_exit")
    if on_exit is not None:
        with contextlib.suppress(ExitScript):
            invoke(rt, on_exit, [], {}, pos=program.pos)
    return code


def _traced(trace: TraceHook) -> dict[type, Callable[[Runtime, Any], None]]:
    """The statement table with ``trace`` called before every statement but blocks."""

    def wrap(handler: Callable[[Runtime, Any], None]) -> Callable[[Runtime, Any], None]:
        def traced(rt: Runtime, node: ast.Statement) -> None:
            if not rt.replay.replaying:
                trace(rt.file, node.pos, _statement_text(rt, node.pos.line))
            handler(rt, node)

        return traced

    return {
        kind: handler if kind is Block else wrap(handler) for kind, handler in STATEMENTS.items()
    }


def _statement_text(rt: Runtime, line: int) -> str:
    source = rt.services.sources.get(rt.file, b"")
    lines = source.split(b"\n")
    text = lines[line - 1].strip() if 0 < line <= len(lines) else b""
    shown = text.decode("utf-8", "replace")
    return shown if len(shown) <= _TRACE_WIDTH else shown[: _TRACE_WIDTH - 3] + "..."
