"""What a check receives: the context of one plugin on one host, and its connections.

:class:`PluginContext` is the interface every check is written against, Python plugins and
the engine's NASL bridge alike; the engine implements it (``ixion.engine.context``) for the
host being scanned. :class:`Stream` is the connection :meth:`PluginContext.connect` returns:
a TCP (or TLS) stream with a timeout on every read, so no check can hang on a silent service.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    import logging
    from pathlib import Path
    from types import TracebackType

    from ixion.plugin_api.kb import KnowledgeBase
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.plugin_api.ports import PortRange

__all__ = ["MAX_LINE", "PluginContext", "Stream"]

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

    def add_port(self, port: int, proto: str = "tcp") -> None:
        """An open port: KB ``Ports/<proto>/<port>`` = 1 and a PORT to the client."""
        ...

    def status(self, current: int, total: int) -> None:
        """Port scanning progress (``portscan current/total``)."""
        ...

    def hole(self, data: str | None = None, *, port: int = 0, proto: str = "tcp") -> None:
        """A security hole (``security_hole``). ``data=None``: the plugin's description."""
        ...

    def warning(self, data: str | None = None, *, port: int = 0, proto: str = "tcp") -> None:
        """A security warning (``security_warning``; INFO on the wire)."""
        ...

    def note(self, data: str | None = None, *, port: int = 0, proto: str = "tcp") -> None:
        """A security note (``security_note``)."""
        ...
