"""ixiond's scan, run in this process tree: no daemon, no account, no socket.

The scan is the daemon's own (:class:`~ixion.server.attack.Attack`): targets expanded and
checked against rules, hosts run ``max_hosts`` at a time in workers forked from a fork server
(:class:`~ixion.engine.worker.ForkServer`, a child of this process), ports held until they
are named (:mod:`ixion.engine.port_gate`), findings below ``min_qod`` held back and listed in
one note per host (:mod:`ixion.server.confidence`). What it would send a client, it hands to
this module instead, and each message becomes a result the way the batch client makes one
(:func:`~ixion.reports.collect.event_from_message`). So a report of ``ixion scan`` has the
shape of one of ``ixion -q`` against ixiond, port names and held-back notes included.

This side plays the client's part in the conversation as well: it stops a host whose time
ran out (``--host-timeout``) with STOP_ATTACK, and the whole scan on Ctrl-C (SIGINT) or
SIGTERM with STOP_WHOLE_TEST, as a client would; the workers are killed, what was found is
kept. A second Ctrl-C cancels the scan at once. Either way the fork server is closed, which
ends every worker still alive, before this returns.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ixion.engine.worker import ForkServer
from ixion.ntp import Error, Message, StopAttack, StopWholeTest
from ixion.plugin_api.ports import system_services
from ixion.reports.collect import event_from_message
from ixion.reports.results import ScanResults, Timestamp, TimestampKind
from ixion.server.attack import Attack, ScanService

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from ixion.engine.events import Event as EngineEvent
    from ixion.engine.loader import Plugins
    from ixion.reports.results import Event
    from ixion.server.config import ConfTable
    from ixion.server.options import Settings
    from ixion.server.rules import RuleSet

__all__ = ["EmbeddedScan", "Outcome", "ScanFailed", "run_embedded"]

log = logging.getLogger(__name__)

#: The name the scan's log lines give the user (ixiond logs the account's name there).
USER = "ixion-scan"


class ScanFailed(Exception):
    """The scan could not run (the fork server did not start, the settings were refused)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedScan:
    """Everything one embedded scan needs, resolved before it starts."""

    targets: str
    settings: Settings
    #: The preferences every host job reads (settings, client flags, plugin preferences).
    table: ConfTable
    plugins: Plugins
    rules: RuleSet
    #: Local files that ``[file]`` preferences name.
    files: Mapping[str, str] = field(default_factory=dict)
    #: The plugins folder and NASL cache the fork server loads before forking; None: the
    #: built-in plugins only.
    preload: tuple[Path, Path] | None = None
    #: Seconds a host may take before it is stopped; None: no limit.
    host_timeout: float | None = None


@dataclass(slots=True)
class Outcome:
    """How the scan ended, with what it found (partial when interrupted)."""

    results: ScanResults
    interrupted: bool = False
    #: ERROR messages the scan sent (bad targets...), as the text a client would print.
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Listeners:
    """Who hears of the scan as it goes."""

    result: Callable[[Event], None]
    engine: Callable[[EngineEvent], None]
    #: A host this side stopped, and why (shown instead of the worker's "stopped by the user").
    host_stopped: Callable[[str, str], None]
    warn: Callable[[str], None]


async def run_embedded(
    scan: EmbeddedScan,
    *,
    on_result: Callable[[Event], None],
    on_engine_event: Callable[[EngineEvent], None],
    on_host_stopped: Callable[[str, str], None],
    warn: Callable[[str], None],
) -> Outcome:
    """Run the scan to its end, or until interrupted; always with the fork server closed.

    Raises:
        ScanFailed: the fork server could not start, or the scan refused its port range.
    """
    listeners = _Listeners(on_result, on_engine_event, on_host_stopped, warn)
    fork_server = ForkServer(preload=scan.preload)
    try:
        await fork_server.start()
    except OSError as exc:
        raise ScanFailed(str(exc)) from None
    conversation = _Conversation(scan, listeners)
    try:
        await conversation.run(ScanService(scan.plugins, fork_server, system_services()))
    finally:
        await fork_server.close()
    return conversation.outcome()


class _Conversation:
    """This side of the scan's conversation: the client ixiond thinks it talks to."""

    def __init__(self, scan: EmbeddedScan, listeners: _Listeners) -> None:
        self._scan = scan
        self._listeners = listeners
        self._events: list[Event] = []
        self._errors: list[str] = []
        self._orders: asyncio.Queue[Message] = asyncio.Queue()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        #: Hosts started and not ended yet.
        self._active: set[str] = set()
        self._interrupted = False

    def outcome(self) -> Outcome:
        return Outcome(ScanResults(events=tuple(self._events)), self._interrupted, self._errors)

    async def run(self, service: ScanService) -> None:
        attack = Attack(
            targets=self._scan.targets,
            settings=self._scan.settings,
            preferences=self._scan.table.as_mapping(),
            rules=self._scan.rules,
            service=service,
            files=self._scan.files,
            send=self._receive,
            receive=self._orders.get,
            other_order=_ignore,
            user=USER,
            observe=self._listeners.engine,
        )
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._interrupt, task)
        try:
            if not await attack.run():
                raise ScanFailed("; ".join(self._errors) or "the scan was refused")
        except asyncio.CancelledError:
            if not self._interrupted:
                raise
            task.uncancel()  # ours: a second Ctrl-C. The fork server is closed next.
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            for timer in self._timers.values():
                timer.cancel()

    def _interrupt(self, task: asyncio.Task[None]) -> None:
        """The first Ctrl-C stops the scan as a client would; the second cancels it."""
        if self._interrupted:
            self._listeners.warn("stopping now, without waiting for the workers")
            task.cancel()
            return
        self._interrupted = True
        self._listeners.warn("interrupted: stopping the scan; what was found is kept")
        for host in self._active:
            self._listeners.host_stopped(host, "stopped")
        self._orders.put_nowait(StopWholeTest())

    async def _receive(self, msg: Message) -> None:
        """A message the scan would send its client."""
        if isinstance(msg, Error):
            self._errors.append(msg.text)
            self._listeners.warn(msg.text)
            return
        event = event_from_message(msg)
        if event is None:
            return
        self._events.append(event)
        if isinstance(event, Timestamp) and event.host is not None:
            self._time_host(event.kind, event.host)
        self._listeners.result(event)

    def _time_host(self, kind: TimestampKind, host: str) -> None:
        """Keep the books of running hosts, and start or cancel their ``--host-timeout``."""
        limit = self._scan.host_timeout
        if kind is TimestampKind.HOST_START:
            self._active.add(host)
            if limit is not None:
                loop = asyncio.get_running_loop()
                self._timers[host] = loop.call_later(limit, self._stop_host, host, limit)
        elif kind is TimestampKind.HOST_END:
            self._active.discard(host)
            if timer := self._timers.pop(host, None):
                timer.cancel()

    def _stop_host(self, host: str, limit: float) -> None:
        self._timers.pop(host, None)
        log.info("%s: %s took longer than %g s; stopping it", USER, host, limit)
        self._listeners.host_stopped(host, f"timed out after {limit:g} s")
        self._orders.put_nowait(StopAttack(host=host))


async def _ignore(msg: Message) -> None:
    """Orders other than stops: this side never sends any."""
