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
* What TLS negotiated is read from the socket when asked (:meth:`SocketConnection.tls_info`).
  Python's ``ssl`` does not say whether the server offered secure renegotiation (RFC 5746),
  so the handshake's messages are watched (the context's ``_msg_callback``, CPython's
  debugging hook) just long enough to keep the server's hello; without that hook the
  answer is "unknown".
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ixion.nasl.network.host import ConnectionRefused, TlsInfo
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
#: The TLS extension a server answers with when it supports secure renegotiation.
_RENEGOTIATION_INFO: Final = 0xFF01
_SERVER_HELLO: Final = 2


class _Hello:
    """The server's hello of one handshake, caught by the context's message hook."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.message: bytes | None = None
        if hasattr(context, "_msg_callback"):
            context._msg_callback = self  # no public way: see the module docstring

    def __call__(self, _conn: object, direction: str, *details: Any) -> None:
        data = details[-1]  # after the version, the record's and the message's types
        if direction == "read" and data[:1] == bytes([_SERVER_HELLO]) and self.message is None:
            self.message = bytes(data)


def _tls_handshake(
    sock: socket.socket, transport: Transport, sni: str | None, timeout: float
) -> tuple[ssl.SSLSocket, _Hello]:
    """``sock`` wrapped in TLS, handshake done (raises OSError or ValueError)."""
    context = probing_context(_TLS_VERSIONS.get(transport))
    hello = _Hello(context)
    sock.settimeout(max(timeout, 0.001))
    wrapped = context.wrap_socket(sock, server_hostname=sni)
    if hasattr(context, "_msg_callback"):
        context._msg_callback = None  # the rest of the stream needs no watching
    return wrapped, hello


def _hello_fields(message: bytes | None) -> tuple[bytes, bool | None]:
    """The session id and whether renegotiation_info came, from a ServerHello message."""
    if message is None or len(message) < 39:
        return b"", None
    at = 4 + 2 + 32  # type and length, version, random
    size = message[at]
    session_id = message[at + 1 : at + 1 + size]
    at += 1 + size + 2 + 1  # session id, cipher suite, compression method
    if len(message) < at + 2:
        return session_id, False
    end = min(len(message), at + 2 + int.from_bytes(message[at : at + 2], "big"))
    at += 2
    while at + 4 <= end:
        kind, length = struct.unpack(">HH", message[at : at + 4])
        if kind == _RENEGOTIATION_INFO:
            return session_id, True
        at += 4 + length
    return session_id, False


@functools.cache
def _suites() -> dict[str, dict[str, Any]]:
    """OpenSSL's description of each cipher suite it has, by name."""
    return {suite["name"]: dict(suite) for suite in probing_context().get_ciphers()}


def _chain(sock: ssl.SSLSocket) -> tuple[bytes, ...]:
    """The peer's certificates, DER, as it sent them (Python 3.13 calls this
    ``get_unverified_chain``; before, only the C object has it)."""
    native = getattr(sock, "_sslobj", None)
    unverified = getattr(native, "get_unverified_chain", None)
    if unverified is not None:
        return tuple(ssl.PEM_cert_to_DER_cert(cert.public_bytes()) for cert in unverified() or ())
    leaf = sock.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


class SocketConnection:
    """A :class:`~ixion.nasl.network.host.Connection` over one Python socket (TCP, TLS or UDP)."""

    def __init__(
        self, sock: socket.socket, *, sni: str | None = None, hello: _Hello | None = None
    ) -> None:
        self._sock = sock
        self._closed = False
        #: The name TLS announces, should this connection start TLS later.
        self._sni = sni
        self._hello = hello

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

    def tls_info(self) -> TlsInfo | None:
        sock = self._sock
        if not isinstance(sock, ssl.SSLSocket):
            return None
        name, version, _ = sock.cipher() or ("", sock.version() or "", 0)
        suite = _suites().get(name, {})
        hello_id, secure = _hello_fields(self._hello.message if self._hello else None)
        session = sock.session
        return TlsInfo(
            version=sock.version() or version,
            cipher=name,
            cipher_id=suite["id"] & 0xFFFF if "id" in suite else None,
            key_exchange=suite.get("kea") or "",
            authentication=suite.get("auth") or "",
            symmetric=suite.get("symmetric") or "",
            digest=suite.get("digest") or "",
            aead=bool(suite.get("aead")),
            chain=_chain(sock),
            session_id=hello_id or (session.id if session is not None else b""),
            secure_renegotiation=secure,
        )

    def start_tls(self, transport: Transport, timeout: float) -> None:
        if isinstance(self._sock, ssl.SSLSocket) or self._sock.type != socket.SOCK_STREAM:
            raise ConnectionRefused("not a clear TCP connection")
        try:
            self._sock, self._hello = _tls_handshake(self._sock, transport, self._sni, timeout)
        except (OSError, ValueError) as err:
            self.close()
            raise ConnectionRefused(str(err)) from None


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
        sni, hello = self._sni(), None
        try:
            if sock.getsockname() == sock.getpeername():
                raise ConnectionRefused(f"port {port}: connected to itself")
            if transport != "clear":
                sock, hello = _tls_handshake(sock, transport, sni, timeout)
        except (OSError, ValueError) as err:
            sock.close()
            raise ConnectionRefused(str(err)) from None
        return SocketConnection(sock, sni=sni, hello=hello)

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
