"""A TCP connect() port scanner over the TCP ports of ``port_range`` (spec §6.6).

Like nessus_tcp_scanner.nes, whose id (10335) it carries so that classic rc files enable it: a
full handshake per port, so it needs no privilege and sees exactly what a client would. A port
is open when the handshake completes, closed when it is refused, filtered when nothing comes
back in time; only open ports are reported.

Why callbacks on raw non-blocking sockets rather than one ``ctx.connect`` coroutine per port:
on loopback a coroutine per port (``loop.sock_connect`` under ``asyncio.timeout``) costs
about 55 µs and ``asyncio.open_connection`` 65 µs, so 3.5 to 4.5 s for 65535 closed ports; a
socket watched with ``loop.add_writer`` costs about 30 µs, and a full 1-65535 scan of an
otherwise empty loopback (a network namespace of its own) took 2.1 s. The scanner still
connects only to ``ctx.address``, keeps at most ``Maximum simultaneous connections`` sockets
open, and applies the same self-connect guard as ``PluginContext.connect``.

No retries at this level: the kernel already resends an unanswered SYN after one second, so
the default two-second timeout gives every port two chances.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.ports import MAX_PORT
from ixion.plugins._support import number

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "run", "scan_ports"]

TIMEOUT: Final = "Connect timeout (seconds)"
PARALLEL: Final = "Maximum simultaneous connections"
#: About this many ``portscan`` STATUS updates per scan, however many ports.
STATUS_UPDATES: Final = 100
#: A port whose connect() failed for a local reason (no free local port, no file
#: descriptor) is tried again this many times before it is counted as not scanned.
_LOCAL_RETRIES: Final = 20
_RETRY_DELAY: Final = 0.05
#: connect() errors that are our machine's shortage (or a signal), not the target's answer.
_LOCAL_ERRORS: Final = frozenset(
    {errno.EAGAIN, errno.EADDRNOTAVAIL, errno.ENOBUFS, errno.EMFILE, errno.ENFILE, errno.EINTR}
)

INFO = PluginInfo(
    id=10335,
    filename="tcp_scanner.py",
    name="TCP connect scanner",
    family="Port scanners",
    category=Category.SCANNER,
    summary="Finds open TCP ports of the port range with full connect() handshakes",
    description=(
        "Connects to every TCP port of the port range, many at a time. A port that "
        "completes the handshake is open and reported; a refused or unanswered one is not. "
        "Every service found open is a door into the host: each should be needed, "
        "patched, and if possible reachable only from where it is used."
    ),
    dependencies=("tcp_ping.py",),
    preferences=(
        PluginPreference(TIMEOUT, PreferenceType.ENTRY, "2"),
        PluginPreference(PARALLEL, PreferenceType.ENTRY, "256"),
    ),
)


@dataclass
class ScanResult:
    """What a scan saw, port by port category."""

    open: list[int] = field(default_factory=list)
    closed: int = 0
    filtered: int = 0
    #: Ports that could not be probed at all (local resource shortage), and the last reason.
    unscanned: list[int] = field(default_factory=list)
    local_error: str = ""


@dataclass
class _Probe:
    sock: socket.socket
    port: int
    deadline: float
    retries: int


class _Scanner:
    """The sliding window of connecting sockets; driven by the loop's callbacks."""

    def __init__(
        self,
        sockaddr: tuple[Any, ...],
        family: socket.AddressFamily,
        ports: Iterator[int],
        *,
        timeout: float,
        parallel: int,
        on_open: Callable[[int], None],
        on_done: Callable[[int], None],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sockaddr = sockaddr
        self._family = family
        self._ports = ports
        self._timeout = timeout
        self._parallel = parallel
        self._on_open = on_open
        self._on_done = on_done
        self._pending: dict[int, _Probe] = {}  # by file descriptor
        self._retry: deque[tuple[int, int]] = deque()  # (port, retries so far)
        self._finished: asyncio.Future[None] = self._loop.create_future()
        self._timer: asyncio.TimerHandle | None = None
        self._exhausted = False
        self._closed = False
        self.result = ScanResult()

    async def run(self) -> ScanResult:
        try:
            self._fill()
            self._tick()
            await self._finished
        finally:
            self._close_all()
        return self.result

    # --- the window ------------------------------------------------------------------------

    def _next(self) -> tuple[int, int] | None:
        if self._retry:
            return self._retry.popleft()
        port = None if self._exhausted else next(self._ports, None)
        if port is None:
            self._exhausted = True
            return None
        return port, 0

    def _guarded(self, callback: Callable[..., None], *args: Any) -> None:
        """Run a loop callback; an error ends the scan instead of vanishing in the loop's log."""
        if self._closed:
            return
        try:
            callback(*args)
        except Exception as exc:
            if not self._finished.done():
                self._finished.set_exception(exc)

    def _fill(self) -> None:
        while len(self._pending) < self._parallel:
            item = self._next()
            if item is None:
                break
            if not self._start(*item):
                break  # out of sockets or local ports: wait for some to finish
        self._maybe_finish()

    def _start(self, port: int, retries: int) -> bool:
        """Begin connecting to ``port``; False if our own resources ran out."""
        try:
            sock = socket.socket(self._family, socket.SOCK_STREAM)
        except OSError as exc:
            return self._local_failure(port, retries, exc)
        sock.setblocking(False)
        code = sock.connect_ex((self._sockaddr[0], port, *self._sockaddr[2:]))
        if code == errno.EINPROGRESS:
            fd = sock.fileno()
            self._pending[fd] = _Probe(sock, port, self._loop.time() + self._timeout, retries)
            self._loop.add_writer(fd, self._guarded, self._connected, fd)
            return True
        if code in _LOCAL_ERRORS:
            sock.close()
            return self._local_failure(port, retries, OSError(code, errno.errorcode[code]))
        self._conclude(sock, port, code)
        return True

    def _local_failure(self, port: int, retries: int, exc: OSError) -> bool:
        """Try ``port`` again later; False to stop filling the window for now."""
        self.result.local_error = str(exc)
        if retries >= _LOCAL_RETRIES:
            self.result.unscanned.append(port)
            self._on_done(port)
            return True
        self._retry.append((port, retries + 1))
        if not self._pending:  # nothing will call _fill again: come back soon
            self._loop.call_later(_RETRY_DELAY, self._guarded, self._fill)
        return False

    def _connected(self, fd: int) -> None:
        probe = self._pending.pop(fd)
        self._loop.remove_writer(fd)
        code = probe.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code in _LOCAL_ERRORS:
            probe.sock.close()
            self._local_failure(probe.port, probe.retries, OSError(code, errno.errorcode[code]))
        else:
            self._conclude(probe.sock, probe.port, code)
        self._fill()

    def _conclude(self, sock: socket.socket, port: int, code: int) -> None:
        if code == 0 and not _connected_to_itself(sock):
            self.result.open.append(port)
            self._on_open(port)
        elif code in (0, errno.ECONNREFUSED, errno.ECONNRESET):
            self.result.closed += 1
        else:
            self.result.filtered += 1  # unreachable, timed out, rejected by a firewall
        sock.close()
        self._on_done(port)

    def _tick(self) -> None:
        """Expire late connects; one timer for the whole window, not one per socket."""
        now = self._loop.time()
        for fd, probe in list(self._pending.items()):
            if probe.deadline <= now:
                del self._pending[fd]
                self._loop.remove_writer(fd)
                self._conclude(probe.sock, probe.port, errno.ETIMEDOUT)
        self._fill()
        if not self._finished.done():
            interval = min(0.25, self._timeout / 4)
            self._timer = self._loop.call_later(interval, self._guarded, self._tick)

    def _maybe_finish(self) -> None:
        done = self._exhausted and not self._pending and not self._retry
        if done and not self._finished.done():
            self._finished.set_result(None)

    def _close_all(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        for fd, probe in self._pending.items():
            self._loop.remove_writer(fd)
            probe.sock.close()
        self._pending.clear()


def _connected_to_itself(sock: socket.socket) -> bool:
    """A TCP simultaneous open onto our own ephemeral port (see PluginContext.connect)."""
    try:
        return bool(sock.getsockname() == sock.getpeername())
    except OSError:
        return False  # reset right after the handshake: it was a real listener


async def scan_ports(
    ctx: PluginContext,
    ports: Iterator[int],
    *,
    timeout: float,
    parallel: int,
    on_open: Callable[[int], None],
    on_done: Callable[[int], None],
) -> ScanResult:
    """connect() to each of ``ports`` on ``ctx.address``; ``on_open`` for each open one."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        ctx.address, 0, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    family, _, _, _, sockaddr = infos[0]
    scanner = _Scanner(
        sockaddr,
        family,
        ports,
        timeout=timeout,
        parallel=parallel,
        on_open=on_open,
        on_done=on_done,
    )
    return await scanner.run()


async def run(ctx: PluginContext) -> None:
    ports = ctx.port_range.tcp
    total = len(ports)
    if not total:
        ctx.log.info("no TCP port in the port range: nothing to scan")
        return
    timeout = number(ctx.preference(TIMEOUT), 2.0, 0.05, 120.0)
    parallel = int(number(ctx.preference(PARALLEL), 256, 1, 4096))
    step = max(1, total // STATUS_UPDATES)
    done = 0

    def on_done(port: int) -> None:
        nonlocal done
        done += 1
        if done % step == 0 and done < total:
            ctx.status(done, total)

    ctx.status(0, total)
    result = await scan_ports(
        ctx, iter(ports), timeout=timeout, parallel=parallel, on_open=ctx.add_port, on_done=on_done
    )
    ctx.status(total, total)
    ctx.log.info(
        "%d ports: %d open, %d closed, %d filtered, %d not scanned",
        total,
        len(result.open),
        result.closed,
        result.filtered,
        len(result.unscanned),
    )
    if result.unscanned:
        ctx.log.warning("could not probe %d ports: %s", len(result.unscanned), result.local_error)
    ctx.kb.replace("Host/scanned", 1)
    ctx.kb.replace("Host/num_ports_scanned", total)
    if total == MAX_PORT:
        ctx.kb.replace("Host/full_scan", 1)
    ctx.kb.replace("Host/scanners/tcp_scanner", 1)
    ctx.kb.replace("TCPScanner/closed", result.closed)
    ctx.kb.replace("TCPScanner/filtered", result.filtered)
