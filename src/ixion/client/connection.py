"""An NTP connection from the client side, over asyncio: the I/O shell around ``ixion.ntp``.

:class:`ClientConnection` owns a stream pair and a client :class:`~ixion.ntp.Session`; it
writes what the session encodes and reads until the session has a message. Everything about
the protocol (framing, state, features) stays in the session; this module only moves bytes,
applies timeouts, and turns socket and TLS failures into :class:`ConnectionFailed`.

It speaks to ixiond and to a classic nessusd alike: the login below follows what nessusd 2.2.5
did in the captured transcripts (the reply to the banner, two prompts without newline, then
either ``Bad login attempt !`` or the post-login messages).

The server's PLUGIN_LIST goes, a run of lines at a time as it arrives, to a
:class:`~ixion.client.plugin_store.PluginStore` that the offer then carries, or to whatever
sink the caller gives (``ixion -q -p`` prints the lines and keeps none). ixion's commands
leave dependencies to the server and read PLUGINS_DEPENDENCIES through without keeping it
(``keep_dependencies=False``), though they ask for it as the reference client did.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass, field
from typing import Final, TypeVar

from ixion.client.plugin_store import PluginStore
from ixion.ntp import (
    NEED_DATA,
    BadLogin,
    Banner,
    CompleteList,
    ConnectionClosed,
    Features,
    GoOn,
    LocalProtocolError,
    Message,
    Password,
    PasswordPrompt,
    PluginList,
    PluginsDependencies,
    PluginSink,
    PluginsMd5,
    Preferences,
    RemoteProtocolError,
    Role,
    Rules,
    Session,
    User,
    UserPrompt,
    Version,
    VersionReply,
)

__all__ = [
    "DEFAULT_EXTENSIONS",
    "ClientConnection",
    "ConnectionFailed",
    "LoginFailed",
    "ServerOffer",
]

_M = TypeVar("_M", bound=Message)

#: The banner words of the reference nessus 2.2.5 client (spec §1.4).
DEFAULT_EXTENSIONS: Final = (
    "plugins_cve_id",
    "plugins_version",
    "plugins_bugtraq_id",
    "plugins_xrefs",
    "timestamps",
    "dependencies",
)
#: Bytes asked of the transport per read. A whole feed's login is 200 MB, but larger reads
#: cost more than they save: each one's text goes through the decoder in pieces of its size,
#: and past 128 kB those come from mmap, page faults and all.
READ_SIZE: Final = 64 * 1024


class ConnectionFailed(Exception):
    """The server could not be reached, or the connection broke."""


class LoginFailed(ConnectionFailed):
    """The server refused the user name or password."""


@dataclass(frozen=True, slots=True, repr=False)
class ServerOffer:
    """What a server sends after a successful login (spec §4.1).

    Its repr counts instead of listing: a whole feed's offer can hold 130,000 dependency
    lines, and a repr is made where one would not expect it. As ``asyncio.run`` returns, its
    SIGINT handler still holds the main task, and Python 3.11's ``signal.getsignal`` writes
    that handler, task and result, into an error message it then drops (half a second of
    CPU for a whole feed, before this repr).
    """

    #: The PLUGIN_LIST, if the server sent one and no other sink took it.
    plugins: PluginStore | None = None
    plugins_md5: PluginsMd5 | None = None
    preferences: Preferences | None = None
    rules: Rules | None = None
    dependencies: PluginsDependencies | None = None
    extra: tuple[Message, ...] = field(default=())

    def __repr__(self) -> str:
        counts = {
            "plugins": len(self.plugins) if self.plugins is not None else None,
            "preferences": len(self.preferences.items) if self.preferences is not None else None,
            "rules": len(self.rules.rules) if self.rules is not None else None,
            "dependencies": (
                len(self.dependencies.entries) if self.dependencies is not None else None
            ),
        }
        listed = ", ".join(f"{name}={count}" for name, count in counts.items())
        return f"ServerOffer({listed}, plugins_md5={self.plugins_md5!r}, extra={len(self.extra)})"

    def preference(self, name: str) -> str | None:
        """The first value of a server preference (the effective one, spec §5.1)."""
        if self.preferences is not None:
            for key, value in self.preferences.items:
                if key == name:
                    return value
        return None


#: TCP keep-alive: probe after a minute of silence, every 10 s, give up after 6 probes.
_KEEP_ALIVE: Final = (
    (socket.TCP_KEEPIDLE, 60),
    (socket.TCP_KEEPINTVL, 10),
    (socket.TCP_KEEPCNT, 6),
)


def _keep_alive(sock: socket.socket | None) -> None:
    """Have the kernel notice a server that vanished while the client waits for results."""
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in _KEEP_ALIVE:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


class ClientConnection:
    """One connection to an NTP server."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        version: Version = Version.NTP_1_2,
        extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
        io_timeout: float = 60.0,
        plugins: PluginStore | PluginSink | None = None,
        keep_dependencies: bool = True,
    ) -> None:
        """``plugins``: where the PLUGIN_LIST goes, a :class:`PluginStore` that the offer
        then carries (a fresh one if None) or any other sink, and the offer carries none.
        ``keep_dependencies``: False leaves the offer's ``dependencies`` empty (a whole
        feed's are 130,000 lines)."""
        self._reader = reader
        self._writer = writer
        self._banner = Banner(version=version, extensions=extensions)
        if plugins is None:
            plugins = PluginStore()
        self._store = plugins if isinstance(plugins, PluginStore) else None
        self.session = Session(
            Role.CLIENT,
            features=Features(version=version),
            plugin_sink=plugins.add if isinstance(plugins, PluginStore) else plugins,
            keep_dependencies=keep_dependencies,
        )
        #: Seconds any single connect or read may wait for the server.
        self.io_timeout = io_timeout

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        version: Version = Version.NTP_1_2,
        extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
        io_timeout: float = 60.0,
        plugins: PluginStore | PluginSink | None = None,
        keep_dependencies: bool = True,
    ) -> ClientConnection:
        """Connect (TLS is implicit, spec §1.2: it starts before any NTP byte)."""
        try:
            async with asyncio.timeout(io_timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=ssl_context, server_hostname=host if ssl_context else None
                )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            raise ConnectionFailed(f"cannot connect to {host}:{port}: {exc}") from exc
        _keep_alive(writer.get_extra_info("socket"))
        return cls(
            reader,
            writer,
            version=version,
            extensions=extensions,
            io_timeout=io_timeout,
            plugins=plugins,
            keep_dependencies=keep_dependencies,
        )

    async def send(self, msg: Message) -> None:
        data = self.session.send(msg)
        if data:
            self._writer.write(data)
            try:
                await self._writer.drain()
            except (OSError, ssl.SSLError) as exc:
                raise ConnectionFailed(f"connection lost while sending: {exc}") from exc

    async def receive(self, *, patient: bool = False) -> Message:
        """The server's next message (ConnectionClosed once it has hung up).

        ``patient``: wait as long as the server stays connected. During a scan the server
        may rightly say nothing for minutes (a plugin may run for ``plugins_timeout``, 320 s
        by default, and a whole feed's host for much longer); TCP keep-alive, not a timeout,
        then tells a silent server from a vanished one.
        """
        while True:
            msg = self.session.next_message()
            if msg is not NEED_DATA:
                return msg
            try:
                async with asyncio.timeout(None if patient else self.io_timeout):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError as exc:
                raise ConnectionFailed(f"no answer from the server in {self.io_timeout} s") from exc
            except (OSError, ssl.SSLError) as exc:
                raise ConnectionFailed(f"connection lost: {exc}") from exc
            self.session.receive_data(data)

    async def login(self, user: str, password: str) -> ServerOffer:
        """Banner, prompts, credentials; then read what the server offers.

        With ``fast_login`` the server offers nothing and this returns at once; otherwise it
        reads up to the last post-login message the negotiated features call for.

        Raises:
            LoginFailed: the server said ``Bad login attempt !`` or hung up.
            ConnectionFailed: the server does not speak our version, or broke the protocol.
        """
        try:
            return await self._login(user, password)
        except RemoteProtocolError as exc:
            raise ConnectionFailed(f"the server broke the protocol: {exc}") from exc
        except LocalProtocolError as exc:
            raise ConnectionFailed(f"cannot log in: {exc}") from exc

    async def _login(self, user: str, password: str) -> ServerOffer:
        await self.send(self._banner)
        reply = await self.receive()
        if not isinstance(reply, VersionReply):
            raise ConnectionFailed(
                f"the server does not speak {self._banner.version.value} (or is tcpwrapped)"
            )
        for prompt, answer in ((UserPrompt, User(name=user)), (PasswordPrompt, None)):
            msg = await self.receive()
            if not isinstance(msg, prompt):
                raise ConnectionFailed(f"expected a login prompt, got {msg.TYPE}")
            await self.send(answer or Password(password=password))
        features = self.session.features
        if features.has("fast_login") and not features.md5_caching:
            return ServerOffer()
        return await self._read_offer()

    async def _read_offer(self) -> ServerOffer:
        features = self.session.features
        wanted: list[type[Message]] = [PluginsMd5 if features.md5_caching else PluginList]
        if features.version is not Version.NTP_1_0 and not features.has("fast_login"):
            wanted += [Preferences, Rules]
            if features.has("dependencies"):
                wanted.append(PluginsDependencies)
        found: dict[type[Message], Message] = {}
        extra: list[Message] = []
        while wanted:
            msg = await self.receive()
            if isinstance(msg, BadLogin | ConnectionClosed):
                raise LoginFailed("login refused by the server")
            if isinstance(msg, PluginsMd5):
                # The md5-caching loop: this client always asks for the full list, then goes on.
                found[PluginsMd5] = msg
                wanted.remove(PluginsMd5)
                await self._leave_md5_loop(found)
                continue
            if type(msg) in wanted:
                found[type(msg)] = msg
                wanted.remove(type(msg))
            else:
                extra.append(msg)
        return ServerOffer(
            plugins=self._store if PluginList in found else None,
            plugins_md5=_get(found, PluginsMd5),
            preferences=_get(found, Preferences),
            rules=_get(found, Rules),
            dependencies=_get(found, PluginsDependencies),
            extra=tuple(extra),
        )

    async def _leave_md5_loop(self, found: dict[type[Message], Message]) -> None:
        await self.send(CompleteList())
        msg = await self.receive()
        if not isinstance(msg, PluginList):
            raise ConnectionFailed(f"expected the plugin list, got {msg.TYPE}")
        found[PluginList] = msg
        await self.send(GoOn())

    async def close(self) -> None:
        """Close the connection (ignoring a peer that already left); the offer's plugin
        store stays readable."""
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()


def _get(found: dict[type[Message], Message], cls: type[_M]) -> _M | None:
    msg = found.get(cls)
    return msg if isinstance(msg, cls) else None
