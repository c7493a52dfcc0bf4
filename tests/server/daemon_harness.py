"""ixiond's real accept loop (``ixion.server.daemon.serve``) on 127.0.0.1, and the clients the
bad-input tests throw at it: ixion's own client as the well-behaved one, raw sockets as the
rest.

Every wait has a deadline (:data:`PATIENCE`), so a hang fails the test instead of blocking it.
The user every test logs in as may scan nothing: its rules are ``default reject``, so an attack
order can only end in an error, never in traffic to a target.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import pytest

from ixion.client.connection import ClientConnection
from ixion.engine.loader import Plugins
from ixion.ntp import NessusVersion, NessusVersionRequest
from ixion.server.config import Locations, parse_config, resolve_settings
from ixion.server.daemon import SHUTDOWN_GRACE, ScanSetup, serve
from ixion.server.limits import DEFAULTS, Limits
from ixion.server.offer import Offer, build_offer
from ixion.server.rules import create_global_rules
from ixion.server.startup import _listen
from ixion.server.users import ScryptCost, UserStore

__all__ = [
    "BYE_LINE",
    "FAST_BANNER",
    "LOOPBACK",
    "PASSWORD",
    "PATIENCE",
    "USER",
    "VERSION_ANSWER",
    "VERSION_ORDER",
    "Daemon",
    "Ending",
    "RawClient",
    "connections_drop_to",
    "connections_served",
    "errors_logged",
    "good_client",
    "ixiond",
    "logged",
    "run",
]

_T = TypeVar("_T")

LOOPBACK: Final = "127.0.0.1"
#: Seconds any one step may take before it counts as hung.
PATIENCE: Final = 5.0
USER: Final = "tester"
PASSWORD: Final = "testpass"
#: What the user, and the daemon's global rules, let anyone scan: nothing (spec §7.3).
REJECT_ALL_RULES: Final = "default reject\n"
#: The banner of a client that wants nothing after the login (spec §1.6, nmap).
FAST_BANNER: Final = b"< NTP/1.2 >< fast_login >\n"
VERSION_ORDER: Final = b"CLIENT <|> NESSUS_VERSION <|> CLIENT\n"
VERSION_ANSWER: Final = b"SERVER <|> NESSUS_VERSION <|> 2.2.5 <|> SERVER\n"
BYE_LINE: Final = b"SERVER <|> BYE <|> BYE <|> SERVER\n"


def run(scenario: Callable[[], Coroutine[Any, Any, _T]], *, timeout: float = 30.0) -> _T:
    """Run one scenario in a fresh event loop; a hang fails after ``timeout`` seconds."""

    async def main() -> _T:
        async with asyncio.timeout(timeout):
            return await scenario()

    return asyncio.run(main())


# --- the daemon ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Daemon:
    port: int
    #: What a good client trusts when the daemon speaks TLS.
    client_tls: ssl.SSLContext | None = None

    async def good_client(self) -> str:
        return await good_client(self.port, self.client_tls)

    async def raw(self, *, tls: bool = False) -> RawClient:
        return await RawClient.open(self.port, self.client_tls if tls else None)


@asynccontextmanager
async def ixiond(
    state_dir: Path,
    *,
    scanning: bool = False,
    tls: ssl.SSLContext | None = None,
    client_tls: ssl.SSLContext | None = None,
    offer: Offer | None = None,
    limits: Limits = DEFAULTS,
) -> AsyncIterator[Daemon]:
    """``serve()`` on a port of 127.0.0.1 the kernel chose, in this event loop.

    The daemon has the default configuration with ``state_dir`` as its state directory, global
    rules that reject everything, no plugins, and the one user :data:`USER`, whose rules reject
    everything too. With ``scanning`` it takes scan orders as ``ixiond`` does (with its fork
    server); without, it answers them with an error.

    When the scenario ends without an error, the daemon must still be running and must serve a
    fresh client; then it is stopped as SIGTERM would stop it, and must stop in time.
    """
    table = parse_config("")
    locations = Locations(config_file=state_dir / "ixiond.conf", state_dir=state_dir)
    settings = resolve_settings(table, locations).settings
    settings.rules.parent.mkdir(parents=True, exist_ok=True)
    create_global_rules(settings.rules, REJECT_ALL_RULES)
    users = UserStore(settings.users, cost=ScryptCost(log2_n=10))
    users.add_user(USER, password=PASSWORD, rules_text=REJECT_ALL_RULES)
    plugins = Plugins(())
    listener = _listen(LOOPBACK, 0)
    port = listener.getsockname()[1]
    stop = asyncio.Event()
    served = asyncio.create_task(
        serve(
            listener,
            offer=offer or build_offer(table, plugins),
            users=users,
            tls=tls,
            stop=stop,
            scan_setup=ScanSetup(settings, table, plugins) if scanning else None,
            limits=limits,
        ),
        name="ixiond",
    )
    try:
        daemon = Daemon(port, client_tls)
        yield daemon
        assert not served.done(), "the daemon stopped during the scenario"
        assert await daemon.good_client() == "2.2.5"
    finally:
        stop.set()
        async with asyncio.timeout(SHUTDOWN_GRACE + PATIENCE):
            await served


# --- a well-behaved client -------------------------------------------------------------------


async def good_client(port: int, ssl_context: ssl.SSLContext | None = None) -> str:
    """ixion's own client: the full login, then NESSUS_VERSION; the version it was told."""
    client = await ClientConnection.open(
        LOOPBACK, port, ssl_context=ssl_context, io_timeout=PATIENCE
    )
    try:
        await client.login(USER, PASSWORD)
        await client.send(NessusVersionRequest())
        answer = await client.receive()
    finally:
        await client.close()
    assert isinstance(answer, NessusVersion), answer
    return answer.version


# --- clients that misbehave ------------------------------------------------------------------


class Ending(enum.Enum):
    """How the daemon ended a connection, as its client saw it."""

    CLOSED = "closed"  # an orderly end of stream
    RESET = "reset"  # RST, or a TLS connection torn down


#: What a read or write raises when the daemon tore the connection down.
_LOST: Final = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, ssl.SSLError)
_READ_SIZE: Final = 64 * 1024


class RawClient:
    """A client that writes whatever bytes it is given, and reads what the daemon answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        #: Received and not yet returned by a read.
        self._pending = bytearray()

    @classmethod
    async def open(cls, port: int, ssl_context: ssl.SSLContext | None = None) -> RawClient:
        async with asyncio.timeout(PATIENCE):
            reader, writer = await asyncio.open_connection(
                LOOPBACK,
                port,
                ssl=ssl_context,
                server_hostname=LOOPBACK if ssl_context else None,
            )
        return cls(reader, writer)

    @classmethod
    async def open_small_window(cls, port: int) -> RawClient:
        """A connection whose receive buffer is as small as the kernel allows, so that a
        client that does not read soon leaves the daemon unable to write."""
        sock = socket.socket()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            async with asyncio.timeout(PATIENCE):
                await asyncio.get_running_loop().sock_connect(sock, (LOOPBACK, port))
                reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
        except BaseException:
            sock.close()
            raise
        return cls(reader, writer)

    async def send(self, data: bytes) -> bool:
        """Write ``data``; False if the daemon has already hung up."""
        if self.writer.is_closing():
            return False
        try:
            self.writer.write(data)
            async with asyncio.timeout(PATIENCE):
                await self.writer.drain()
        except _LOST:
            return False
        return True

    async def read_until(self, marker: bytes) -> bytes:
        """Everything up to and including ``marker``."""
        async with asyncio.timeout(PATIENCE):
            while (index := self._pending.find(marker)) < 0:
                chunk = await self.reader.read(_READ_SIZE)
                if not chunk:
                    tail = bytes(self._pending[-200:])
                    raise AssertionError(f"the daemon hung up before {marker!r}, after {tail!r}")
                self._pending += chunk
        end = index + len(marker)
        data = bytes(self._pending[:end])
        del self._pending[:end]
        return data

    async def read_to_end(self) -> tuple[bytes, Ending]:
        """Everything the daemon sends until it ends the connection, and how it ended it."""
        ending = Ending.CLOSED
        try:
            async with asyncio.timeout(PATIENCE):
                while chunk := await self.reader.read(_READ_SIZE):
                    self._pending += chunk
        except _LOST:
            ending = Ending.RESET
        data = bytes(self._pending)
        self._pending.clear()
        return data, ending

    async def silent_for(self, seconds: float) -> bool:
        """Nothing arrives, and the connection stays open, for ``seconds``."""
        if self._pending:
            return False
        try:
            async with asyncio.timeout(seconds):
                self._pending += await self.reader.read(_READ_SIZE)
        except TimeoutError:
            return True
        return False

    async def login(self, banner: bytes = FAST_BANNER) -> bytes:
        """Log in with everything pipelined (as nmap's nessus-ntp-brute does), then prove it
        with NESSUS_VERSION; what the daemon sent."""
        await self.send(banner + f"{USER}\n{PASSWORD}\n".encode() + VERSION_ORDER)
        return await self.read_until(VERSION_ANSWER)

    def half_close(self) -> None:
        """Send FIN: the client has nothing more to say, and still listens."""
        self.writer.write_eof()

    def reset(self) -> None:
        """Vanish with a TCP RST (SO_LINGER 0), as a crashed or unplugged client does."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(*_LOST, OSError, TimeoutError):
            async with asyncio.timeout(PATIENCE):
                await self.writer.wait_closed()


# --- what the daemon is doing ---------------------------------------------------------------


def connections_served() -> int:
    """Connections the daemon in this event loop is serving: ``Clients`` names the task of
    each ``client-<n>-<peer>``."""
    return sum(
        task.get_name().startswith("client-") and not task.done() for task in asyncio.all_tasks()
    )


async def connections_drop_to(count: int) -> None:
    """Wait until the daemon serves no more than ``count`` connections: it ended the others."""
    async with asyncio.timeout(PATIENCE):
        while True:
            if connections_served() <= count:
                return
            await asyncio.sleep(0.01)


# --- the log ---------------------------------------------------------------------------------


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What anything logged at ERROR or above, or as an internal error, during the test."""
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or "internal error" in record.getMessage()
    ]


async def logged(caplog: pytest.LogCaptureFixture, text: str, count: int = 1) -> None:
    """Wait until ``count`` records from ixion.server say ``text``: the daemon noticed."""

    def seen() -> int:
        return sum(
            record.name.startswith("ixion.server") and text in record.getMessage()
            for record in caplog.records
        )

    async with asyncio.timeout(PATIENCE):
        while True:
            if seen() >= count:
                return
            await asyncio.sleep(0.01)
