"""One client's NTP session over its asyncio streams: a message in, a message out.

``ixion.ntp``'s server :class:`~ixion.ntp.Session` is sans-IO; this is the thin layer that
feeds it what the socket reads and writes what it encodes, shared by the login
(:mod:`ixion.server.connection`) and the orders (:mod:`ixion.server.orders`) so that both
see the same buffered bytes and the same negotiated features.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import TYPE_CHECKING, Final

from ixion.ntp import NEED_DATA, ConnectionClosed, Role, Session
from ixion.server.tls import peer_dn

if TYPE_CHECKING:
    from ixion.ntp import Features, Message

__all__ = ["READ_SIZE", "Closed", "Link"]

log = logging.getLogger(__name__)

READ_SIZE: Final = 64 * 1024


class Closed(Exception):
    """The client left, or must be left (bad login, protocol error)."""


class Link:
    """The server side of one connection's NTP session."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._session = Session(Role.SERVER)
        peer = writer.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else "unknown"

    @property
    def features(self) -> Features:
        """What the banner and the login negotiated for this connection."""
        return self._session.features

    def peer_dn(self) -> str | None:
        """The subject of the client's TLS certificate, or None without one."""
        return peer_dn(self._writer.get_extra_info("ssl_object"))

    async def send(self, msg: Message) -> None:
        data = self._session.send(msg)
        if data:
            # One write and drain per message: prompts must not share a read with other
            # output, and a slow reader slows only its own connection.
            self._writer.write(data)
            await self._writer.drain()

    async def try_send(self, msg: Message) -> None:
        try:
            await self.send(msg)
        except Exception:  # the connection is being abandoned anyway
            log.debug("%s: could not send %s", self.peer, msg.TYPE)

    async def receive(self, within: float | None = None) -> Message:
        """The client's next message, within ``within`` seconds in all (None: no limit)."""
        async with asyncio.timeout(within):
            while (msg := self._session.next_message()) is NEED_DATA:
                self._session.receive_data(await self._reader.read(READ_SIZE))
        if isinstance(msg, ConnectionClosed):
            raise Closed
        return msg

    async def wait_for_input(self, seconds: float) -> None:
        """Buffer whatever the client sends within ``seconds``; return at once if it does."""
        try:
            async with asyncio.timeout(seconds):
                data = await self._reader.read(READ_SIZE)
        except TimeoutError:
            return
        self._session.receive_data(data)

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (OSError, ssl.SSLError):
            log.debug("%s: error while closing", self.peer)
