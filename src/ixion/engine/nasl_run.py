"""Running a NASL script as one plugin of a host's scan.

The interpreter is synchronous: it blocks on sockets and walks the tree in Python. A host's
plugins share one event loop, so each NASL script runs in a thread of its own while the loop
goes on with the others; :class:`NaslRun` is the coroutine the scheduler awaits.

What crosses from the script's thread to the loop, and how:

* findings go through ``loop.call_soon_threadsafe``: the loop alone writes events and
  ``SentData``/``Success`` KB items, so events never interleave on the worker's pipe;
* KB reads and writes go to the host's KB directly (:class:`EngineKB`): single dict
  operations under the GIL, and :meth:`~ixion.plugin_api.kb.KnowledgeBase.matching` iterates
  over a snapshot;
* stopping: when the scheduler's timeout cancels the coroutine, the script's clock jumps past
  every deadline (:class:`StoppableClock`), so the interpreter ends at its next step, and any
  sleep wakes at once. A socket read still waits out its own short timeout.

A script's error (a limit, a bad include, a run-time fault) ends that script only: it
becomes a :class:`~ixion.plugin_api.plugin.PluginError` naming file, line and column.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.context import HostContext
from ixion.engine.job import effective_timeout
from ixion.engine.nasl_hooks import engine_builtins, script_preferences
from ixion.nasl.interpreter import Interpreter
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.runtime.clock import SystemClock
from ixion.nasl.runtime.includes import Includes
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.syntax.errors import NaslError
from ixion.nasl.syntax.parser import parse
from ixion.plugin_api.kb import kb_bytes, kb_text
from ixion.plugin_api.plugin import PluginError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from ixion.nasl.network.host import Report
    from ixion.nasl.runtime.diagnostics import Diagnostic
    from ixion.nasl.runtime.kb import KbValue
    from ixion.plugin_api.context import PluginContext
    from ixion.plugin_api.kb import KbValue as EngineValue
    from ixion.plugin_api.kb import KnowledgeBase

__all__ = ["DiagnosticLog", "EngineKB", "NaslRun", "StoppableClock"]

log = logging.getLogger(__name__)

#: Seconds the interpreter's own deadline lies past the scheduler's: the scheduler's timeout
#: is the one that reports "timeout after N s"; the interpreter's is a backstop.
_DEADLINE_SLACK: Final = 1.0
#: A script with a timeout may take steps for as long as it may take time: the feed's
#: directory scanner de-duplicates its few thousand candidate paths pairwise (about ten
#: million steps, a second of C), which the interpreter's default budget cut short.
#: The timeout is what bounds a run; this keeps the budget from ending it first.
STEPS_PER_SECOND: Final = 1_000_000
#: Longest display() output kept in the log per call.
_DISPLAY_LOGGED: Final = 512
_UNDEFINED: Final = re.compile(r"undefined function '(.+)'")


def to_nasl(value: EngineValue) -> KbValue:
    """An engine KB value as NASL sees it: text becomes the bytes it stands for."""
    return value if isinstance(value, int) else kb_bytes(value)


def to_engine(value: KbValue) -> EngineValue:
    """NASL data as engine text, byte for byte (:func:`ixion.plugin_api.kb.kb_text`)."""
    return value if isinstance(value, int) else kb_text(value)


class EngineKB:
    """The host's KB behind NASL's KB protocol (:class:`ixion.nasl.runtime.kb.KnowledgeBase`)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def get_values(self, name: str) -> Sequence[KbValue]:
        return tuple(map(to_nasl, self._kb.values(name)))

    def matching(self, pattern: str) -> Iterable[tuple[str, KbValue]]:
        return [(name, to_nasl(value)) for name, value in self._kb.matching(pattern)]

    def add(self, name: str, value: KbValue) -> None:
        self._kb.add(name, to_engine(value))

    def replace(self, name: str, value: KbValue) -> None:
        self._kb.replace(name, to_engine(value))


class StoppableClock(SystemClock):
    """The system clock, until :meth:`stop`: then every deadline has passed, at once."""

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def monotonic(self) -> float:
        return float("inf") if self._stopped.is_set() else super().monotonic()

    def sleep(self, seconds: float) -> None:
        self._stopped.wait(seconds)


@dataclass(frozen=True, slots=True)
class NaslRun:
    """A NASL plugin's ``run``: the script's file and where its includes are found."""

    path: Path
    include_dirs: tuple[Path, ...]
    oid: str

    async def __call__(self, ctx: PluginContext) -> None:
        if not isinstance(ctx, HostContext):  # the engine's own bridge: it needs the job
            raise TypeError(f"a NASL plugin runs in the engine's context, not {ctx!r}")
        host_ctx = ctx
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        clock = StoppableClock()

        def finish(error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def on_report(report: Report) -> None:
            _call_in_loop(loop, _report, host_ctx, report)

        def main() -> None:
            try:
                self._run(host_ctx, loop, clock, on_report)
            except BaseException as error:
                _call_in_loop(loop, finish, error)
            else:
                _call_in_loop(loop, finish, None)

        thread = threading.Thread(target=main, name=f"nasl:{self.path.name}", daemon=True)
        thread.start()
        try:
            await done
        finally:
            clock.stop()

    def _run(
        self,
        ctx: HostContext,
        loop: asyncio.AbstractEventLoop,
        clock: StoppableClock,
        on_report: Callable[[Report], None],
    ) -> None:
        seconds = effective_timeout(ctx.info, ctx.job)
        names = () if _is_address(ctx.host) else (ctx.host,)
        interpreter = Interpreter(
            kb=EngineKB(ctx.kb),
            host=TargetHost(ctx.address, names, on_report=on_report),
            limits=_limits(seconds),
            includes=shared_includes(self.include_dirs),
            builtins=engine_builtins(ctx, loop),
            output=lambda data: ctx.log.debug("display: %r", data[:_DISPLAY_LOGGED]),
            diagnostics=DiagnosticLog(ctx.log, self.path.name),
            clock=clock,
            trusted=False,
            script_oid=self.oid.encode() or None,
            preferences=script_preferences(ctx),
        )
        try:
            source = self.path.read_bytes()
            program = parse(source, self.path.name)
            interpreter.run(program, source=source, directory=self.path.parent)
        except NaslError as error:
            raise PluginError(str(error).splitlines()[0]) from None
        except OSError as error:
            raise PluginError(f"cannot read {self.path}: {error.strerror}") from None


_SHARED_INCLUDES: dict[tuple[Path, ...], Includes] = {}


def shared_includes(dirs: tuple[Path, ...]) -> Includes:
    """One :class:`Includes` per set of directories in this process: every script using
    ``http_func.inc`` shares its parsed tree."""
    return _SHARED_INCLUDES.setdefault(dirs, Includes(dirs))


def _call_in_loop(
    loop: asyncio.AbstractEventLoop, function: Callable[..., None], *args: object
) -> None:
    """Have the loop's thread call ``function``, unless the loop is gone: a script stopped
    late finishes after its host's scan, and what it says then has no one to go to."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(function, *args)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _report(ctx: HostContext, report: Report) -> None:
    """A finding of the script, on the loop's thread (``security_*``, ``log_message``)."""
    data = kb_text(report.data) if report.data else None
    port = report.port if 0 < report.port <= 65535 else 0
    protocol = report.protocol or "tcp"
    if report.kind == "hole":
        ctx.hole(data, port=port, proto=protocol)
    elif report.kind == "warning":
        ctx.warning(data, port=port, proto=protocol)
    elif report.kind in ("note", "log"):
        ctx.note(data, port=port, proto=protocol)
    else:  # error_message(): a fault of the check, not a finding about the host
        ctx.log.warning("error_message on port %d/%s: %s", port, protocol, data)


class DiagnosticLog:
    """Where one run of a script writes its interpreter's warnings and errors.

    A call of a function that exists nowhere (a built-in ixion lacks, a missing include)
    is logged as a warning naming the script, the file and line of the call and the
    function, once per function in the run: it means the check ran without part of itself,
    which whoever runs the daemon must be able to see. Other warnings (a bad argument, a
    type mix-up) are the script's own business and stay at INFO.
    """

    def __init__(self, log: logging.Logger, script: str) -> None:
        self._log = log
        self._script = script
        self._undefined: set[str] = set()

    def __call__(self, diagnostic: Diagnostic) -> None:
        # The interpreter's words for it (ixion.nasl.runtime.calls).
        undefined = _UNDEFINED.fullmatch(diagnostic.message)
        if undefined is not None:
            name = undefined.group(1)
            if name not in self._undefined:
                self._undefined.add(name)
                self._log.warning(
                    "%s: %s:%d: undefined function %s() called; the script goes on without it",
                    self._script,
                    diagnostic.filename,
                    diagnostic.line,
                    name,
                )
            return
        level = logging.INFO if diagnostic.severity == "warning" else logging.WARNING
        self._log.log(level, "%s", diagnostic)


def _limits(seconds: float) -> Limits:
    """A plugin run's caps: its timeout, and steps enough for it (:data:`STEPS_PER_SECOND`)."""
    if not seconds:
        return Limits(timeout=None)
    steps = max(Limits().max_steps, int(seconds * STEPS_PER_SECOND))
    return Limits(timeout=seconds + _DEADLINE_SLACK, max_steps=steps)
