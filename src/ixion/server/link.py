"""One client's NTP session over its asyncio streams: a message in, a message out.

``ixion.ntp``'s server :class:`~ixion.ntp.Session` is sans-IO; this is the thin layer that
feeds it what the socket reads and writes what it encodes, shared by the login
(:mod:`ixion.server.connection`) and the orders (:mod:`ixion.server.orders`) so that both
see the same buffered bytes and the same negotiated features.

After the login a client may stay idle between two messages for as long as it likes, as with
nessusd, but once the first byte of a message is in, the rest must follow (issue 15): no gap
of more than ``stall_timeout`` seconds, and the whole message within ``stall_timeout`` plus
one second per :data:`STALL_RATE` bytes received. A client cannot hold its connection by
stopping in the middle of a block, a payload or a line, nor by dripping a byte at a time; a
slow but steady link (a kilobyte a second still passes) is not cut.

The same holds the other way: a client that stops reading what it is sent (a plugin list,
a scan's results) would hold its connection, and the scan behind it, for good. Whenever
output waits on the client, it must take :data:`STALL_RATE` bytes a second of it, measured
over ``stall_timeout`` seconds, or the connection is dropped (:class:`NotReading`). What it
took is what its end acknowledged; a client's kernel acknowledges only once its program has
read a good part of the receive buffer (up to 1/16 of several MB), so a client that reads
a few kB a minute through a big buffer can be dropped: none reads that slowly.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import ssl
import sys
import termios
from typing import TYPE_CHECKING, Final

from ixion.ntp import NEED_DATA, ConnectionClosed, Role, Session
from ixion.server.tls import peer_dn

if TYPE_CHECKING:
    from ixion.ntp import Features, Message

__all__ = ["READ_SIZE", "STALL_RATE", "Closed", "Link", "NotReading", "Stalled"]

log = logging.getLogger(__name__)

READ_SIZE: Final = 64 * 1024
#: Bytes a second a message must average, beyond its first ``stall_timeout`` seconds, to keep
#: coming. 8 kbit/s: slower than any link a scanner is driven over, faster than a drip.
STALL_RATE: Final = 1024


class Closed(Exception):
    """The client left, or must be left (bad login, protocol error)."""


class Stalled(Exception):
    """A logged-in client stopped, or slowed to a drip, in the middle of a message."""

    #: What the client is told before the connection closes.
    error_hint = "Request timed out"


class NotReading(ConnectionError):
    """A client stopped reading its output; the connection is dropped, as if it had left."""


class Link:
    """The server side of one connection's NTP session."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        stall_timeout: float | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._session = Session(Role.SERVER)
        #: See the module docstring; None: a message may take as long as it likes.
        self._stall_timeout = stall_timeout
        #: Bytes read from the client so far (a stream offset, like ``Session.offset``).
        self._received = 0
        #: Bytes written to the client so far.
        self._sent = 0
        #: Where the last message returned ends: bytes beyond it belong to the next one.
        self._message_end = 0
        #: Loop time the first byte of the message being read arrived; None between messages.
        self._message_began: float | None = None
        self._last_read = 0.0
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
            self._sent += len(data)
            await self._drain()

    async def send_in_chunks(self, msg: Message) -> None:
        """Send a long block (PLUGIN_LIST, the md5 list...) a chunk at a time.

        With a whole feed PLUGIN_LIST is 200 MB: encoded at once it would stop every other
        client for a second or more and cost each listing client its own copy. Here a chunk is
        encoded only once the previous one is written, the drain makes a slow reader wait on
        its own connection, and the loop is given a turn after every chunk even when the
        socket took it all (drain returns at once then, without yielding). Nothing else may
        be sent on this link until this returns, or it would land inside the block.
        """
        for chunk in self._session.send_chunks(msg):
            self._writer.write(chunk)
            self._sent += len(chunk)
            await self._drain()
            await asyncio.sleep(0)

    async def _drain(self) -> None:
        """Wait until the client has taken enough of the output (see the module docstring).

        Raises:
            NotReading: in ``stall_timeout`` seconds, the client took less than
                :data:`STALL_RATE` bytes a second of what waits for it.
        """
        transport = self._writer.transport
        low, _ = transport.get_write_buffer_limits()
        if self._stall_timeout is None or transport.get_write_buffer_size() <= low:
            return await self._writer.drain()  # returns at once unless writing is paused
        while True:
            sent, unread = self._sent, self._unread()
            try:
                async with asyncio.timeout(self._stall_timeout):
                    return await self._writer.drain()
            except TimeoutError:
                taken = self._sent - sent + unread - self._unread()
                if taken < self._stall_timeout * STALL_RATE:
                    transport.abort()
                    raise NotReading(
                        f"took {max(taken, 0)} bytes of its output in {self._stall_timeout:g} s"
                    ) from None

    def _unread(self) -> int:
        """Bytes written that the client's end has not acknowledged yet: asyncio's buffer and
        the kernel's send queue (a reader's progress shows there long before the kernel frees
        room for asyncio's buffer to shrink)."""
        waiting = self._writer.transport.get_write_buffer_size()
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, bytes(4))
                waiting += int.from_bytes(queued, sys.byteorder, signed=True)
        return waiting

    async def try_send(self, msg: Message) -> None:
        try:
            await self.send(msg)
        except Exception:  # the connection is being abandoned anyway
            log.debug("%s: could not send %s", self.peer, msg.TYPE)

    async def receive(self, within: float | None = None) -> Message:
        """The client's next message, within ``within`` seconds in all.

        With ``within`` None (after the login) the wait for a message's first byte has no
        limit, and the rest of it must arrive as the module docstring says.

        Raises:
            Closed: the client closed the connection between two messages.
            Stalled: the client stalled in the middle of a message.
            TimeoutError: ``within`` seconds passed.
        """
        async with asyncio.timeout(within):
            while (msg := self._session.next_message()) is NEED_DATA:
                if within is None:
                    self._feed(await self._read_rest())
                else:
                    self._feed(await self._reader.read(READ_SIZE))
        self._message_end = self._session.offset
        # What the last read brought beyond this message is the start of the next one.
        self._message_began = self._last_read if self._received > self._message_end else None
        if isinstance(msg, ConnectionClosed):
            raise Closed
        return msg

    async def _read_rest(self) -> bytes:
        """The next bytes from the client, within what the stall limits leave."""
        if self._message_began is None or self._stall_timeout is None:
            return await self._reader.read(READ_SIZE)
        loop = asyncio.get_running_loop()
        received = self._received - self._message_end
        allowed = self._stall_timeout + received / STALL_RATE
        left = self._message_began + allowed - loop.time()
        if left > 0:
            try:
                async with asyncio.timeout(min(self._stall_timeout, left)):
                    return await self._reader.read(READ_SIZE)
            except TimeoutError:
                pass
        if left < self._stall_timeout:
            raise Stalled(f"too slow: {received} bytes of a message in {allowed:.1f} s")
        raise Stalled(f"nothing for {self._stall_timeout:g} s after {received} bytes of a message")

    def _feed(self, data: bytes) -> None:
        now = asyncio.get_running_loop().time()
        if data and self._message_began is None:
            self._message_began = now
        self._last_read = now
        self._received += len(data)
        self._session.receive_data(data)

    async def wait_for_input(self, seconds: float) -> None:
        """Buffer whatever the client sends within ``seconds``; return at once if it does."""
        try:
            async with asyncio.timeout(seconds):
                data = await self._reader.read(READ_SIZE)
        except TimeoutError:
            return
        self._feed(data)

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (OSError, ssl.SSLError):
            log.debug("%s: error while closing", self.peer)
