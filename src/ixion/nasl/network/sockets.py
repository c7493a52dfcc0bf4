"""A real :class:`~ixion.nasl.network.host.Host`: blocking sockets to one target address.

Used by ``ixion-nasl`` and the tests; the engine will adapt its own per-host state to the
same protocol. Rules this module keeps:

* Every connection goes to :attr:`TargetHost.address` and nowhere else: the port is the
  only thing a script chooses.
* TLS does not verify the peer's certificate. A scanner looks at services, it does not
  trust them, and a self-signed or expired certificate is itself a finding. SNI carries
  the target's name when it has one (never an IP address, which RFC 6066 forbids).
* A TCP connection whose local and remote ends are the same socket is refused. On
  127.0.0.1 a connect to a closed port in the ephemeral range can "simultaneously open"
  onto itself, and a script would then read back what it sent and think a service
  answered.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.nasl.network.host import ConnectionRefused
from ixion.plugin_api.tls import probing_context, server_name

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ixion.nasl.network.host import Report, Transport

__all__ = ["SocketConnection", "TargetHost", "resolve_target"]

_TLS_VERSIONS: Final = {
    "tls1.0": ssl.TLSVersion.TLSv1,
    "tls1.1": ssl.TLSVersion.TLSv1_1,
    "tls1.2": ssl.TLSVersion.TLSv1_2,
    "tls1.3": ssl.TLSVersion.TLSv1_3,
}
#: Linux's table of IPv4 routes: a route without a gateway is a directly attached network.
_ROUTES: Final = Path("/proc/net/route")


class SocketConnection:
    """A :class:`~ixion.nasl.network.host.Connection` over one Python socket (TCP, TLS or UDP)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._closed = False

    @property
    def local_port(self) -> int:
        return int(self._sock.getsockname()[1])

    def send(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def recv(self, size: int, timeout: float) -> bytes:
        self._sock.settimeout(max(timeout, 0.001))
        return self._sock.recv(size)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._sock.close()


class TargetHost:
    """The scanned host at ``address``; findings go to ``on_report``."""

    def __init__(
        self,
        address: str,
        names: Sequence[str] = (),
        *,
        on_report: Callable[[Report], None] = lambda report: None,
    ) -> None:
        self._ip = ipaddress.ip_address(address)
        self._names = tuple(names)
        self._on_report = on_report

    @property
    def address(self) -> str:
        return str(self._ip)

    @property
    def names(self) -> Sequence[str]:
        return self._names

    def _family(self) -> socket.AddressFamily:
        return socket.AF_INET6 if self._ip.version == 6 else socket.AF_INET

    def local_address(self) -> str:
        # Connecting a UDP socket sends nothing; it only makes the kernel pick the route.
        with socket.socket(self._family(), socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((self.address, 9))
            except OSError:
                return self.address if self._ip.is_loopback else "0.0.0.0"
            return str(probe.getsockname()[0])

    def is_local_network(self) -> bool:
        if self._ip.is_loopback or self.local_address() == self.address:
            return True
        if self._ip.version != 4 or not _ROUTES.is_file():
            return False
        target = int(self._ip)
        for line in _ROUTES.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) < 8 or int(fields[2], 16) != 0:
                continue  # malformed, or reached through a gateway
            # The kernel prints these in host byte order of a little-endian word.
            network = struct.unpack("<I", bytes.fromhex(fields[1]))[0]
            mask = struct.unpack("<I", bytes.fromhex(fields[7]))[0]
            wanted = int.from_bytes(network.to_bytes(4, "little"), "big")
            netmask = int.from_bytes(mask.to_bytes(4, "little"), "big")
            if netmask and target & netmask == wanted:
                return True
        return False

    def connect_tcp(self, port: int, *, timeout: float, transport: Transport) -> SocketConnection:
        try:
            sock = socket.create_connection((self.address, port), timeout=timeout)
        except OSError as err:
            raise ConnectionRefused(str(err)) from None
        try:
            if sock.getsockname() == sock.getpeername():
                raise ConnectionRefused(f"port {port}: connected to itself")
            if transport != "clear":
                context = probing_context(_TLS_VERSIONS.get(transport))
                sock = context.wrap_socket(sock, server_hostname=self._sni())
        except (OSError, ValueError) as err:
            sock.close()
            raise ConnectionRefused(str(err)) from None
        return SocketConnection(sock)

    def connect_udp(self, port: int) -> SocketConnection:
        sock = socket.socket(self._family(), socket.SOCK_DGRAM)
        try:
            sock.connect((self.address, port))
        except OSError as err:
            sock.close()
            raise ConnectionRefused(str(err)) from None
        return SocketConnection(sock)

    def report(self, report: Report) -> None:
        self._on_report(report)

    def _sni(self) -> str | None:
        if not self._names:
            return None
        return server_name(self._names[0]) or None


def resolve_target(
    target: str, *, on_report: Callable[[Report], None] = lambda report: None
) -> TargetHost:
    """The host named by ``target``, an address or a name looked up once now.

    Raises:
        OSError: the name does not resolve.
    """
    try:
        return TargetHost(str(ipaddress.ip_address(target)), on_report=on_report)
    except ValueError:
        pass
    info = socket.getaddrinfo(target, None, type=socket.SOCK_STREAM)
    return TargetHost(str(info[0][4][0]), (target,), on_report=on_report)
