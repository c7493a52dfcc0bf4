"""One scan ordered by one client: the place where NTP meets the engine (spec §4.3-§4.6).

An order (NEW_ATTACK, LONG_ATTACK, the NTP/1.0 NEW_ATTACK) becomes host jobs: the targets
are counted against ``max_hosts_per_scan``, expanded lazily, names resolved, and what the
user's rules refuse is set aside a block at a time for the E002 error at the end
(:mod:`ixion.server.target_walk`). The engine's events become TIME / STATUS / PORT / HOLE / INFO /
NOTE / FINISHED messages as they happen, while the client's input is still read: STOP_ATTACK,
STOP_WHOLE_TEST, and the orders that are valid during a scan. A client that leaves stops its
scan (non-detached scans do not outlive their client, §4.6). Each host's events pass its
:class:`~ixion.engine.port_gate.PortGate` first, so that its ports and results name the
services detected there (:mod:`ixion.server.port_names`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.events import (
    HOST_DEAD,
    Finding,
    HostFinished,
    HostStarted,
    KbWrites,
    PluginEnded,
    PortFound,
    Progress,
    Severity,
)
from ixion.engine.job import HostJob, ScanSettings
from ixion.engine.port_gate import PortGate
from ixion.engine.scan import Scan
from ixion.engine.targets import TargetError, TooManyTargets
from ixion.engine.worker import HostWorker
from ixion.ntp import (
    Error,
    Finished,
    HostsNotAllowed,
    LocalProtocolError,
    Port,
    PortRef,
    Report,
    ReportKind,
    Status,
    StatusAction,
    StopAttack,
    StopWholeTest,
    Time,
    TimeKind,
)
from ixion.plugin_api.ports import PortRangeError, parse_port_range
from ixion.server.confidence import Confidence
from ixion.server.plugin_choice import enabled_ids
from ixion.server.port_names import port_name
from ixion.server.target_walk import TargetRules, TargetWalk, read_targets

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from ixion.engine.events import Event
    from ixion.engine.loader import Plugins
    from ixion.engine.worker import ForkServer
    from ixion.ntp import Message
    from ixion.plugin_api.ports import PortRange, Services
    from ixion.server.options import Settings
    from ixion.server.scan_record import ScanRecord

__all__ = ["Attack", "ScanService", "TargetRules", "ctime"]

log = logging.getLogger(__name__)

_SEVERITY_KIND: Final = {
    Severity.HOLE: ReportKind.HOLE,
    Severity.WARNING: ReportKind.INFO,
    Severity.NOTE: ReportKind.NOTE,
}


def ctime(when: float) -> str:
    """C's ``ctime()`` without its newline, as TIME messages carry it (§3.6)."""
    return time.ctime(when)


@dataclass(frozen=True, slots=True)
class ScanService:
    """What every scan of the daemon shares."""

    plugins: Plugins
    fork_server: ForkServer
    services: Services


def scan_settings(settings: Settings, port_range: PortRange) -> ScanSettings:
    return ScanSettings(
        port_range=port_range,
        max_checks=settings.max_checks,
        safe_checks=settings.safe_checks,
        optimize_test=settings.optimize_test,
        auto_enable_dependencies=settings.auto_enable_dependencies,
        silent_dependencies=settings.silent_dependencies,
        unscanned_closed=settings.unscanned_closed,
        plugins_timeout=float(settings.plugins_timeout),
        read_timeout=float(settings.checks_read_timeout),
        log_whole_attack=settings.log_whole_attack,
        non_simult_ports=settings.non_simult_ports,
    )


class Attack:
    """A scan in progress on one connection."""

    def __init__(
        self,
        *,
        targets: str,
        settings: Settings,
        preferences: Mapping[str, str],
        rules: TargetRules,
        service: ScanService,
        files: Mapping[str, str],
        send: Callable[[Message], Awaitable[None]],
        receive: Callable[[], Awaitable[Message | None]],
        other_order: Callable[[Message], Awaitable[None]],
        user: str,
        record: ScanRecord | None = None,
        observe: Callable[[Event], None] | None = None,
    ) -> None:
        """``observe``: shown every event of every host's worker as it arrives, before
        anything is held or filtered (an embedded scan's live progress)."""
        self._targets = targets
        self._settings = settings
        self._preferences = dict(preferences)
        self._rules = rules
        self._service = service
        self._files = dict(files)
        self._send = send
        self._receive = receive
        self._other_order = other_order
        self._user = user
        self._record = record
        self._observe = observe
        self._stopped_hosts: set[str] = set()
        #: Hosts the client stopped one by one (STOP_ATTACK): their test counts as complete.
        self._host_stops: set[str] = set()
        self._scan: Scan | None = None
        #: Each host's ports, held and named, while its scan runs.
        self._gates: dict[str, PortGate] = {}
        #: Findings below ``min_qod`` are held back and listed at each host's end.
        self._confidence = Confidence(
            settings.min_qod, lambda: {p.info.id: p.info.name for p in service.plugins.all}, user
        )
        #: The client went away during the scan.
        self.client_gone = False
        #: The scan was cut short (client gone, STOP_WHOLE_TEST, :meth:`stop`).
        self.interrupted = False

    def stop(self) -> None:
        """Stop the whole scan (a detached scan's DETACHED_STOP, a daemon shutting down)."""
        self.interrupted = True
        if self._scan is not None:
            self._scan.stop()

    async def run(self) -> bool:
        """Scan to the end; False if the connection must now close without BYE (E001)."""
        now = ctime(time.time())
        try:
            port_range = parse_port_range(
                self._settings.port_range, services=self._service.services
            )
        except PortRangeError as exc:
            log.warning("%s: invalid port range: %s", self._user, exc)
            await self._send(Error(text="E001 - Invalid port range"))
            return False
        try:
            spec = await read_targets(self._targets, max_hosts=self._settings.max_hosts_per_scan)
        except TargetError as exc:
            if isinstance(exc, TooManyTargets):
                log.warning("%s: scan refused, over max_hosts_per_scan: %s", self._user, exc)
            else:
                log.info("%s: bad targets: %s", self._user, exc)
            await self._send(Error(text=f"E003 - Invalid target specification: {exc}"))
            await self._send(Time(kind=TimeKind.SCAN_START, when=now))
            await self._send(Time(kind=TimeKind.SCAN_END, when=now))
            return True
        await self._send(Time(kind=TimeKind.SCAN_START, when=now))
        if self._record is not None:
            await self._record.replay()
        infos = [plugin.info for plugin in self._service.plugins.all]
        job_settings = scan_settings(self._settings, port_range)
        enabled = enabled_ids(self._settings.plugin_set, infos)
        walk = TargetWalk(
            spec,
            self._rules,
            user=self._user,
            interleave=self._settings.slice_network_addresses,
            stopping=lambda: self._scan is not None and self._scan.stopping,
        )
        self._scan = scan = Scan(
            self._jobs(walk, job_settings, enabled),
            max_hosts=self._settings.max_hosts,
            runner=lambda job: HostWorker(job, self._service.fork_server, observe=self._observe),
        )
        listener = asyncio.create_task(self._listen(scan), name=f"scan-input-{self._user}")
        events = scan.events()
        try:
            async for event in events:
                await self._forward(event)
        except Exception:
            # Forwarding failed (a client that stopped reading): the scan stops now, not when
            # the generator is collected. A cancellation still leaves at once.
            await events.aclose()
            raise
        finally:
            listener.cancel()
            if self._record is not None:
                await self._record.flush()
        if self.client_gone:
            return False
        if walk.denied:
            await self._send(HostsNotAllowed.capped(tuple(walk.denied)))
        await self._send(Time(kind=TimeKind.SCAN_END, when=ctime(time.time())))
        return True

    # --- targets -------------------------------------------------------------------------------

    async def _jobs(
        self, walk: TargetWalk, settings: ScanSettings, enabled: frozenset[int]
    ) -> AsyncIterator[HostJob]:
        """A job for every host the rules allow; the walk sets the others aside for E002."""
        async for name, address in walk.hosts():
            job = HostJob(
                host=name,
                address=address,
                origins=self._service.plugins.origins,
                enabled=enabled,
                settings=settings,
                preferences=self._preferences,
                files=self._files,
                include_dirs=(str(self._settings.plugins_folder),),
            )
            prepared = job if self._record is None else await self._record.prepare(job)
            if prepared is not None:
                yield prepared

    # --- the client's input during the scan ----------------------------------------------------

    async def _listen(self, scan: Scan) -> None:
        while True:
            msg = await self._receive()
            if msg is None:
                log.info("%s: client left during the scan; stopping it", self._user)
                self.client_gone = self.interrupted = True
                scan.stop()
                return
            if isinstance(msg, StopAttack):
                self._stopped_hosts.add(msg.host)
                self._host_stops.add(msg.host)
                if not scan.stop_host(msg.host):
                    await self._send(Finished(host=msg.host))
            elif isinstance(msg, StopWholeTest):
                self._stopped_hosts.update(scan.active_hosts)
                self.interrupted = True
                scan.stop()
            else:
                await self._other_order(msg)

    # --- events to messages --------------------------------------------------------------------

    async def _forward(self, event: Event) -> None:
        gate = self._gates.get(event.host) or self._gates.setdefault(event.host, PortGate())
        if isinstance(event, HostFinished):
            del self._gates[event.host]
        for passed in gate.admit(event):
            await self._show(passed)

    async def _show(self, event: Event) -> None:
        if isinstance(event, KbWrites | PluginEnded):
            if self._record is not None:
                await self._record.note(event)
            return
        if self.client_gone and self._record is None:
            return
        if isinstance(event, HostStarted):
            when = ctime(event.when)
            await self._out(Time(kind=TimeKind.HOST_START, host=event.host, when=when), event.host)
        elif isinstance(event, PortFound):
            port = self._port_ref(event.port, event.proto, event.service)
            await self._out(Port(host=event.host, port=port), event.host, event.plugin_id)
        elif isinstance(event, Finding):
            if self._confidence.admits(event):
                await self._report(event)
        elif isinstance(event, Progress):
            action = StatusAction.PORTSCAN if event.phase == "portscan" else StatusAction.ATTACK
            if 0 <= event.current <= event.total:
                status = Status(
                    host=event.host, action=action, current=event.current, total=event.total
                )
                await self._out(status, event.host)
        elif isinstance(event, HostFinished):
            await self._host_finished(event)

    async def _report(self, event: Finding) -> None:
        report = Report(
            kind=_SEVERITY_KIND[event.severity],
            host=event.host,
            port=self._port_ref(event.port, event.proto, event.service),
            text=event.text,
            plugin_id=str(event.plugin_id),
        )
        await self._out(report, event.host, event.plugin_id)

    async def _host_finished(self, event: HostFinished) -> None:
        host = event.host
        if event.reason:
            level = logging.WARNING if event.failed else logging.INFO
            log.log(level, "%s: %s ended early: %s", self._user, host, event.reason)
        held_back = self._confidence.summary(host)
        if held_back is not None:
            await self._report(held_back)
        if event.failed:  # no field of ERROR names a host: its text does, on one line
            text = " ".join(f"E004 - Scan of {host} failed: {event.reason}".split())
            await self._out(Error(text=text.replace("<|>", "<| >")), host)
        if self._settings.ntp_opt_show_end or host in self._stopped_hosts:
            await self._out(Finished(host=host), host)
        await self._out(Time(kind=TimeKind.HOST_END, host=host, when=ctime(event.when)), host)
        if self._record is not None:
            completed = event.reason in ("", HOST_DEAD) or host in self._host_stops
            await self._record.host_ended(event, completed=completed)

    async def _out(self, msg: Message, host: str, plugin: int = 0) -> None:
        """A message about ``host``: through the record (kept, then sent) when there is one."""
        if self._record is None:
            await self._send(msg)
        else:
            starts = isinstance(msg, Time) and msg.kind is TimeKind.HOST_START
            await self._record.send(msg, host, plugin, starts_host=starts)

    def _port_ref(self, port: int, proto: str, detected: str = "") -> PortRef:
        """``name (port/proto)``, named by :func:`port_name`; a protocol no NTP line can
        carry (a NASL script may report ``protocol:"a b"``) is logged and read as tcp rather
        than ending the scan."""
        try:
            if port <= 0:
                return PortRef.general(proto)
            name = port_name(detected, port, proto, self._service.services)
            return PortRef(service=name, number=port, protocol=proto)
        except (ValueError, LocalProtocolError) as exc:
            log.warning("%s: unusable result protocol (%s); reported as tcp", self._user, exc)
            return self._port_ref(port, "tcp", detected)
