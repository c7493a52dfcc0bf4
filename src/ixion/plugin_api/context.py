"""What a check receives: the context of one plugin on one host, and its connections.

:class:`PluginContext` is the interface every check is written against, Python plugins and
the engine's NASL bridge alike; the engine implements it (``ixion.engine.context``) for the
host being scanned. :class:`Stream` is the connection :meth:`PluginContext.connect` returns:
a TCP (or TLS) stream with a timeout on every read, so no check can hang on a silent service.
:class:`Datagrams` is what :meth:`PluginContext.datagram` returns: UDP to one port of the host.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    import logging
    from pathlib import Path
    from types import TracebackType

    from ixion.plugin_api.kb import KnowledgeBase
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.plugin_api.ports import PortRange
    from ixion.plugin_api.qod import QodType

__all__ = ["MAX_DATAGRAM", "MAX_LINE", "Datagrams", "PluginContext", "SshAuthResult", "Stream"]

#: Longest line :meth:`Stream.read_line` returns.
MAX_LINE: Final = 64 * 1024


@dataclass(slots=True)
class Stream:
    """A TCP (or TLS) connection to the scanned host, with a timeout on every read."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    #: Seconds a read waits by default.
    timeout: float

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        async with asyncio.timeout(self.timeout):
            await self.writer.drain()

    async def recv(self, size: int = 65536, *, timeout: float | None = None) -> bytes:
        """Up to ``size`` bytes; ``b""`` at end of stream or when nothing came in time."""
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                return await self.reader.read(size)
        except TimeoutError:
            return b""

    async def read_line(self, *, timeout: float | None = None) -> bytes:
        """One line with its ``\\n``; what arrived if the line did not end in time or was
        longer than 64 KiB; ``b""`` at once at end of stream."""
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                return await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError:
            return await self.reader.read(MAX_LINE)
        except TimeoutError:
            return b""

    @property
    def at_eof(self) -> bool:
        """The host closed its side: tells an empty :meth:`recv` at the end from a timeout."""
        return self.reader.at_eof()

    @property
    def tls_version(self) -> str | None:
        """The negotiated protocol (``"TLSv1.3"``...), or None on a clear connection."""
        ssl_object = self.writer.get_extra_info("ssl_object")
        if ssl_object is None:
            return None
        version: str | None = ssl_object.version()
        return version

    def peer_certificate(self) -> bytes | None:
        """The DER certificate the host showed, when this is a TLS connection."""
        ssl_object = self.writer.get_extra_info("ssl_object")
        if ssl_object is None:
            return None
        certificate: bytes | None = ssl_object.getpeercert(binary_form=True)
        return certificate

    async def close(self) -> None:
        self.writer.close()
        try:
            async with asyncio.timeout(1):
                await self.writer.wait_closed()
        except (OSError, TimeoutError, ssl.SSLError):
            pass

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


# --- UDP: datagrams to one port of the scanned host -----------------------------------------
#
# UDP has no handshake, so the only ways a port speaks are an answer and an ICMP error. The
# socket is *connected* to the port: the kernel then passes on only datagrams from that very
# address and port, and when the host answers with ICMP port unreachable it records the error
# on the socket, so the next :meth:`Datagrams.recv` (or :meth:`Datagrams.send`) raises
# :class:`ConnectionRefusedError`: the port is closed. Other ICMP errors are not reported to a
# connected socket by default; silence then means open or filtered, which nobody can tell apart.
#
# Some services answer from another port than the one asked (a TFTP server replies from a new
# port for each transfer). With ``any_source_port`` the socket is left unconnected, every
# datagram is sent to the port, and answers are taken from any port of the host's address;
# on Linux, ``IP_RECVERR`` still brings the port-unreachable error back to this socket.

#: Largest datagram :meth:`Datagrams.recv` returns by default (a UDP payload's limit).
MAX_DATAGRAM: Final = 65535
#: Linux's ``IP_RECVERR`` and ``IPV6_RECVERR``, which Python's socket module does not name.
_RECVERR: Final = {
    socket.AF_INET: (socket.IPPROTO_IP, 11),
    socket.AF_INET6: (socket.IPPROTO_IPV6, 25),
}
#: Sockets tried before giving up on one whose local port is the port scanned (see below).
_SELF_TRIES: Final = 3


@dataclass(slots=True)
class Datagrams:
    """Datagrams to and from one port of the scanned host, with a timeout on every wait."""

    sock: socket.socket
    #: Where datagrams go, as the socket's family spells an address.
    peer: tuple[Any, ...]
    #: Seconds a send or a receive waits by default.
    timeout: float
    #: Answers may come from any port of the host's address (the socket is not connected).
    any_source_port: bool = False

    @classmethod
    def open(
        cls,
        family: socket.AddressFamily,
        peer: tuple[Any, ...],
        *,
        timeout: float,
        any_source_port: bool = False,
    ) -> Datagrams:
        """A non-blocking UDP socket towards ``peer``; raises OSError.

        A socket whose local port is the port it talks to could, on the scanned host's own
        address, be talking to itself: its datagrams would come back as an "answer". Such a
        socket is replaced by another, whose port the kernel picks afresh.
        """
        for _ in range(_SELF_TRIES):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                if any_source_port:
                    if sys.platform == "linux" and family in _RECVERR:
                        sock.setsockopt(*_RECVERR[family], 1)
                    sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
                    mirrored = sock.getsockname()[1] == peer[1]
                else:
                    sock.connect(peer)
                    mirrored = sock.getsockname()[:2] == sock.getpeername()[:2]
            except BaseException:
                sock.close()
                raise
            if not mirrored:
                return cls(sock, peer, timeout, any_source_port)
            sock.close()
        raise ConnectionRefusedError(f"port {peer[1]}: every socket tried was bound to it")

    async def send(self, data: bytes) -> None:
        """Send one datagram. Raises ConnectionRefusedError if the port was found closed."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.timeout):
            if self.any_source_port:
                await loop.sock_sendto(self.sock, data, self.peer)
            else:
                await loop.sock_sendall(self.sock, data)

    async def recv(self, size: int = MAX_DATAGRAM, *, timeout: float | None = None) -> bytes | None:
        """The next datagram from the host (``b""`` for an empty one); None if none came in
        time. Raises ConnectionRefusedError when the host said the port is closed."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                if not self.any_source_port:
                    return await loop.sock_recv(self.sock, size)
                while True:
                    data, source = await loop.sock_recvfrom(self.sock, size)
                    if source[0] == self.peer[0]:
                        return data
        except TimeoutError:
            return None

    @property
    def local_port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    async def close(self) -> None:
        self.sock.close()

    async def __aenter__(self) -> Datagrams:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


# --- SSH: what a server answers to a login (ssh_auth) -------------------------------------


@dataclass(frozen=True, slots=True)
class SshAuthResult:
    """What an SSH server answered to one login attempt (RFC 4252), from
    :meth:`PluginContext.ssh_auth`."""

    #: The server's identification string (``SSH-2.0-OpenSSH_9.2p1 Debian-2``).
    server_version: str
    #: The methods the server lists for the user after a ``none`` request (RFC 4252 §5.2),
    #: as it names them (``publickey``, ``password``, ``keyboard-interactive``...).
    methods: tuple[str, ...]
    #: The ``none`` request itself was accepted: the user is in without any credential.
    no_authentication: bool = False
    #: The method a password logged in with (``password`` or ``keyboard-interactive``);
    #: None when no password was given, none of those methods is offered, or it failed.
    logged_in_by: str | None = None
    #: The issue banner the server showed before authentication, if any.
    issue_banner: str | None = None


class PluginContext(Protocol):
    """Given to a plugin's ``run``: everything it may use, for one host and one plugin.

    Everything a plugin does to the outside world goes through here, which is what keeps
    plugins honest and safe: sockets only ever connect to the host being scanned, every read
    has a timeout, reports carry the plugin's id and references, and a plugin auto-enabled as
    a silent dependency reports nothing (spec §3.5).
    """

    #: The plugin running.
    info: PluginInfo
    #: The host's knowledge base, shared with the other plugins of the host.
    kb: KnowledgeBase
    #: The target as the user named it, for texts.
    host: str
    #: The address sockets connect to.
    address: str
    log: logging.Logger

    @property
    def port_range(self) -> PortRange:
        """The ports the scan covers (the ``port_range`` preference)."""
        ...

    def on_behalf_of(self, info: PluginInfo) -> PluginContext:
        """A silent context for another plugin run as a step of this one's work."""
        ...

    def preference(self, name: str) -> str | None:
        """This plugin's preference ``name`` as the client set it, else its default."""
        ...

    def preference_file(self, name: str) -> Path | None:
        """Where the file a ``file`` preference names was stored, if the client sent it."""
        ...

    def scan_preference(self, name: str) -> str | None:
        """A server or client preference (``safe_checks``, ``cgi_path``...)."""
        ...

    def open_ports(self, proto: str = "tcp") -> list[int]:
        """Ports the port scanners found open, ascending."""
        ...

    def port_is_open(self, port: int, proto: str = "tcp") -> bool:
        """The §6.4 port-state check: unscanned ports count as open unless told otherwise."""
        ...

    async def connect(
        self,
        port: int,
        *,
        tls: bool = False,
        timeout: float | None = None,
        server_name: str | None = None,
    ) -> Stream:
        """A connection to the scanned host; raises OSError or TimeoutError."""
        ...

    async def datagram(
        self, port: int, *, timeout: float | None = None, any_source_port: bool = False
    ) -> Datagrams:
        """UDP to ``port`` of the scanned host (:class:`Datagrams`): an ICMP
        port unreachable comes out of its next send or recv as ConnectionRefusedError."""
        ...

    async def ssh_auth(
        self, port: int, user: str, password: str | None = None, *, timeout: float | None = None
    ) -> SshAuthResult:
        """An SSH key exchange with ``port`` of the host, then a ``none`` login request for
        ``user`` (the answer lists the methods the server offers), and with ``password`` a
        login by ``password`` or ``keyboard-interactive``, whichever is offered; then the
        connection is closed. ``timeout`` bounds the whole attempt. Raises OSError (the
        connection failed, or the server broke the protocol) or TimeoutError."""
        ...

    def add_port(self, port: int, proto: str = "tcp", *, service: str = "") -> None:
        """An open port: KB ``Ports/<proto>/<port>`` = 1 and a PORT to the client.

        ``service``: the service that answered, when the scanner knows it (a UDP scanner
        whose protocol request got its answer), named as by :meth:`name_service`.
        """
        ...

    def name_service(self, port: int, proto: str, name: str) -> None:
        """Name the service detected on an open port as ``nmap -sV`` does (``http``;
        ``ssl/http`` through TLS; ``snmp``): KB ``ixion/service/<proto>/<port>`` = ``name``,
        and the name the port's PORT line and results carry. A plugin that calls it says so
        in its :attr:`~ixion.plugin_api.metadata.PluginInfo.detects_services`, so that the
        host's TCP ports wait for its names. Raises ValueError when ``name`` is not one
        (:func:`~ixion.plugin_api.service_names.is_service_name`) or the port is out of
        range."""
        ...

    def status(self, current: int, total: int) -> None:
        """Port scanning progress (``portscan current/total``)."""
        ...

    def hole(
        self,
        data: str | None = None,
        *,
        port: int = 0,
        proto: str = "tcp",
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """A security hole (``security_hole``). ``data=None``: the plugin's description.

        ``qod_type``/``qod`` say how sure this one finding is when it differs from the
        plugin's :attr:`~ixion.plugin_api.metadata.PluginInfo.qod` (``QodType.EXPLOIT``: the
        flaw was shown to work; ``QodType.REMOTE_BANNER_UNRELIABLE``: a version guess); a
        type brings its own value unless ``qod`` (0-100) is given too.
        """
        ...

    def warning(
        self,
        data: str | None = None,
        *,
        port: int = 0,
        proto: str = "tcp",
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """A security warning (``security_warning``; INFO on the wire); ``qod`` as for
        :meth:`hole`."""
        ...

    def note(
        self,
        data: str | None = None,
        *,
        port: int = 0,
        proto: str = "tcp",
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """A security note (``security_note``); ``qod`` as for :meth:`hole`."""
        ...
