"""What an embedded scan is doing, host by host: the model the progress displays read.

Two streams feed it. The workers' own events (:meth:`ScanProgress.observe`) say what runs:
which check started and ended, how far the port scanner is. The results as the report will
have them (:meth:`ScanProgress.record`) say what was found: open ports and findings after
ixiond's filters (a finding held back for its low QoD is not counted), and when each host
started and ended. Counting findings from the results, not the workers, keeps the live
numbers and the summary equal to what the report shows.

It holds no I/O: a display polls it (:mod:`ixion.app.live`) or is told, in words, about the
moments worth a line (:mod:`ixion.app.plain`, through ``tell``).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.engine.events import (
    HOST_DEAD,
    HostFinished,
    HostStarted,
    PluginEnded,
    PluginStarted,
    Progress,
)
from ixion.reports.results import (
    Finding,
    HostsRejected,
    OpenPort,
    Severity,
    Timestamp,
    TimestampKind,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.engine.events import Event as EngineEvent
    from ixion.reports.results import Event as ResultEvent

__all__ = ["COUNTED", "HostProgress", "ScanProgress"]

#: The severities counted and shown, worst first.
COUNTED: Final = (Severity.HOLE, Severity.WARNING, Severity.NOTE)
#: Plain lines about a host's checks are written each time this share more of them ended.
PLUGIN_STEP: Final = 25


@dataclass(slots=True)
class HostProgress:
    """One host's scan as far as it went."""

    host: str
    started: float
    ended: float | None = None
    #: Why the host ended early (dead, stopped, timed out, a worker killed); "" if it did not.
    reason: str = ""
    ports_scanned: int = 0
    ports_total: int = 0
    open_ports: int = 0
    plugins_done: int = 0
    #: The host's planned plugins; 0 until its first progress event says.
    plugins_total: int = 0
    findings: Counter[Severity] = field(default_factory=Counter)
    #: Plugins running now: id -> name, in the order they started.
    running: dict[int, str] = field(default_factory=dict)
    #: The last share of plugins a plain line was written for, in percent.
    told_percent: int = 0

    @property
    def done(self) -> bool:
        return self.ended is not None

    @property
    def fraction(self) -> float:
        """How much of the host's scan is behind it, 0 to 1, for the overall ETA."""
        if self.done:
            return 1.0
        if self.plugins_total:
            return min(self.plugins_done / self.plugins_total, 1.0)
        return 0.0

    @property
    def current(self) -> str:
        """The check that started last among those running ("" when none runs)."""
        return next(reversed(self.running.values()), "")

    @property
    def state(self) -> str:
        if not self.done:
            return "scanning"
        if self.reason == HOST_DEAD:
            return "dead"
        return self.reason or "done"

    def duration(self, now: float) -> float:
        return (self.ended if self.ended is not None else now) - self.started


class ScanProgress:
    """Every host of one scan; ``tell(host, text)`` hears of the moments worth a line."""

    def __init__(
        self,
        *,
        hosts_expected: int,
        plugin_name: Callable[[int], str],
        tell: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hosts_expected = hosts_expected
        self.hosts: dict[str, HostProgress] = {}
        self.rejected: list[str] = []
        self.started = clock()
        self._plugin_name = plugin_name
        self._tell = tell or (lambda host, text: None)
        self._clock = clock
        #: Why hosts this side stopped ended (their time ran out): host -> reason.
        self._stopped: dict[str, str] = {}

    def now(self) -> float:
        return self._clock()

    # --- the workers' events -------------------------------------------------------------------

    def observe(self, event: EngineEvent) -> None:
        """A worker's event, as it arrives (nothing held back or filtered yet)."""
        if isinstance(event, HostStarted):
            self._host(event.host)
            return
        host = self._host(event.host)
        if isinstance(event, PluginStarted):
            host.running[event.plugin_id] = self._plugin_name(event.plugin_id)
        elif isinstance(event, PluginEnded):
            host.running.pop(event.plugin_id, None)
            host.plugins_done += 1
            self._tell_plugins(host)
        elif isinstance(event, Progress):
            if event.phase == "portscan":
                host.ports_scanned, host.ports_total = event.current, event.total
            else:
                host.plugins_total = event.total
        elif isinstance(event, HostFinished) and event.failed:
            host.reason = f"failed: {event.reason}"
        elif isinstance(event, HostFinished) and event.reason:
            host.reason = self._stopped.get(event.host, event.reason)

    def _tell_plugins(self, host: HostProgress) -> None:
        if not host.plugins_total:
            return
        percent = host.plugins_done * 100 // host.plugins_total
        if percent - host.told_percent >= PLUGIN_STEP and host.plugins_done < host.plugins_total:
            host.told_percent = percent - percent % PLUGIN_STEP
            self._tell(host.host, f"checks {host.plugins_done}/{host.plugins_total} done")

    def server_status(self, host: str, phase: str, current: int, total: int) -> None:
        """A server's STATUS line (a scan through ``--server``): no check's start or end
        comes from there, so the checks launched stand for the checks done."""
        self.observe(Progress(host, phase, current, total))
        if phase == "attack":
            self._host(host).plugins_done = max(0, min(current, total))

    def stopping(self, host: str, reason: str) -> None:
        """Why ``host`` ended, as this side knows it: its ``--host-timeout`` ran out, or (through
        ``--server``) the server said its scan failed."""
        self._stopped[host] = reason

    # --- the results -----------------------------------------------------------------------

    def record(self, event: ResultEvent) -> None:
        """A result the report gets (after ixiond's filters), in order."""
        if isinstance(event, Timestamp) and event.host is not None:
            self._timestamp(event.kind, event.host)
        elif isinstance(event, OpenPort):
            self._host(event.host).open_ports += 1
            self._tell(event.host, f"open port {event.port}")
        elif isinstance(event, Finding):
            self._host(event.host).findings[event.severity] += 1
            if event.severity in (Severity.HOLE, Severity.WARNING):
                words = "hole" if event.severity is Severity.HOLE else "warning"
                plugin = f"plugin {event.plugin_id}" if event.plugin_id else "no plugin"
                self._tell(event.host, f"{words} on {event.port} ({plugin})")
        elif isinstance(event, HostsRejected):
            self.rejected.extend(event.hosts)
            for name in event.hosts:
                self._tell(name, "not scanned: outside what ixion scan may reach")

    def _timestamp(self, kind: TimestampKind, name: str) -> None:
        if kind is TimestampKind.HOST_START:
            self._host(name)
        elif kind in (TimestampKind.HOST_END, TimestampKind.HOST_INTERRUPTED):
            host = self._host(name)
            host.ended = self._clock()
            host.running.clear()
            host.reason = host.reason or self._stopped.get(name, "")
            self._tell(
                name, f"{host.state} in {host.duration(host.ended):.1f} s: {self.counts(host)}"
            )

    def _host(self, name: str) -> HostProgress:
        """The host's progress, started now if this is the first word of it (the workers'
        events run ahead of the results, which wait for ixiond's filters)."""
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = HostProgress(name, self._clock())
            self._tell(name, "started")
        return host

    # --- for displays ------------------------------------------------------------------------

    @staticmethod
    def counts(host: HostProgress) -> str:
        """``3 open ports, 1 hole, 2 warnings, 5 notes``."""
        words = [_plural(host.open_ports, "open port")]
        words += [_plural(host.findings[s], s.value) for s in COUNTED]
        return ", ".join(words)

    def totals(self) -> Counter[Severity]:
        total: Counter[Severity] = Counter()
        for host in self.hosts.values():
            total.update(host.findings)
        return total

    @property
    def hosts_done(self) -> int:
        return sum(1 for host in self.hosts.values() if host.done)

    def eta(self) -> float | None:
        """Seconds the scan may still take, from the pace so far; None until it can tell."""
        expected = max(self.hosts_expected - len(self.rejected), len(self.hosts), 1)
        behind = sum(host.fraction for host in self.hosts.values()) / expected
        if behind <= 0.02:
            return None
        elapsed = self._clock() - self.started
        return elapsed * (1 - behind) / behind


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
