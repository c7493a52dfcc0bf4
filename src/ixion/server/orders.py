"""What a logged-in client orders, until it leaves (spec §3.9, §4.3).

After the login (:mod:`ixion.server.connection`) a client sends orders: preferences and rules
that change what its scans may do, uploads, questions about versions, plugins and sessions,
and attacks. The preferences and rules belong to the connection, starting from the daemon's
and the user's, so this state lives here, one :class:`Orders` per logged-in client; a scan
(:class:`~ixion.server.attack.Attack`) comes back here for every order read while it runs.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import TYPE_CHECKING

from ixion.ntp import (
    AttachedFile,
    AttachedPlugin,
    Bye,
    Certificates,
    CertificatesRequest,
    ClientBye,
    DetachedSessionsList,
    DetachedSessionsListRequest,
    Error,
    FileAccepted,
    Finished,
    HupFather,
    LegacyNewAttack,
    LongAttack,
    NessusVersion,
    NessusVersionRequest,
    NewAttack,
    OpenvasVersion,
    OpenvasVersionRequest,
    PluginAccepted,
    PluginDenied,
    PluginInfoReply,
    PluginInfoRequest,
    Preferences,
    PreferencesErrors,
    Quit,
    RemoteProtocolError,
    Rules,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
    StopAttack,
    StopWholeTest,
    Unrecognized,
    Version,
)
from ixion.server.attack import Attack
from ixion.server.config import resolve_connection_settings
from ixion.server.link import Closed
from ixion.server.rules import RuleError
from ixion.server.uploads import store_plugin

if TYPE_CHECKING:
    from ixion.ntp import Message
    from ixion.server.link import Link
    from ixion.server.offer import Offer
    from ixion.server.rules import RuleSet
    from ixion.server.scanning import Scanning
    from ixion.server.uploads import AttachedFiles

__all__ = ["Orders", "answer_plugin_info"]

log = logging.getLogger(__name__)


async def answer_plugin_info(link: Link, offer: Offer, msg: PluginInfoRequest) -> None:
    # nessusd answered only inside the md5 loop (spec §10.11); we answer everywhere.
    plugin = offer.plugin(msg.plugin_id)
    if plugin is not None:
        await link.send(PluginInfoReply(plugin=plugin))


class Orders:
    """Carries out one logged-in client's orders."""

    def __init__(
        self,
        link: Link,
        *,
        offer: Offer,
        user: str,
        rules: RuleSet | None,
        scanning: Scanning | None,
        files: AttachedFiles | None,
    ) -> None:
        self._link = link
        self._offer = offer
        self._user = user
        #: The rules the user works under, as the client tightened them (spec §7.3).
        self._rules = rules
        self._scanning = scanning
        #: The connection's preferences: the daemon's, changed by the client's (spec §5.3).
        self._table = scanning.table if scanning is not None else None
        self._files = files

    async def run(self) -> None:
        """Read and carry out orders until the client leaves or a scan ends the connection."""
        while True:
            msg = await self._link.receive()
            if isinstance(msg, Quit | ClientBye):
                return
            if isinstance(msg, NewAttack) and self._link.features.version is Version.NTP_1_0:
                # On a 1.0 connection nessusd read only the long 1.0 form and ignored the
                # short 1.1 one (transcript perl-NetNessusClient ntp10). A client mixing the
                # two gets what nessusd gave it, and the log says why.
                log.warning(
                    "%s: NEW_ATTACK without plugins, max_hosts, recursive and port_range "
                    "fields is not an NTP/1.0 order; ignored",
                    self._link.peer,
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
            await self._link.send(PreferencesErrors())
        elif isinstance(msg, Rules):
            self._tighten_rules(msg.rules)
        elif isinstance(msg, AttachedFile):
            await self._attached_file(msg)
        elif isinstance(msg, AttachedPlugin):
            await self._attached_plugin(msg)
        elif isinstance(msg, StopWholeTest):
            log.debug("%s: STOP_WHOLE_TEST with no scan running", self._link.peer)
        elif isinstance(msg, NessusVersionRequest):
            await self._link.send(NessusVersion(version=self._offer.nessus_version))
        elif isinstance(msg, OpenvasVersionRequest):
            await self._link.send(OpenvasVersion(version=self._offer.openvas_version))
        elif isinstance(msg, PluginInfoRequest):
            await answer_plugin_info(self._link, self._offer, msg)
        elif isinstance(msg, SessionsListRequest):
            await self._link.send(SessionsList())  # no session is ever saved yet
        elif isinstance(msg, DetachedSessionsListRequest):
            await self._link.send(DetachedSessionsList())
        elif isinstance(msg, CertificatesRequest):
            await self._link.send(Certificates())
        elif isinstance(msg, StopAttack):
            await self._link.send(Finished(host=msg.host))  # even with no scan running (§3.7)
        elif isinstance(msg, SessionRestore):
            # Sessions are not saved yet, and they are not advertised (spec §10.32).
            await self._link.send(Error(text=f"E000 - {msg.TYPE} is not available here"))
            await self._link.send(Bye())
        elif isinstance(msg, Unrecognized | HupFather):
            log.info("%s: ignored %s", self._link.peer, msg.TYPE)
        else:
            log.info("%s: %s has no effect yet", self._link.peer, msg.TYPE)

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
            log.warning("%s: client RULES ignored: %s", self._link.peer, exc)
            return
        for line in tightening.ignored:
            log.warning(
                "%s: %s attempted to gain more rights: %s", self._link.peer, self._user, line
            )
        self._rules = tightening.rules

    async def _attached_file(self, msg: AttachedFile) -> None:
        if self._files is None:
            return
        try:
            await asyncio.to_thread(self._files.store, msg.name, msg.data)
        except OSError as exc:
            log.error("%s: cannot store the attached file %r: %s", self._link.peer, msg.name, exc)
            return  # like a malformed upload: no reply (spec §6.8)
        await self._link.send(FileAccepted())

    async def _attached_plugin(self, msg: AttachedPlugin) -> None:
        refusal: str | None = "this ixiond takes no plugins"
        if self._scanning is not None:
            settings, user = self._scanning.settings, self._user
            refusal = await asyncio.to_thread(store_plugin, settings, user, msg.name, msg.data)
        if refusal is None:
            await self._link.send(PluginAccepted())
        else:
            log.info("%s: plugin %r refused: %s", self._link.peer, msg.name, refusal)
            await self._link.send(PluginDenied())

    # --- scans -------------------------------------------------------------------------------

    async def _attack(self, msg: NewAttack | LegacyNewAttack | LongAttack) -> bool:
        """Run a scan; True if the connection goes on (keep-alive), False to close it."""
        if self._scanning is None or self._table is None or self._rules is None:
            await self._link.send(Error(text="E000 - this ixiond cannot scan"))
            await self._link.send(Bye())
            return self._link.features.keep_alive
        if isinstance(msg, LegacyNewAttack):
            self._set_preferences(
                (
                    ("plugin_set", msg.plugin_set.replace(",", ";")),
                    ("max_hosts", msg.max_hosts),
                    ("port_range", msg.port_range),
                )
            )
        resolved = resolve_connection_settings(
            self._table, self._scanning.settings, user=self._user
        )
        for warning in resolved.warnings:
            log.info("%s: %s", self._link.peer, warning)
        assert self._files is not None
        attack = Attack(
            targets=msg.targets,
            settings=resolved.settings,
            preferences={entry.name: entry.value for entry in reversed(tuple(self._table))},
            rules=self._rules,
            service=self._scanning.service,
            files=self._files.mapping(),
            send=self._link.send,
            receive=self._receive_or_none,
            other_order=self._order_during_scan,
            user=self._user,
        )
        try:
            goes_on = await attack.run()
        finally:
            await asyncio.to_thread(self._files.delete_all)
        if not goes_on:
            return False
        await self._link.send(Bye())
        return self._link.features.keep_alive

    async def _receive_or_none(self) -> Message | None:
        """The client's next message during a scan; None when it left or broke the protocol."""
        try:
            return await self._link.receive()
        except (Closed, RemoteProtocolError, OSError, ssl.SSLError, EOFError) as exc:
            log.info("%s: input ended during the scan: %r", self._link.peer, exc)
            return None

    async def _order_during_scan(self, msg: Message) -> None:
        # One scan per connection at a time; nessusd read these and started nothing (§4.6).
        starts = NewAttack | LegacyNewAttack | LongAttack | SessionRestore
        if isinstance(msg, starts | Quit | ClientBye):
            log.info("%s: %s during a scan is ignored", self._link.peer, msg.TYPE)
            return
        await self._order(msg)
