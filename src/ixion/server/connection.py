"""One client of ixiond: the NTP login and the orders a client gives, over asyncio.

The protocol itself is ``ixion.ntp``'s server :class:`~ixion.ntp.Session`; this module does
the I/O around it and decides what to answer. It follows what nessusd 2.2.5 did in the
captured transcripts (spec §1.5, §4.1-§4.3): prompts as separate writes, the 20-second limit
on each login line, PLUGIN_LIST / PLUGINS_MD5 / PREFERENCES / RULES / PLUGINS_DEPENDENCIES as
negotiated, the md5-caching loop, then orders until the client leaves.

A client that breaks the protocol, stalls during login or vanishes ends its own connection
and nothing else: every failure is caught here, logged, and the connection closed.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.ntp import (
    NEED_DATA,
    AttachedFile,
    AttachedPlugin,
    BadLogin,
    Banner,
    Bye,
    Certificates,
    CertificatesRequest,
    ClientBye,
    CompleteList,
    ConnectionClosed,
    DetachedSessionsList,
    DetachedSessionsListRequest,
    Error,
    FileAccepted,
    Finished,
    GoOn,
    HupFather,
    LegacyNewAttack,
    LongAttack,
    NessusVersion,
    NessusVersionRequest,
    NewAttack,
    OpenvasVersion,
    OpenvasVersionRequest,
    Password,
    PasswordPrompt,
    PluginAccepted,
    PluginDenied,
    PluginInfoReply,
    PluginInfoRequest,
    PluginList,
    PluginsDependencies,
    PluginsMd5,
    PluginsMd5List,
    Preferences,
    PreferencesErrors,
    Quit,
    RemoteProtocolError,
    Role,
    Rules,
    SendPluginsMd5,
    Session,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
    StopAttack,
    StopWholeTest,
    Unrecognized,
    User,
    UserPrompt,
    Version,
    VersionReply,
)

from .attack import Attack
from .config import resolve_connection_settings
from .rules import RuleError, load_global_rules, merge_at_login
from .tls import peer_dn
from .uploads import AttachedFiles, store_plugin

if TYPE_CHECKING:
    from ixion.ntp import Dependency, Md5Entry, Message, PluginRecord

    from .attack import ScanService
    from .config import ConfTable
    from .options import Settings
    from .rules import RuleSet
    from .users import User as Account
    from .users import UserStore

__all__ = ["LOGIN_LINE_TIMEOUT", "ClientHandler", "Offer", "Scanning"]

log = logging.getLogger(__name__)

#: Seconds a client has for its banner, user name and password (nessusd's TIMEOUT, §1.3).
LOGIN_LINE_TIMEOUT: Final = 20.0
READ_SIZE: Final = 64 * 1024
#: Seconds between the version reply and the ``User : `` prompt, unless the client's user name
#: arrives first. nmap's nessus-brute reads the reply with one read and the prompt with a
#: second; its TLS layer drains every record already received, so a prompt that arrived with
#: the reply is never seen and the script stalls (nessusd passed it only by luck).
PROMPT_PAUSE: Final = 0.25


@dataclass(frozen=True, slots=True)
class Offer:
    """What the daemon shows every client after login; rebuilt when plugins are reloaded."""

    plugins: tuple[PluginRecord, ...]
    dependencies: tuple[Dependency, ...]
    #: The PREFERENCES body (``ixion.server.config.server_preferences``).
    preferences: tuple[tuple[str, str], ...]
    #: MD5 over all plugin files, and per plugin (spec §3.7).
    md5: str
    md5_entries: tuple[Md5Entry, ...] = ()
    #: What NESSUS_VERSION answers. Clients written for nessusd check for a 2.x version.
    nessus_version: str = "2.2.5"
    openvas_version: str = "3.0.2"

    def plugin(self, plugin_id: str) -> PluginRecord | None:
        return next((p for p in self.plugins if p.id == plugin_id), None)


@dataclass(frozen=True, slots=True)
class Scanning:
    """What a connection needs to scan: the daemon's settings and table, and the engine."""

    settings: Settings
    table: ConfTable
    service: ScanService


class _Closed(Exception):
    """The client left, or must be left (bad login, protocol error)."""


class ClientHandler:
    """Serves one connection from accept to close."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        offer: Offer,
        users: UserStore,
        scanning: Scanning | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._offer = offer
        self._users = users
        self._scanning = scanning
        self._session = Session(Role.SERVER)
        #: The connection's preferences: the daemon's, changed by the client's (spec §5.3).
        self._table = scanning.table if scanning is not None else None
        self._rules: RuleSet | None = None
        self._files: AttachedFiles | None = None
        if scanning is not None:
            self._files = AttachedFiles(scanning.settings.state_dir / "tmp")
        peer = writer.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        #: The logged-in user's name, once known.
        self.user: str | None = None

    async def run(self) -> None:
        """Serve the client; never raises (a failure ends this connection only)."""
        try:
            if await self._login():
                await self._orders()
        except _Closed:
            pass
        except RemoteProtocolError as exc:
            log.warning("%s: protocol error, closing: %s", self.peer, exc)
            await self._try_send(Error(text=exc.error_hint))
        except TimeoutError:
            log.info("%s: no answer in time during login, closing", self.peer)
        except (OSError, ssl.SSLError, EOFError) as exc:
            log.info("%s: connection lost: %s", self.peer, exc)
        except Exception:  # a bug in ixiond must not take the daemon down
            log.exception("%s: internal error, closing the connection", self.peer)
        finally:
            if self._files is not None:
                self._files.delete_all()
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (OSError, ssl.SSLError):
                log.debug("%s: error while closing", self.peer)

    # --- I/O -------------------------------------------------------------------------------

    async def _send(self, msg: Message) -> None:
        data = self._session.send(msg)
        if data:
            # One write and drain per message: prompts must not share a read with other
            # output, and a slow reader slows only its own connection.
            self._writer.write(data)
            await self._writer.drain()

    async def _try_send(self, msg: Message) -> None:
        try:
            await self._send(msg)
        except Exception:  # the connection is being abandoned anyway
            log.debug("%s: could not send %s", self.peer, msg.TYPE)

    async def _receive(self, within: float | None = None) -> Message:
        """The client's next message, within ``within`` seconds in all (None: no limit)."""
        async with asyncio.timeout(within):
            while (msg := self._session.next_message()) is NEED_DATA:
                self._session.receive_data(await self._reader.read(READ_SIZE))
        if isinstance(msg, ConnectionClosed):
            raise _Closed
        return msg

    async def _wait_for_input(self, seconds: float) -> None:
        """Buffer whatever the client sends within ``seconds``; return at once if it does."""
        try:
            async with asyncio.timeout(seconds):
                data = await self._reader.read(READ_SIZE)
        except TimeoutError:
            return
        self._session.receive_data(data)

    # --- login (spec §1.4, §1.5, §4.1, §4.2) ------------------------------------------------

    async def _login(self) -> bool:
        banner = await self._receive(LOGIN_LINE_TIMEOUT)
        if not isinstance(banner, Banner):
            log.info("%s: unknown protocol version, closing", self.peer)
            return False
        await self._send(VersionReply(version=banner.version))
        await self._wait_for_input(PROMPT_PAUSE)
        await self._send(UserPrompt())
        user = await self._receive(LOGIN_LINE_TIMEOUT)
        await self._send(PasswordPrompt())
        password = await self._receive(LOGIN_LINE_TIMEOUT)
        if not isinstance(user, User) or not isinstance(password, Password):
            raise _Closed  # the state table allows nothing else; kept for the type checker
        dn = peer_dn(self._writer.get_extra_info("ssl_object"))
        try:
            found = await asyncio.to_thread(
                self._users.authenticate, user.name, password.password, dn
            )
            if found is not None:
                self._rules = await asyncio.to_thread(self._user_rules, found)
        except RuleError as exc:
            log.error("%s: refusing %s: %s", self.peer, user.name, exc)
            found = None
        if found is None:
            log.warning("bad login attempt from %s", self.peer)
            await self._send(BadLogin())
            return False
        self.user = found.name
        log.info("%s: user %s logged in", self.peer, found.name)
        await self._offer_plugins()
        return True

    def _user_rules(self, user: Account) -> RuleSet | None:
        """The rules the user works under (spec §7.3); read at every login, as nessusd did."""
        if self._scanning is None:
            return None
        global_rules, skipped = load_global_rules(self._scanning.settings.rules)
        for error in skipped:
            log.warning("skipped in the global rules: %s", error)
        return merge_at_login(global_rules, user.rules, self.peer)

    async def _offer_plugins(self) -> None:
        features = self._session.features
        if features.md5_caching:
            await self._send(PluginsMd5(md5=self._offer.md5))
            await self._md5_loop()
        elif not features.has("fast_login"):
            await self._send(PluginList(plugins=self._offer.plugins))
        if features.has("fast_login") or features.version is Version.NTP_1_0:
            return
        await self._send(Preferences(items=self._offer.preferences))
        await self._send(Rules())  # nessusd 2.2.5 never showed the rules (spec §7.3)
        await self._send(PluginsDependencies(entries=self._offer.dependencies))

    async def _md5_loop(self) -> None:
        while not isinstance(msg := await self._receive(), GoOn):
            if isinstance(msg, CompleteList):
                await self._send(PluginList(plugins=self._offer.plugins))
            elif isinstance(msg, SendPluginsMd5):
                await self._send(PluginsMd5List(entries=self._offer.md5_entries))
            elif isinstance(msg, PluginInfoRequest):
                await self._plugin_info(msg)

    # --- orders (spec §3.9, §4.3) ----------------------------------------------------------

    async def _orders(self) -> None:
        while True:
            msg = await self._receive()
            if isinstance(msg, Quit | ClientBye):
                return
            if isinstance(msg, NewAttack) and self._session.features.version is Version.NTP_1_0:
                # On a 1.0 connection nessusd read only the long 1.0 form and ignored the
                # short 1.1 one (transcript perl-NetNessusClient ntp10). A client mixing the
                # two gets what nessusd gave it, and the log says why.
                log.warning(
                    "%s: NEW_ATTACK without plugins, max_hosts, recursive and port_range "
                    "fields is not an NTP/1.0 order; ignored",
                    self.peer,
                )
                continue
            if isinstance(msg, NewAttack | LegacyNewAttack | LongAttack):
                if not await self._attack(msg):
                    return
                continue
            await self._order(msg)

    async def _order(self, msg: Message) -> None:
        """Carry out an order that does not start a scan; also used during a scan."""
        if isinstance(msg, Preferences):
            self._set_preferences(msg.items)
            await self._send(PreferencesErrors())
        elif isinstance(msg, Rules):
            self._tighten_rules(msg.rules)
        elif isinstance(msg, AttachedFile):
            await self._attached_file(msg)
        elif isinstance(msg, AttachedPlugin):
            await self._attached_plugin(msg)
        elif isinstance(msg, StopWholeTest):
            log.debug("%s: STOP_WHOLE_TEST with no scan running", self.peer)
        elif isinstance(msg, NessusVersionRequest):
            await self._send(NessusVersion(version=self._offer.nessus_version))
        elif isinstance(msg, OpenvasVersionRequest):
            await self._send(OpenvasVersion(version=self._offer.openvas_version))
        elif isinstance(msg, PluginInfoRequest):
            await self._plugin_info(msg)
        elif isinstance(msg, SessionsListRequest):
            await self._send(SessionsList())  # no session is ever saved yet
        elif isinstance(msg, DetachedSessionsListRequest):
            await self._send(DetachedSessionsList())
        elif isinstance(msg, CertificatesRequest):
            await self._send(Certificates())
        elif isinstance(msg, StopAttack):
            await self._send(Finished(host=msg.host))  # even with no scan running (§3.7)
        elif isinstance(msg, SessionRestore):
            # Sessions are not saved yet, and they are not advertised (spec §10.32).
            await self._send(Error(text=f"E000 - {msg.TYPE} is not available here"))
            await self._send(Bye())
        elif isinstance(msg, Unrecognized | HupFather):
            log.info("%s: ignored %s", self.peer, msg.TYPE)
        else:
            log.info("%s: %s has no effect yet", self.peer, msg.TYPE)

    # --- preferences, rules, uploads -------------------------------------------------------

    def _set_preferences(self, items: tuple[tuple[str, str], ...]) -> None:
        if self._table is not None:
            self._table = self._table.with_client_preferences(items)

    def _tighten_rules(self, lines: tuple[str, ...]) -> None:
        if self._rules is None:
            return
        try:
            tightening = self._rules.tighten(lines)
        except RuleError as exc:
            log.warning("%s: client RULES ignored: %s", self.peer, exc)
            return
        for line in tightening.ignored:
            log.warning("%s: %s attempted to gain more rights: %s", self.peer, self.user, line)
        self._rules = tightening.rules

    async def _attached_file(self, msg: AttachedFile) -> None:
        if self._files is None:
            return
        try:
            await asyncio.to_thread(self._files.store, msg.name, msg.data)
        except OSError as exc:
            log.error("%s: cannot store the attached file %r: %s", self.peer, msg.name, exc)
            return  # like a malformed upload: no reply (spec §6.8)
        await self._send(FileAccepted())

    async def _attached_plugin(self, msg: AttachedPlugin) -> None:
        refusal: str | None = "this ixiond takes no plugins"
        if self._scanning is not None and self.user is not None:
            settings, user = self._scanning.settings, self.user
            refusal = await asyncio.to_thread(store_plugin, settings, user, msg.name, msg.data)
        if refusal is None:
            await self._send(PluginAccepted())
        else:
            log.info("%s: plugin %r refused: %s", self.peer, msg.name, refusal)
            await self._send(PluginDenied())

    # --- scans -------------------------------------------------------------------------------

    async def _attack(self, msg: NewAttack | LegacyNewAttack | LongAttack) -> bool:
        """Run a scan; True if the connection goes on (keep-alive), False to close it."""
        if self._scanning is None or self._table is None or self._rules is None:
            await self._send(Error(text="E000 - this ixiond cannot scan"))
            await self._send(Bye())
            return self._session.features.keep_alive
        if isinstance(msg, LegacyNewAttack):
            self._set_preferences(
                (
                    ("plugin_set", msg.plugin_set.replace(",", ";")),
                    ("max_hosts", msg.max_hosts),
                    ("port_range", msg.port_range),
                )
            )
        resolved = resolve_connection_settings(
            self._table, self._scanning.settings, user=self.user or ""
        )
        for warning in resolved.warnings:
            log.info("%s: %s", self.peer, warning)
        assert self._files is not None
        attack = Attack(
            targets=msg.targets,
            settings=resolved.settings,
            preferences={entry.name: entry.value for entry in reversed(tuple(self._table))},
            rules=self._rules,
            service=self._scanning.service,
            files=self._files.mapping(),
            send=self._send,
            receive=self._receive_or_none,
            other_order=self._order_during_scan,
            user=self.user or "",
        )
        try:
            goes_on = await attack.run()
        finally:
            await asyncio.to_thread(self._files.delete_all)
        if not goes_on:
            return False
        await self._send(Bye())
        return self._session.features.keep_alive

    async def _receive_or_none(self) -> Message | None:
        """The client's next message during a scan; None when it left or broke the protocol."""
        try:
            return await self._receive()
        except (_Closed, RemoteProtocolError, OSError, ssl.SSLError, EOFError) as exc:
            log.info("%s: input ended during the scan: %r", self.peer, exc)
            return None

    async def _order_during_scan(self, msg: Message) -> None:
        # One scan per connection at a time; nessusd read these and started nothing (§4.6).
        starts = NewAttack | LegacyNewAttack | LongAttack | SessionRestore
        if isinstance(msg, starts | Quit | ClientBye):
            log.info("%s: %s during a scan is ignored", self.peer, msg.TYPE)
            return
        await self._order(msg)

    async def _plugin_info(self, msg: PluginInfoRequest) -> None:
        # nessusd answered only inside the md5 loop (spec §10.11); we answer everywhere.
        plugin = self._offer.plugin(msg.plugin_id)
        if plugin is not None:
            await self._send(PluginInfoReply(plugin=plugin))
