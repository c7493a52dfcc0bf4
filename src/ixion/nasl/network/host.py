"""What a script may ask of the host it scans, beyond the KB.

The interpreter is synchronous (the engine will run it in a worker thread), so this
protocol is too: a built-in that connects blocks until the connection is made or its
timeout runs out. The protocol holds only what the tier-1 built-ins need (nasl.md §6.2):

* who the target is (:attr:`Host.address`, :attr:`Host.names`) and where the scanner
  stands (:meth:`Host.local_address`, :meth:`Host.is_local_network`);
* connections to a port *of the target*: no method takes an address, so a script cannot
  reach any other machine through it;
* findings (:meth:`Host.report`).

Port states and transports are KB facts (``Ports/tcp/N``, ``Transports/TCP/N``) that the built-ins
read through the KB themselves, so that a forked run replays them
(:mod:`ixion.nasl.runtime.forking`). :mod:`ixion.nasl.network.sockets` implements this with real
sockets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Connection",
    "ConnectionRefused",
    "Host",
    "Report",
    "ReportKind",
    "TlsInfo",
    "Transport",
]

#: ``security_hole`` / ``security_warning`` / ``security_note`` and OpenVAS'
#: ``security_message`` / ``log_message`` / ``error_message`` (nasl.md §3).
ReportKind: TypeAlias = Literal["hole", "warning", "note", "log", "error"]

#: How to speak to a TCP port: in the clear, or through TLS (any version the peer takes),
#: or one TLS version pinned, as NASL's ``ENCAPS_TLSv1`` ... ``ENCAPS_TLSv13`` ask.
Transport: TypeAlias = Literal["clear", "tls", "tls1.0", "tls1.1", "tls1.2", "tls1.3"]


@dataclass(frozen=True, slots=True)
class Report:
    """One finding about a port of the scanned host."""

    kind: ReportKind
    port: int
    protocol: str
    data: bytes


class ConnectionRefused(OSError):
    """The connection could not be made (refused, unreachable, timed out, TLS failed)."""


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """What a TLS connection negotiated, read when a built-in asks (``socket_get_cert``,
    ``socket_get_ssl_version``, ``get_sock_info``...). Names are OpenSSL's; the built-ins
    translate them to what OpenVAS (GnuTLS) prints."""

    #: ``"TLSv1.2"``, ``"TLSv1.3"``...
    version: str
    #: The suite's OpenSSL name (``"ECDHE-RSA-AES256-GCM-SHA384"``) and IANA number (0xC030).
    cipher: str
    cipher_id: int | None
    #: The suite's parts as OpenSSL describes them: ``"kx-ecdhe"``, ``"auth-rsa"``,
    #: ``"aes-256-gcm"``, ``"sha384"`` (empty: none, or unknown).
    key_exchange: str
    authentication: str
    symmetric: str
    digest: str
    aead: bool
    #: The peer's certificates as it sent them, DER, its own first; empty without any.
    chain: tuple[bytes, ...]
    #: The session id (TLS 1.2 and older; TLS 1.3 has only its legacy echo), maybe empty.
    session_id: bytes
    #: Whether the server's hello carried the renegotiation_info extension (RFC 5746);
    #: None when the hello was not seen.
    secure_renegotiation: bool | None


class Connection(Protocol):
    """One open socket to the target. Every method may raise :class:`OSError`."""

    @property
    def local_port(self) -> int: ...

    def send(self, data: bytes) -> int:
        """Send all of ``data`` (a datagram for UDP); the number of bytes sent."""
        ...

    def recv(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes, waiting at most ``timeout`` seconds for the first one.

        ``b""`` when the peer closed the stream. Raises :class:`TimeoutError` when nothing
        arrived in time.
        """
        ...

    def close(self) -> None:
        """Close it; closing twice does nothing."""
        ...

    def tls_info(self) -> TlsInfo | None:
        """What TLS negotiated on this connection; None for a clear (or UDP) one."""
        ...

    def start_tls(self, transport: Transport, timeout: float) -> None:
        """Speak TLS from now on over this clear TCP connection (after a STARTTLS).

        Raises:
            ConnectionRefused: the handshake failed; the connection is then unusable.
        """
        ...


class Host(Protocol):
    """The scanned host, as the built-ins see it."""

    @property
    def address(self) -> str:
        """The target's IP address, as text (``"192.0.2.7"``, ``"2001:db8::7"``)."""
        ...

    @property
    def names(self) -> Sequence[str]:
        """The target's host names, main name first; empty when it is known by address."""
        ...

    def local_address(self) -> str:
        """The scanner's own address on the route to the target (``this_host()``)."""
        ...

    def is_local_network(self) -> bool:
        """Whether the target is on a network the scanner reaches without a gateway."""
        ...

    def connect_tcp(self, port: int, *, timeout: float, transport: Transport) -> Connection:
        """A TCP connection to ``port`` of the target.

        Raises:
            ConnectionRefused: it could not be made within ``timeout`` seconds.
        """
        ...

    def connect_udp(self, port: int) -> Connection:
        """A UDP socket bound to ``port`` of the target.

        Raises:
            ConnectionRefused: it could not be made.
        """
        ...

    def report(self, report: Report) -> None:
        """Record a finding; during a fork replay the interpreter does not call this."""
        ...
