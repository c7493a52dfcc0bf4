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
import sqlite3
import ssl
import time
from typing import TYPE_CHECKING, Final

from ixion.ntp import (
    AttachedFile,
    AttachedPlugin,
    Bye,
    Certificates,
    CertificatesRequest,
    ClientBye,
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
    SessionDelete,
    SessionRestore,
    SessionsListRequest,
    StopAttack,
    StopDetached,
    StopWholeTest,
    Time,
    TimeKind,
    Unrecognized,
    Version,
)
from ixion.server.admission import Admission
from ixion.server.attack import Attack, ctime
from ixion.server.config import resolve_connection_settings
from ixion.server.detached_scans import DetachedOrder
from ixion.server.limits import DEFAULTS
from ixion.server.link import Closed, Stalled
from ixion.server.rules import RuleError
from ixion.server.scan_record import ScanRecord
from ixion.server.session_orders import SessionOrders, names_something
from ixion.server.uploads import UploadQuota, store_plugin
from ixion.store.database import StoreError

if TYPE_CHECKING:
    from ixion.ntp import Message
    from ixion.server.link import Link
    from ixion.server.offer import Offer
    from ixion.server.options import Settings
    from ixion.server.restore import Restoring
    from ixion.server.rules import RuleSet
    from ixion.server.scanning import Scanning
    from ixion.server.uploads import AttachedFiles

__all__ = ["Orders", "answer_plugin_info"]

log = logging.getLogger(__name__)

_SESSION_ORDERS: Final = (
    SessionsListRequest,
    SessionDelete,
    DetachedSessionsListRequest,
    StopDetached,
)


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
        admission: Admission | None = None,
    ) -> None:
        self._link = link
        #: Counts the user's scans against ``max_scans_per_user``.
        self._admission = admission or Admission(DEFAULTS)
        self._offer = offer
        self._user = user
        #: The rules the user works under, as the client tightened them (spec §7.3).
        self._rules = rules
        self._scanning = scanning
        #: The connection's preferences: the daemon's, changed by the client's (spec §5.3).
        self._table = scanning.table if scanning is not None else None
        self._files = files
        self._sessions = SessionOrders(link, scanning, user)

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
            if isinstance(msg, NewAttack | LegacyNewAttack | LongAttack | SessionRestore):
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
        elif isinstance(msg, _SESSION_ORDERS):
            await self._sessions.order(msg)
        elif isinstance(msg, CertificatesRequest):
            await self._link.send(Certificates())
        elif isinstance(msg, StopAttack):
            await self._link.send(Finished(host=msg.host))  # even with no scan running (§3.7)
        elif isinstance(msg, Unrecognized) and names_something(msg):
            await self._sessions.order(msg)
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
        if self._files is None or self._scanning is None:
            return
        quota = UploadQuota.of(self._scanning.settings)
        refusal = self._files.refusal(msg.name, len(msg.data), quota)
        if refusal is not None:
            log.warning(
                "%s: %s: attached file %r refused: %s",
                self._link.peer,
                self._user,
                msg.name,
                refusal,
            )
            # No FILE_ACCEPTED: the client must not count on the file (the name stays out of
            # the text, which the client already knows and may hold a field separator).
            await self._link.send(Error(text=f"E000 - attached file refused: {refusal}"))
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
            # PLUGIN_DENIED is the one answer clients read here, and it has no reason field.
            log.warning(
                "%s: %s: plugin %r refused: %s", self._link.peer, self._user, msg.name, refusal
            )
            await self._link.send(PluginDenied())

    # --- scans -------------------------------------------------------------------------------

    async def _attack(self, msg: NewAttack | LegacyNewAttack | LongAttack | SessionRestore) -> bool:
        """Run a scan; True if the connection goes on (keep-alive), False to close it."""
        detached = self._scanning.detached if self._scanning is not None else None
        running_detached = len(detached.listing(self._user)) if detached is not None else 0
        if not self._admission.start_scan(self._user, running_detached):
            limit = self._admission.max_scans_per_user
            return await self._refuse(
                f"{self._user} already has {limit} scans running (detached ones included); "
                "wait for one to end"
            )
        try:
            return await self._scan(msg)
        finally:
            self._admission.end_scan(self._user)

    async def _scan(self, msg: NewAttack | LegacyNewAttack | LongAttack | SessionRestore) -> bool:
        if self._scanning is None or self._table is None or self._rules is None:
            return await self._refuse("this ixiond cannot scan")
        restoring = None
        if isinstance(msg, SessionRestore):
            restoring = await self._sessions.restoring(msg.session_id)
            if restoring is None:
                return await self._refuse(f"SESSION_RESTORE: no session {msg.session_id}")
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
        targets = restoring.target if restoring is not None else _targets(msg)
        if resolved.settings.detached_scan and restoring is None:
            return await self._detach(targets)
        record = await self._record(resolved.settings, targets, restoring)
        if record is None and restoring is not None:
            return await self._refuse("SESSION_RESTORE: the session cannot be read")
        assert self._files is not None
        attack = Attack(
            targets=targets,
            settings=resolved.settings,
            preferences=self._table.as_mapping(),
            rules=self._rules,
            service=self._scanning.service,
            files=self._files.mapping(),
            send=self._link.send,
            receive=self._receive_or_none,
            other_order=self._order_during_scan,
            user=self._user,
            record=record,
        )
        try:
            goes_on = await attack.run()
        finally:
            if record is not None:
                await record.flush()
                await record.end(completed=not attack.interrupted)
            await asyncio.to_thread(self._files.delete_all)
        if not goes_on:
            return False
        await self._link.send(Bye())
        return self._link.features.keep_alive

    async def _record(
        self, settings: Settings, targets: str, restoring: Restoring | None
    ) -> ScanRecord | None:
        """What the scan keeps in the store, if anything (sessions, saved KBs)."""
        persistence = self._scanning.persistence if self._scanning is not None else None
        wanted = settings.save_session or settings.save_knowledge_base or restoring is not None
        if persistence is None or not wanted:
            return None
        record = ScanRecord(
            persistence,
            user=self._user,
            settings=settings,
            target=targets,
            options=self._table.client_items() if self._table is not None else (),
            send=self._link.send,
            warn=self._store_failed,
            restoring=restoring,
        )
        try:
            await record.open()
        except (sqlite3.Error, StoreError) as exc:
            log.error("%s: the scan cannot be saved: %s", self._link.peer, exc)
            await self._store_failed(str(exc))
            return None
        if record.session_name is not None:
            log.info("%s: %s saves session %s", self._link.peer, self._user, record.session_name)
        return record

    async def _store_failed(self, reason: str) -> None:
        await self._link.send(
            Error(text=f"E000 - the scan is no longer saved ({reason}); it goes on")
        )

    async def _detach(self, targets: str) -> bool:
        """``detached_scan``: hand the scan to the daemon, say BYE and close (spec §4.7)."""
        assert self._scanning is not None
        assert self._table is not None
        assert self._rules is not None
        detached = self._scanning.detached
        if detached is None:
            return await self._refuse("detached scans are not kept here")
        files = self._files.hand_over() if self._files is not None else None
        order = DetachedOrder(self._user, targets, self._table, self._rules, files)
        try:
            await detached.start(order)
        except (sqlite3.Error, StoreError) as exc:
            log.error("%s: cannot start a detached scan: %s", self._link.peer, exc)
            if files is not None:
                files.delete_all()
            return await self._refuse("the detached scan cannot be recorded")
        await self._link.send(Time(kind=TimeKind.SCAN_START, when=ctime(time.time())))
        await self._link.send(Bye())
        return False

    async def _refuse(self, why: str) -> bool:
        """An attack order that cannot be carried out: ERROR, BYE, and the connection goes
        on if the client keeps it alive."""
        await self._link.send(Error(text=f"E000 - {why}"))
        await self._link.send(Bye())
        return self._link.features.keep_alive

    async def _receive_or_none(self) -> Message | None:
        """The client's next message during a scan; None when it left or broke the protocol."""
        try:
            return await self._link.receive()
        except (RemoteProtocolError, Stalled) as exc:
            # Told, as outside a scan (ClientHandler.run); the scan stops with the connection.
            log.warning("%s: bad input during the scan, closing: %s", self._link.peer, exc)
            await self._link.try_send(Error(text=exc.error_hint))
            return None
        except (Closed, OSError, ssl.SSLError, EOFError) as exc:
            log.info("%s: input ended during the scan: %r", self._link.peer, exc)
            return None

    async def _order_during_scan(self, msg: Message) -> None:
        # One scan per connection at a time; nessusd read these and started nothing (§4.6).
        starts = NewAttack | LegacyNewAttack | LongAttack | SessionRestore
        if isinstance(msg, starts | Quit | ClientBye):
            log.info("%s: %s during a scan is ignored", self._link.peer, msg.TYPE)
            return
        await self._order(msg)


def _targets(msg: NewAttack | LegacyNewAttack | LongAttack | SessionRestore) -> str:
    return "" if isinstance(msg, SessionRestore) else msg.targets
