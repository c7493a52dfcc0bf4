"""A UDP scanner over the UDP ports of ``port_range`` (its ``U:`` part, spec §5.2).

Each port gets one datagram (SNMP two: v1 and v3), a request of its service's protocol
where one is known (:mod:`ixion.plugins._udp_probes`), sent through
:meth:`PluginContext.datagram`, so only to the scanned host. A port is classified as nmap
does:

* an answer: **open**, reported (``Ports/udp/<port>``, a PORT and a NOTE saying what
  answered; ``Known/udp/<port>``, ``Services/udp/<name>`` and the PORT's service name, as
  ``nmap -sV`` gives it, when the answer is that of the service asked);
* ICMP port unreachable: **closed**;
* other ICMP errors: **filtered**;
* silence after every retry: **open|filtered**, which UDP cannot tell apart (a service that
  ignored the request, or a firewall that dropped it). Not reported as open, since most
  such ports are closed ports whose ICMP the host did not send (below); they are counted and
  listed in the KB (``UDPScanner/open_filtered_ports``).

Timing. Waiting for ICMP is what makes UDP scans slow: Linux sends at most one port
unreachable per second to a destination after a burst of six (``net.ipv4.icmp_ratelimit``,
1000 ms, and a global 1000/s with a burst of 50, ``icmp_msgs_per_sec``/``icmp_msgs_burst``),
and nmap slows its whole scan down to that rate to learn every closed port: minutes for a
few hundred ports. This scanner does not. Requests leave at a steady rate (``Packets per
second``, 200 by default, counting retries; spaced evenly, never in bursts), up to
``Maximum ports in flight`` ports are waited on at once, each for ``Answer timeout`` (1 s)
per try, and a silent port is asked again ``Retries`` times (once), which covers a lost
request or answer. A few hundred ports take seconds: N ports cost about
N * (1 + retries) / rate seconds, plus one timeout. The price is that on a rate-limiting
host, closed ports beyond the first few are counted open|filtered rather than closed; the
ports reported open are exact either way, as only an answer makes a port open.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import math
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.ports import PortSet
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import number, printable
from ixion.plugins._udp_probes import GENERIC, identify, parse_service_ports, probe_for

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from ixion.plugin_api.context import Datagrams, PluginContext
    from ixion.plugins._udp_probes import Probe

__all__ = ["INFO", "Pacer", "ScanResult", "State", "Timing", "Verdict", "run", "scan_udp"]

RATE: Final = "Packets per second"
TIMEOUT: Final = "Answer timeout (seconds)"
RETRIES: Final = "Retries"
PARALLEL: Final = "Maximum ports in flight"
SERVICE_PORTS: Final = "Service ports"
#: About this many ``portscan`` STATUS updates per scan, however many ports.
STATUS_UPDATES: Final = 100
#: Errors that are our machine's shortage or its own firewall, not the host's answer.
_LOCAL_ERRORS: Final = frozenset(
    {errno.EAGAIN, errno.ENOBUFS, errno.EMFILE, errno.ENFILE, errno.EPERM, errno.EACCES}
)
#: A socket that could not be opened for a local reason is tried again this many times.
_LOCAL_RETRIES: Final = 20
_RETRY_DELAY: Final = 0.05
#: How late a send may be and still keep the pacer's schedule (timers fire up to 1 ms late).
_SLACK: Final = 0.002
#: Bytes of an unrecognised answer quoted in its note.
_QUOTED: Final = 80
#: What ``nmap -sV`` calls the services whose KB name (the feed's) differs; a PORT line
#: names a port as nmap would.
_NMAP_NAMES: Final = {"rpc-portmap": "rpcbind"}

INFO = PluginInfo(
    id=90000003,
    filename="udp_scanner.py",
    name="UDP scanner",
    family="Port scanners",
    category=Category.SCANNER,
    summary="Finds UDP services on the UDP ports of the port range with protocol requests",
    description=(
        "Sends a datagram to every UDP port of the port range (the U: part), a request of "
        "the service's own protocol on the ports of well-known services (DNS, SNMP, NTP, "
        "NetBIOS, SSDP, memcached, portmapper, IKE, TFTP...), at a limited rate. A port that "
        "answers is open and reported with what answered; an ICMP port unreachable means "
        "closed; silence means open or filtered, which UDP cannot tell apart. UDP services "
        "are easily forgotten, and several answer small requests with large answers, which "
        "makes them tools of traffic amplification: each should be needed."
    ),
    preferences=(
        PluginPreference(RATE, PreferenceType.ENTRY, "200"),
        PluginPreference(TIMEOUT, PreferenceType.ENTRY, "1"),
        PluginPreference(RETRIES, PreferenceType.ENTRY, "1"),
        PluginPreference(PARALLEL, PreferenceType.ENTRY, "256"),
        PluginPreference(SERVICE_PORTS, PreferenceType.ENTRY, ""),
    ),
    # What it reports is what answered its own requests.
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


class State(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    FILTERED = "filtered"
    OPEN_FILTERED = "open|filtered"
    #: Not probed: our own resources ran out, or our own firewall refused.
    UNSCANNED = "unscanned"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one port did."""

    port: int
    state: State
    probe: Probe = GENERIC
    answer: bytes = b""
    #: What the probe's reader made of the answer; None: not recognised as its service's.
    detail: str | None = None
    error: str = ""


@dataclass
class ScanResult:
    open: list[int] = field(default_factory=list)
    closed: int = 0
    filtered: int = 0
    open_filtered: list[int] = field(default_factory=list)
    unscanned: list[int] = field(default_factory=list)
    local_error: str = ""

    def add(self, verdict: Verdict) -> None:
        if verdict.state is State.OPEN:
            self.open.append(verdict.port)
        elif verdict.state is State.CLOSED:
            self.closed += 1
        elif verdict.state is State.FILTERED:
            self.filtered += 1
        elif verdict.state is State.OPEN_FILTERED:
            self.open_filtered.append(verdict.port)
        else:
            self.unscanned.append(verdict.port)
            self.local_error = verdict.error


@dataclass(frozen=True, slots=True)
class Timing:
    #: Datagrams sent per second, retries included.
    rate: float = 200.0
    #: Seconds each try waits for an answer.
    timeout: float = 1.0
    retries: int = 1
    #: Ports waited on at once (each holds a socket).
    parallel: int = 256


class Pacer:
    """At most ``rate`` sends a second, evenly spaced, never in a burst.

    Sends keep to a schedule one ``1 / rate`` apart, so the rate is the one asked although
    each timer fires up to a millisecond late (epoll's resolution). A send later than that
    (the loop was busy) starts a new schedule from itself instead of catching up: two sends
    are never closer than ``1 / rate`` less :data:`_SLACK`.
    """

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._slack = min(_SLACK, self._interval / 2)
        self._next = -math.inf
        self._turn = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the caller may send, which it must do before its next ``await``."""
        loop = asyncio.get_running_loop()
        async with self._turn:
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = loop.time()
            on_time = now - self._next <= self._slack
            self._next = (self._next if on_time else now) + self._interval


async def probe_port(
    ctx: PluginContext, port: int, probe: Probe, timing: Timing, pacer: Pacer
) -> Verdict:
    """Ask ``port`` with ``probe``, trying again while it is silent."""
    opened = await _open(ctx, port, probe, timing)
    if isinstance(opened, Verdict):
        return opened
    async with opened:
        return await _exchange(opened, port, probe, timing, pacer)


async def _open(ctx: PluginContext, port: int, probe: Probe, timing: Timing) -> Datagrams | Verdict:
    """A socket for ``port``, waiting a little while our own sockets run short."""
    failures = 0
    while True:
        try:
            return await ctx.datagram(
                port, timeout=timing.timeout, any_source_port=probe.any_source_port
            )
        except OSError as exc:
            failures += 1
            if exc.errno not in _LOCAL_ERRORS or failures > _LOCAL_RETRIES:
                return Verdict(port, State.UNSCANNED, probe, error=str(exc))
            await asyncio.sleep(_RETRY_DELAY)


async def _exchange(
    datagrams: Datagrams, port: int, probe: Probe, timing: Timing, pacer: Pacer
) -> Verdict:
    token = secrets.randbits(32)
    requests = probe.requests(token)
    for _ in range(1 + timing.retries):
        try:
            for request in requests:  # one, or a few for a service asked several ways
                await pacer.wait()
                await datagrams.send(request)
            answer = await datagrams.recv()
        except ConnectionRefusedError:
            return Verdict(port, State.CLOSED, probe)
        except TimeoutError:
            continue  # our send buffer stayed full: count it as a try
        except OSError as exc:
            state = State.UNSCANNED if exc.errno in _LOCAL_ERRORS else State.FILTERED
            return Verdict(port, state, probe, error=str(exc))
        if answer is not None:
            return Verdict(port, State.OPEN, probe, answer, identify(probe, answer, token))
    return Verdict(port, State.OPEN_FILTERED, probe)


async def scan_udp(
    ctx: PluginContext,
    ports: Collection[int],
    *,
    timing: Timing,
    service_ports: Mapping[int, str],
    on_verdict: Callable[[Verdict], None],
) -> ScanResult:
    """Probe each of ``ports`` on ``ctx.address``; ``on_verdict`` for each as it is known."""
    pacer = Pacer(timing.rate)
    result = ScanResult()
    pending = iter(ports)

    async def worker() -> None:
        for port in pending:
            probe = probe_for(port, service_ports)
            verdict = await probe_port(ctx, port, probe, timing, pacer)
            result.add(verdict)
            on_verdict(verdict)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(timing.parallel, len(ports))):
            group.create_task(worker())
    return result


def report_open(ctx: PluginContext, verdict: Verdict) -> None:
    """An open port: the PORT (naming the service when its answer was that service's),
    what answered (a NOTE), and the service's KB keys."""
    port, probe = verdict.port, verdict.probe
    recognised = verdict.detail is not None
    service = _NMAP_NAMES.get(probe.service, probe.service) if recognised else ""
    ctx.add_port(port, "udp", service=service)
    if recognised:
        ctx.kb.replace(f"Known/udp/{port}", probe.service)
        ctx.kb.add(f"Services/udp/{probe.service}", port)
        text = f"{probe.label} answers on this port ({probe.service})."
        if verdict.detail:
            text += f"\n{verdict.detail}"
    else:
        size = len(verdict.answer)
        quoted = printable(verdict.answer, _QUOTED) if verdict.answer else "(empty)"
        asked = (
            "" if probe is GENERIC else f", not as {probe.label[0].lower()}{probe.label[1:]} would"
        )
        text = (
            f"A service answers on this port{asked}; its answer ({size} bytes) was not "
            f"recognised:\n{quoted}"
        )
    ctx.note(text, port=port, proto="udp")


def timing_of(ctx: PluginContext) -> Timing:
    return Timing(
        rate=number(ctx.preference(RATE), 200.0, 1.0, 100_000.0),
        timeout=number(ctx.preference(TIMEOUT), 1.0, 0.05, 60.0),
        retries=int(number(ctx.preference(RETRIES), 1, 0, 10)),
        parallel=int(number(ctx.preference(PARALLEL), 256, 1, 4096)),
    )


async def run(ctx: PluginContext) -> None:
    ports = ctx.port_range.udp
    total = len(ports)
    if not total:
        ctx.log.info("no UDP port in the port range: nothing to scan")
        return
    service_ports, bad = parse_service_ports(ctx.preference(SERVICE_PORTS) or "")
    if bad:
        ctx.log.warning("%s: not understood, ignored: %s", SERVICE_PORTS, " ".join(bad))
    step = max(1, total // STATUS_UPDATES)
    done = 0

    def on_verdict(verdict: Verdict) -> None:
        nonlocal done
        if verdict.state is State.OPEN:
            report_open(ctx, verdict)
        done += 1
        if done % step == 0 and done < total:
            ctx.status(done, total)

    ctx.status(0, total)
    result = await scan_udp(
        ctx, ports, timing=timing_of(ctx), service_ports=service_ports, on_verdict=on_verdict
    )
    ctx.status(total, total)
    ctx.log.info(
        "%d UDP ports: %d open, %d closed, %d filtered, %d open|filtered, %d not scanned",
        total,
        len(result.open),
        result.closed,
        result.filtered,
        len(result.open_filtered),
        len(result.unscanned),
    )
    if result.unscanned:
        ctx.log.warning("could not probe %d ports: %s", len(result.unscanned), result.local_error)
    ctx.kb.replace("Host/udp_scanned", 1)
    ctx.kb.replace("Host/scanners/udp_scanner", 1)
    ctx.kb.replace("UDPScanner/closed", result.closed)
    ctx.kb.replace("UDPScanner/filtered", result.filtered)
    ctx.kb.replace("UDPScanner/open_filtered", len(result.open_filtered))
    if result.open_filtered:
        spans = PortSet.of((port, port) for port in result.open_filtered)
        ctx.kb.replace("UDPScanner/open_filtered_ports", str(spans))
