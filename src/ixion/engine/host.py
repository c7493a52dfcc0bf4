"""Scanning one host: run its planned plugins over one event loop, with one KB.

This is what a worker process does for its host (:mod:`ixion.engine.worker`), and what tests
call directly. Plugins of the host run as tasks of the same loop, up to ``max_checks`` at once
(one at a time for scanners and the dangerous categories), each under its timeout. A plugin
that raises ends with a recorded reason; the others go on. A plugin that blocks the loop is
interrupted by the worker's spin guard, and if even that fails the daemon kills the worker:
either way its host alone pays.

Service detection names the ports the scanners found; the daemon holds a host's TCP ports
until it is over (:mod:`ixion.engine.port_gate`), told so by DetectionPlanned at the start
and DetectionEnded once the last plugin that detects services ends, before its PluginEnded
(so that a session records its ports and results before it records the plugin done).
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.engine.context import HostContext
from ixion.engine.events import (
    HOST_DEAD,
    KB_CHUNK,
    DetectionEnded,
    DetectionPlanned,
    HostFinished,
    HostStarted,
    KbWrites,
    PluginEnded,
    PluginStarted,
    PortFound,
    Progress,
    ServiceFound,
)
from ixion.engine.job import effective_timeout
from ixion.engine.launch_order import LaunchOrder
from ixion.engine.schedule import Phase, plan, why_not_launch
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.plugin import PluginError
from ixion.plugin_api.service_names import SERVICE_NAME_KEY, is_service_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob
    from ixion.engine.schedule import Planned
    from ixion.plugin_api.kb import KbWrite
    from ixion.plugin_api.plugin import Plugin

__all__ = ["HostScan", "PluginTimeout", "scan_host"]

log = logging.getLogger(__name__)

#: ``attack n/total`` is sent when progress moved by this many percentage points (§3.4).
PROGRESS_STEP: Final = 2


class PluginTimeout(BaseException):
    """Raised inside a plugin that overran its time while holding the event loop.

    A BaseException, like CancelledError, so that a plugin's ``except Exception`` cannot
    swallow it.
    """


@dataclass(eq=False)
class _Running:
    planned: Planned
    task: asyncio.Task[None]
    #: time.monotonic() after which the plugin is late; 0: never.
    deadline: float
    ports: frozenset[str] = field(default_factory=frozenset)


class HostScan:
    """The state of one host's scan; :meth:`run` drives it to the end."""

    def __init__(
        self,
        job: HostJob,
        plugins: Sequence[Plugin],
        emit: Callable[[Event], None],
        planned: Sequence[Planned] | None = None,
    ) -> None:
        """``planned``: the plan of ``plugins`` for the job's choices, if made already (it
        does not depend on the host: :mod:`~ixion.engine.prepared`)."""
        self.job = job
        self.kb = KnowledgeBase()
        self._emit = emit
        self._plugins = {plugin.info.filename: plugin for plugin in plugins}
        if planned is None:
            planned = plan((p.info for p in plugins), job.enabled, job.settings)
        self._plan = planned
        self._done: set[str] = set()
        self._running: dict[asyncio.Task[None], _Running] = {}
        self._launched = 0
        self._last_percent = 0
        self._wake = asyncio.Event()
        self._order = LaunchOrder((), ())
        self._restore()
        #: The plugins that detect services still to end on this host.
        self._detecting = {
            p.info.filename
            for p in self._plan
            if p.info.detects_services and not p.skip and p.info.filename not in self._done
        }

    def _restore(self) -> None:
        """Start from a saved KB, then from what a restored session's plugins did: their
        writes are made again and they count as done (spec §8.2, §8.3)."""
        for name, value in self.job.initial_kb:
            self.kb.add(name, value)
        by_id = {plugin.info.id: plugin.info.filename for plugin in self._plugins.values()}
        for plugin_id, writes in self.job.resume:
            for write in writes:
                self.kb.apply(write)
            filename = by_id.get(plugin_id)
            if filename is not None and filename not in self._done:
                self._done.add(filename)
                self._launched += 1

    def running_task_deadline(self, task: asyncio.Task[object] | None) -> float | None:
        """The deadline of the plugin ``task`` runs, for the spin guard; None: not a plugin."""
        running = next((r for t, r in self._running.items() if t is task), None)
        return running.deadline if running is not None else None

    async def run(self) -> None:
        self._emit(HostStarted(self.job.host, time.time()))
        self._announce_services()
        reason = ""
        try:
            for phase in Phase:
                if await self._run_phase(phase):
                    reason = HOST_DEAD
                    break
        finally:
            for running in list(self._running.values()):
                running.task.cancel()
            if self._running:
                await asyncio.wait([r.task for r in self._running.values()], timeout=5)
            self._emit(HostFinished(self.job.host, time.time(), reason))

    # --- one phase ---------------------------------------------------------------------------

    async def _run_phase(self, phase: Phase) -> bool:
        """Run every plugin of ``phase``; True if the host turned out dead."""
        waiting = [p for p in self._plan if p.phase is phase and p.info.filename not in self._done]
        order = LaunchOrder(waiting, self._done)
        self._order = order
        limit = 1 if phase.serial else max(1, self.job.settings.max_checks)
        startable = self._startable
        while order or self._running:
            if self._host_is_dead():
                return True
            started = False
            while len(self._running) < limit:
                planned = order.next_ready(startable)
                if planned is None:
                    break
                self._launch(planned)
                started = True
                if self._host_is_dead():
                    return True
            if not self._running:
                if order and not started:
                    # Only cycles or clashes with nothing running can get here: run in order.
                    forced = order.force_next()
                    if forced is not None:
                        self._launch(forced)
                continue
            self._wake.clear()
            await self._wake.wait()
            order.retry_set_aside()
        return self._host_is_dead()

    def _startable(self, planned: Planned) -> bool:
        return not self._clashes(planned)

    def _announce_services(self) -> None:
        """Before any port: whether detection is to run, the names the KB holds already (a
        restored session's, a saved KB's), and on a resumed host whose detection had not
        ended, the TCP ports its scanners found then, which the daemon held and lost."""
        host = self.job.host
        if self._detecting:
            self._emit(DetectionPlanned(host))
        for (port, proto), name in known_services(self.kb).items():
            self._emit(ServiceFound(host, port, proto, name))
        if self._detecting and self.job.resume:
            for port in open_tcp_ports(self.kb):
                self._emit(PortFound(host, port, "tcp"))

    def _detection_over(self, filename: str) -> None:
        if filename in self._detecting:
            self._detecting.discard(filename)
            if not self._detecting:
                self._emit(DetectionEnded(self.job.host))

    def _host_is_dead(self) -> bool:
        return self.kb.is_positive("Host/dead") or self.kb.is_positive("Host/ping_failed")

    def _clashes(self, planned: Planned) -> bool:
        """Another running plugin hits one of the same ``non_simult_ports``."""
        ports = self._non_simult(planned)
        return bool(ports) and any(ports & running.ports for running in self._running.values())

    def _non_simult(self, planned: Planned) -> frozenset[str]:
        wanted = {str(p) for p in (*planned.info.require_ports, *planned.info.require_udp_ports)}
        return frozenset(wanted & set(self.job.settings.non_simult_ports))

    # --- one plugin --------------------------------------------------------------------------

    def _launch(self, planned: Planned) -> None:
        info = planned.info
        self._count_launch()
        if planned.skip:
            reason: str | None = "disabled dependency"
        elif info.category in self.job.dont_replay and f"Launched/{info.id}" in self.kb:
            reason = "it ran before, as the restored KB says (kb_dont_replay)"
        else:
            reason = why_not_launch(info, self.kb, self.job.settings)
        if reason is not None:
            self._finish(planned, f"skipped: {reason}")
            return
        timeout = effective_timeout(info, self.job)
        self._emit(PluginStarted(self.job.host, info.id, timeout))
        writes: list[KbWrite] = []
        kb = self.kb.journaled(writes.append) if self.job.journal else self.kb
        kb.replace(f"Launched/{info.id}", 1)
        ctx = HostContext(info=info, job=self.job, kb=kb, emit=self._emit, silent=planned.silent)
        plugin = self._plugins[info.filename]
        run = self._guarded(plugin, ctx, timeout, writes)
        task = asyncio.create_task(run, name=info.filename)
        deadline = time.monotonic() + timeout if timeout else 0.0
        self._running[task] = _Running(planned, task, deadline, self._non_simult(planned))
        task.add_done_callback(self._task_done)

    async def _guarded(
        self, plugin: Plugin, ctx: HostContext, seconds: float, writes: list[KbWrite]
    ) -> None:
        """Run the plugin; its outcome goes out as a PluginEnded event (after its KB
        writes, when the job journals them)."""
        outcome = "done"
        try:
            async with asyncio.timeout(seconds or None):
                await plugin.run(ctx)
        except (TimeoutError, PluginTimeout):
            outcome = f"timeout after {seconds:g} s"
        except PluginError as exc:
            outcome = f"error: {exc}"
        except Exception as exc:  # a broken plugin ends alone
            where = traceback.extract_tb(exc.__traceback__)[-1]
            outcome = f"error: {exc!r} at {where.filename}:{where.lineno}"
        self._detection_over(plugin.info.filename)
        for chunk in _chunks(writes):
            self._emit(KbWrites(self.job.host, plugin.info.id, chunk))
        self._emit(PluginEnded(self.job.host, plugin.info.id, outcome))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        running = self._running.pop(task, None)
        if running is not None:
            self._done.add(running.planned.info.filename)
            self._order.finished(running.planned.info.filename)
        self._wake.set()

    def _finish(self, planned: Planned, outcome: str) -> None:
        self._done.add(planned.info.filename)
        self._order.finished(planned.info.filename)
        self._detection_over(planned.info.filename)
        self._emit(PluginEnded(self.job.host, planned.info.id, outcome))

    def _count_launch(self) -> None:
        """``attack n/total`` each time progress moved by PROGRESS_STEP points (§3.4)."""
        self._launched += 1
        total = len(self._plan)
        percent = self._launched * 100 // total
        if percent - self._last_percent >= PROGRESS_STEP:
            self._last_percent = percent
            self._emit(Progress(self.job.host, "attack", self._launched, total))


def _chunks(writes: list[KbWrite]) -> Iterator[tuple[KbWrite, ...]]:
    """``writes`` in pieces of at most :data:`KB_CHUNK` characters (one write may be alone)."""
    piece: list[KbWrite] = []
    size = 0
    for write in list(writes):  # a NASL thread may still be writing: take a snapshot
        cost = len(write[1]) + len(str(write[2])) + 16
        if piece and size + cost > KB_CHUNK:
            yield tuple(piece)
            piece, size = [], 0
        piece.append(write)
        size += cost
    if piece:
        yield tuple(piece)


def known_services(kb: KnowledgeBase) -> dict[tuple[int, str], str]:
    """The service names the KB holds (:data:`SERVICE_NAME_KEY`), by (port, proto)."""
    found = {}
    for name, value in kb.matching(SERVICE_NAME_KEY.format(proto="*", port="*")):
        _, _, proto, port = name.split("/", 3)
        usable = isinstance(value, str) and is_service_name(value)
        if usable and proto in ("tcp", "udp") and port.isdigit() and 0 < int(port) <= 65535:
            found[int(port), proto] = str(value)
    return found


def open_tcp_ports(kb: KnowledgeBase) -> list[int]:
    """The TCP ports the KB says are open (``Ports/tcp/<port>``), ascending."""
    prefix = "Ports/tcp/"
    numbers = {name[len(prefix) :] for name, _ in kb.matching(prefix + "*")}
    return sorted(
        int(number)
        for number in numbers
        if number.isdigit() and 0 < int(number) <= 65535 and kb.is_positive(prefix + number)
    )


async def scan_host(job: HostJob, plugins: Sequence[Plugin], emit: Callable[[Event], None]) -> None:
    """Scan one host to the end, emitting events as they happen."""
    await HostScan(job, plugins, emit).run()
