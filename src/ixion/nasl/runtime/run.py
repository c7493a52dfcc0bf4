"""The state of one run of a script, and the services its code and built-ins use.

A :class:`Runtime` lives for one run (each fork is a run, :mod:`~ixion.nasl.runtime.forking`): the
contexts, the step count, the current file and position. It is also the hub the
evaluator, the statement executor and the built-ins share, which keeps those modules free
of each other: they call ``rt.evaluate()``, ``rt.execute()``, ``rt.warn()`` and so on.

Everything with an effect outside the run (display output, KB writes, reports, warnings)
goes through a method here that drops it while the run replays an earlier one, and every
read a replay must repeat exactly (KB, clock, random numbers) goes through :meth:`observe`.

The memory budget (``Limits.max_memory``) compares the process's resident set with the one
measured when the script started, at three kinds of moments, so that a script cannot run
far past it: every 1024 steps, with the deadline; as soon as 1 MiB of new strings, KB
values or built-in results has been made since the last look (:meth:`Runtime.check_string`
and friends see every string an operator or built-in makes), so string growth overshoots
by at most 1 MiB plus one value; and every 10 ms from a watcher thread
(:func:`~ixion.nasl.runtime.limits.watch_memory`), for what no check sees (array copies, a
built-in's own buffers), which calls :meth:`Runtime.memory_alarm` so that the run looks at
its next step. Watching costs the run nothing: the alarm only lowers the step count at
which the run looks next, a comparison every step makes anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

from ixion.nasl.runtime.connections import Connections
from ixion.nasl.runtime.context import Context
from ixion.nasl.runtime.diagnostics import Diagnostic, Severity
from ixion.nasl.runtime.limits import is_culprit, resident_after_trim, resident_bytes, watch_memory
from ixion.nasl.runtime.regex import RegexTimeout, search
from ixion.nasl.runtime.values import NaslArray, Value, atol, to_text
from ixion.nasl.syntax.errors import NaslRuntimeError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from random import Random

    from regex import Match, Pattern

    from ixion.nasl.network.host import Host, Report
    from ixion.nasl.runtime.clock import Clock
    from ixion.nasl.runtime.diagnostics import DiagnosticSink
    from ixion.nasl.runtime.forking import Replay
    from ixion.nasl.runtime.includes import Includes
    from ixion.nasl.runtime.kb import KbValue, KnowledgeBase
    from ixion.nasl.runtime.limits import Limits
    from ixion.nasl.syntax import ast

__all__ = ["ArgKey", "Builtin", "Call", "Runtime", "Services"]

T = TypeVar("T")
#: How many steps pass between two looks at the clock: cheap enough, and a second of
#: Python runs some hundred thousand steps, so the deadline is still met to the second.
_CLOCK_EVERY = 1024
#: Bytes of new strings (and KB values, built-in results) after which the resident set is
#: read again: a reading costs about 1.5 µs, making 1 MiB some 100 µs of copying.
_MEASURE_EVERY: Final = 1024 * 1024
#: What a built-in's array result is taken to cost per element (pointer and small value).
_ELEMENT_BYTES: Final = 64


@dataclass(frozen=True, slots=True)
class Services:
    """What every run of a script shares: configuration and the outside world."""

    limits: Limits
    builtins: Mapping[str, Builtin]
    kb: KnowledgeBase
    host: Host | None
    clock: Clock
    random: Random
    includes: Includes
    #: The directory of the script being run: the last place ``include`` looks.
    script_directory: Path | None
    output: Callable[[bytes], None]
    diagnostics: DiagnosticSink
    #: Tree-walking tables: node type -> handler(runtime, node).
    expressions: Mapping[type, Callable[[Runtime, Any], Value]]
    statements: Mapping[type, Callable[[Runtime, Any], None]]
    #: Source text by file name, for the line shown under an error.
    sources: dict[str, bytes] = field(default_factory=dict)
    #: A trusted run may use the file and command built-ins (``unsafe``); uploaded
    #: plugins never are (nasl.md §3, "Unsafe").
    trusted: bool = False
    #: The OID of the script running, when the run knows it (``get_script_oid()``).
    script_oid: bytes | None = None
    #: Scan preferences by name (``get_preference()``, ``safe_checks()``).
    preferences: Mapping[str, bytes] = field(default_factory=dict)
    #: The resident set when the script started (None: unknown), measured here because
    #: these services are made once per script: the memory budget covers every fork,
    #: and the KB values earlier forks wrote.
    memory_baseline: int | None = field(default_factory=resident_bytes)


class Runtime:
    """One run: contexts, budget, position; see the module docstring."""

    __slots__ = (
        "__weakref__",
        "_checkpoint",
        "_expressions",
        "_fresh",
        "_memory_ceiling",
        "_statements",
        "allocated",
        "connections",
        "ctx",
        "deadline",
        "depth",
        "file",
        "here",
        "replay",
        "root",
        "services",
        "steps",
    )

    def __init__(self, services: Services, replay: Replay, filename: str, deadline: float | None):
        self.services = services
        self.replay = replay
        self.root = Context()
        self.ctx = self.root
        #: The file whose code runs now, and the last statement or call reached in it:
        #: where a message without a position of its own points.
        self.file = filename
        self.here: ast.Pos | None = None
        self.steps = 0
        self.depth = 0
        self.deadline = deadline
        #: The sockets this run opened; the interpreter closes them when the run ends.
        self.connections = Connections()
        # Hot-path copies: every node goes through one of these tables, every step
        # through the comparison with the next step that needs a closer look.
        self._expressions = services.expressions
        self._statements = services.statements
        self._checkpoint = min(_CLOCK_EVERY, services.limits.max_steps + 1)
        #: Bytes of values made since the resident set was last read.
        self._fresh = 0
        #: Bytes of new values this run made and counted so far (its share of the blame
        #: when the process outgrows a budget: :func:`~ixion.nasl.runtime.limits.is_culprit`).
        self.allocated = 0
        budget, baseline = services.limits.max_memory, services.memory_baseline
        #: The resident set past which the run ends (None: no budget).
        self._memory_ceiling = None if budget is None or baseline is None else baseline + budget
        if self._memory_ceiling is not None:
            watch_memory(self)

    # --- walking the tree ---------------------------------------------------------------

    def evaluate(self, node: ast.Expr) -> Value:
        return self._expressions[type(node)](self, node)

    def execute(self, node: ast.Statement) -> None:
        self.here = node.pos
        self.steps += 1
        if self.steps >= self._checkpoint:
            self._check_budget(node.pos)
        self._statements[type(node)](self, node)

    def tick(self, pos: ast.Pos) -> None:
        """Count a step (a call); end the script when the budget or the deadline is spent."""
        self.here = pos
        self.steps += 1
        if self.steps >= self._checkpoint:
            self._check_budget(pos)

    def _check_budget(self, pos: ast.Pos) -> None:
        limit = self.services.limits.max_steps
        if self.steps > limit:
            raise self.error(f"step budget exhausted (max_steps={limit})", pos)
        self.check_deadline(pos)
        self.check_memory(pos)
        self._checkpoint = min(self.steps + _CLOCK_EVERY, limit + 1)

    def check_deadline(self, pos: ast.Pos | None = None) -> None:
        if self.deadline is not None and self.services.clock.monotonic() > self.deadline:
            raise self._deadline_passed(pos)

    def search(
        self, pattern: Pattern[bytes], subject: bytes, position: int = 0, pos: ast.Pos | None = None
    ) -> Match[bytes] | None:
        """A regular-expression search that ends with the script's deadline, at the latest."""
        timeout = None
        if self.deadline is not None:
            timeout = max(self.deadline - self.services.clock.monotonic(), 0.0)
        try:
            return search(pattern, subject, position, timeout=timeout)
        except RegexTimeout:
            raise self._deadline_passed(pos) from None

    def _deadline_passed(self, pos: ast.Pos | None = None) -> NaslRuntimeError:
        return self.error(f"deadline passed (timeout={self.services.limits.timeout}s)", pos)

    # --- limits and errors -------------------------------------------------------------

    def check_memory(self, pos: ast.Pos | None = None) -> None:
        """End the script if the process has grown past its memory budget since it began,
        unless another script running meanwhile made more of the new values."""
        self.allocated += self._fresh
        self._fresh = 0
        ceiling = self._memory_ceiling
        if ceiling is None:
            return
        resident = resident_bytes()
        if resident is None or resident <= ceiling or not is_culprit(self):
            return
        resident = resident_after_trim()
        if resident is not None and resident > ceiling:
            limits, baseline = self.services.limits, self.services.memory_baseline
            grown = (resident - (baseline or 0)) >> 20
            raise self.error(
                f"memory budget exhausted: the process grew by {grown} MiB while the script "
                f"ran (max_memory={limits.max_memory})",
                pos,
            )

    def memory_alarm(self, resident: int) -> None:
        """From the watcher thread: past the ceiling, look at the next step (and end there).

        Only the step count of the next look changes, never the run's flow: the run reads
        the resident set again itself, raises with its own position, or, if memory went
        down meanwhile, sets its next look as usual.
        """
        ceiling = self._memory_ceiling
        if ceiling is not None and resident > ceiling:
            self._checkpoint = 0

    def count_new(self, size: int, pos: ast.Pos | None = None) -> None:
        """Count ``size`` bytes of new values; read the resident set once they add up."""
        self._fresh += size
        if self._fresh >= _MEASURE_EVERY:
            self.check_memory(pos)

    def check_string(self, data: bytes, pos: ast.Pos | None = None) -> bytes:
        """Apply ``max_string`` to a string just made, and count it as new memory.

        Every ``+`` on strings comes here, so :meth:`count_new` is written out inline.
        """
        size = len(data)
        limit = self.services.limits.max_string
        if size > limit:
            raise self.error(f"string of {size} bytes is too long (max_string={limit})", pos)
        self._fresh += size
        if self._fresh >= _MEASURE_EVERY:
            self.check_memory(pos)
        return data

    def check_array(self, size: int, pos: ast.Pos | None = None) -> None:
        limit = self.services.limits.max_array
        if size > limit:
            raise self.error(f"array of {size} elements is too large (max_array={limit})", pos)

    def check_value(self, value: Value, pos: ast.Pos | None = None) -> Value:
        """Apply the size limits to what a built-in returned."""
        if isinstance(value, bytes):
            self.check_string(value, pos)
        elif isinstance(value, NaslArray):
            size = len(value)
            self.check_array(size, pos)
            self.count_new(size * _ELEMENT_BYTES, pos)
        return value

    def error(self, message: str, pos: ast.Pos | None = None) -> NaslRuntimeError:
        """An error ending the script, at ``pos`` (default: :attr:`here`), to raise."""
        line, column = self._where(pos)
        return NaslRuntimeError(
            message,
            filename=self.file,
            line=line,
            column=column,
            source_line=self._source_line(line),
        )

    def warn(self, message: str, pos: ast.Pos | None = None) -> None:
        self._diagnose("warning", message, pos)

    def report_error(self, message: str, pos: ast.Pos | None = None) -> None:
        """A fault C reports but survives (e.g. a function defined twice)."""
        self._diagnose("error", message, pos)

    def _diagnose(self, severity: Severity, message: str, pos: ast.Pos | None) -> None:
        if self.replay.replaying:
            return
        line, column = self._where(pos)
        self.services.diagnostics(Diagnostic(severity, message, self.file, line, column))

    def _where(self, pos: ast.Pos | None) -> tuple[int, int]:
        pos = pos if pos is not None else self.here
        return (pos.line, pos.column) if pos is not None else (0, 0)

    def _source_line(self, line: int) -> str:
        source = self.services.sources.get(self.file)
        if source is None or line <= 0:
            return ""
        lines = source.split(b"\n")
        text = lines[line - 1] if line <= len(lines) else b""
        return text.rstrip(b"\r").decode("utf-8", "replace")

    # --- the world outside the run -----------------------------------------------------

    def display(self, data: bytes) -> None:
        if not self.replay.replaying:
            self.services.output(data)

    def observe(self, read: Callable[[], T]) -> T:
        """Read something a replay must see again unchanged (KB, clock, randomness)."""
        return self.replay.record(read)

    def fork(self, count: int) -> int:
        """At a fork point with ``count`` values: the index this run continues with."""
        line, column = self._where(None)
        return self.replay.choose(count, (self.file, line, column))

    def kb_values(self, name: str) -> tuple[KbValue, ...]:
        kb = self.services.kb
        return self.observe(lambda: tuple(kb.get_values(name)))

    def kb_matching(self, pattern: str) -> tuple[tuple[str, KbValue], ...]:
        kb = self.services.kb
        return self.observe(lambda: tuple(kb.matching(pattern)))

    def kb_write(self, name: str, value: KbValue, *, replace: bool) -> None:
        if self.replay.replaying:
            return
        kb = self.services.kb
        (kb.replace if replace else kb.add)(name, value)
        if isinstance(value, bytes):  # the KB may keep a copy: it counts as made
            self.count_new(len(value))

    def report(self, report: Report) -> None:
        """Hand a finding to the host: the one way report built-ins reach it.

        Dropped while replaying (the earlier run reported it) and when there is no host
        (a description-only run).
        """
        host = self.services.host
        if host is not None and not self.replay.replaying:
            host.report(report)

    def sleep(self, seconds: float) -> None:
        """Sleep, but not past the deadline, and not again while replaying."""
        if self.replay.replaying or seconds <= 0:
            return
        clock = self.services.clock
        if self.deadline is not None and clock.monotonic() + seconds > self.deadline:
            clock.sleep(max(0.0, self.deadline - clock.monotonic()))
            raise self._deadline_passed()
        clock.sleep(seconds)

    def function_exists(self, name: str) -> bool:
        return self.ctx.find_function(name) is not None or name in self.services.builtins


ArgKey: TypeAlias = "int | str"


class Call:
    """A built-in call's positional and named arguments, and the run it happens in (beside
    :class:`Runtime`, as each names the other). :meth:`integer` (``atol`` on strings),
    :meth:`text` and :meth:`size` read them as C's ``get_*_var_by_*`` helpers do."""

    __slots__ = ("named", "positional", "rt")

    def __init__(self, rt: Runtime, positional: list[Value], named: dict[str, Value]) -> None:
        self.rt = rt
        self.positional = positional
        self.named = named

    def __getitem__(self, key: ArgKey) -> Value:
        """The argument, or undef if it was not given."""
        if isinstance(key, int):
            return self.positional[key] if key < len(self.positional) else None
        return self.named.get(key)

    def integer(self, key: ArgKey, default: int) -> int:
        value = self[key]
        if isinstance(value, int):
            return value
        return atol(value) if isinstance(value, bytes) else default

    def text(self, key: ArgKey) -> bytes | None:
        return to_text(self[key])

    def size(self, key: ArgKey) -> int:
        value = self[key]
        return len(value) if isinstance(value, bytes) else 0

    def warn(self, message: str) -> None:
        """A warning at the call's position."""
        self.rt.warn(message)


#: A built-in function: its call's arguments in, a NASL value out.
Builtin: TypeAlias = "Callable[[Call], Value]"
