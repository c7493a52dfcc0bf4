"""Detached and continuous scans (spec §4.7): scans that outlive their client, and the daemon.

With ``detached_scan = yes`` the client gets BYE as the scan starts and the connection closes;
the scan goes on as a task of the daemon, recorded in a session like any other (so it can be
restored) and in the store's list of detached scans (DETACHED_SESSIONS_LIST shows them,
DETACHED_STOP ends one). ``continuous_scan`` starts it again ``delay_between_scan_loops``
seconds after each loop, with the user's plugins as they are then. Each loop's findings are
mailed when ``detached_scan_email_address`` names someone (:mod:`ixion.server.mail`).

Beyond nessusd, a detached scan survives the daemon: one running when the daemon stopped or
crashed is still marked running in the store, and the next start resumes it from its session
(as SESSION_RESTORE would: finished hosts replayed, the others scanned), saying so in the log.
It resumes under the rules it was started with *and* the user's current ones, so an
administrator's later restriction holds; a user removed meanwhile ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING, Final

from ixion.ntp import SessionEntry
from ixion.server.attack import Attack
from ixion.server.config import resolve_connection_settings
from ixion.server.mail import compose, valid_address, wants_mail
from ixion.server.restore import Restoring
from ixion.server.rules import Action, RuleSet, load_global_rules, merge_at_login, parse_user_rules
from ixion.server.scan_record import ScanRecord
from ixion.server.verdict_map import allowed_by_both
from ixion.store.sessions import MAX_TARGET_SHOWN

if TYPE_CHECKING:
    from ixion.ntp import Message
    from ixion.server.attack import ScanService, TargetRules
    from ixion.server.config import ConfTable
    from ixion.server.mail import Mailer, MailSettings
    from ixion.server.options import Settings
    from ixion.server.persistence import Persistence
    from ixion.server.plugin_sets import PluginSets
    from ixion.server.uploads import AttachedFiles
    from ixion.server.users import UserStore
    from ixion.server.verdict_map import Address, Stretch
    from ixion.store.detached import DetachedRecord

__all__ = ["BothRules", "DetachedOrder", "DetachedRunner", "rules_text"]

log = logging.getLogger(__name__)

#: Seconds the daemon gives its detached scans to record their end when it stops.
STOP_GRACE: Final = 10.0


def rules_text(rules: RuleSet) -> str:
    """A rule set as rules text, ``client_ip`` already bound (what :func:`stored_rules` reads)."""
    lines = [str(rule) for rule in rules.rules]
    return "\n".join([*lines, f"default {rules.default.value}", ""])


def stored_rules(text: str, client: str) -> RuleSet:
    parsed = parse_user_rules(text, source="a detached scan's rules")
    default = parsed.default or Action.REJECT
    return RuleSet(rules=parsed.rules, default=default, client=ip_address(client))


@dataclass(frozen=True, slots=True)
class BothRules:
    """A host may be scanned only if both rule sets allow it."""

    first: TargetRules
    second: TargetRules

    def allows(self, target: str) -> bool:
        return self.first.allows(target) and self.second.allows(target)

    def classify(self, first: Address, last: Address) -> tuple[Stretch, ...]:
        return allowed_by_both(self.first.classify(first, last), self.second.classify(first, last))


@dataclass(frozen=True, slots=True)
class DetachedOrder:
    """A client's order to scan detached: what it asked, under what rules."""

    user: str
    target: str
    table: ConfTable
    rules: RuleSet
    files: AttachedFiles | None


@dataclass(slots=True)
class _Running:
    user: str
    target: str
    task: asyncio.Task[None] | None = None
    attack: Attack | None = None
    stopping: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    #: Set by DETACHED_STOP: the scan ends for good; else it is interrupted, to be resumed.
    stopped_by_user: bool = False


class DetachedRunner:
    """The daemon's detached scans; see the module docstring."""

    def __init__(
        self,
        *,
        persistence: Persistence,
        settings: Settings,
        table: ConfTable,
        service: ScanService,
        plugin_sets: PluginSets | None,
        users: UserStore,
        mailer: Mailer,
        mail_settings: MailSettings,
    ) -> None:
        self._store = persistence
        self._settings = settings
        self._table = table
        self._service = service
        self._plugin_sets = plugin_sets
        self._users = users
        self._mailer = mailer
        self._mail = mail_settings
        self._running: dict[int, _Running] = {}

    async def start(self, order: DetachedOrder) -> int:
        """Record and start a detached scan; its number. Raises StoreError."""
        number = await asyncio.to_thread(
            self._store.detached.create,
            order.user,
            order.target,
            order.table.client_items(),
            rules=rules_text(order.rules),
            client=str(order.rules.client),
        )
        log.info("%s: detached scan %d of %s started", order.user, number, order.target[:80])
        self._launch(number, order.user, order.target, order.table, order.rules, order.files)
        return number

    def listing(self, user: str) -> tuple[SessionEntry, ...]:
        """DETACHED_SESSIONS_LIST: ``user``'s detached scans running in this daemon."""
        return tuple(
            SessionEntry(id=str(number), targets=_shown(running.target))
            for number, running in sorted(self._running.items())
            if running.user == user
        )

    async def stop(self, user: str, number: int) -> bool:
        """DETACHED_STOP: end ``user``'s scan ``number`` for good; whether there was one."""
        running = self._running.get(number)
        if running is None or running.user != user:
            return False
        log.info("%s: detached scan %d stopped by its user", user, number)
        running.stopped_by_user = True
        self._interrupt(running)
        if running.task is not None:
            await asyncio.wait([running.task], timeout=STOP_GRACE)
        return True

    async def resume_all(self) -> None:
        """Resume every detached scan the store says was running (a restart, a crash)."""
        for record in await asyncio.to_thread(self._store.detached.running):
            try:
                await self._resume(record)
            except Exception as exc:  # one scan's trouble must not keep the daemon down
                log.error("detached scan %d cannot be resumed: %s", record.id, exc)

    async def close(self) -> None:
        """The daemon stops: interrupt every scan (their sessions stay restorable, and the
        store keeps them running, to be resumed at the next start)."""
        for running in self._running.values():
            self._interrupt(running)
        tasks = [r.task for r in self._running.values() if r.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE)

    # --- one scan ------------------------------------------------------------------------------

    async def _resume(self, record: DetachedRecord) -> None:
        current = await asyncio.to_thread(self._users.rules_of, record.user)
        if current is None:
            log.warning("detached scan %d: user %s is gone; ended", record.id, record.user)
            await asyncio.to_thread(self._store.detached.end, record.id)
            return
        global_rules, _ = await asyncio.to_thread(load_global_rules, self._settings.rules)
        now_allowed = merge_at_login(global_rules, current, record.client)
        rules = BothRules(stored_rules(record.rules, record.client), now_allowed)
        table = self._table.with_client_preferences(record.options)
        restoring = None
        if record.session is not None:
            saved = await asyncio.to_thread(self._store.sessions.find, record.user, record.session)
            if saved is not None:
                restoring = Restoring(self._store.sessions, saved)
        where = f"from session {record.session}" if restoring else "from the start"
        log.info(
            "%s: detached scan %d of %s resumed %s",
            record.user,
            record.id,
            record.target[:80],
            where,
        )
        self._launch(record.id, record.user, record.target, table, rules, None, restoring)

    def _launch(
        self,
        number: int,
        user: str,
        target: str,
        table: ConfTable,
        rules: TargetRules,
        files: AttachedFiles | None,
        restoring: Restoring | None = None,
    ) -> None:
        running = _Running(user, target)
        self._running[number] = running
        running.task = asyncio.create_task(
            self._loops(number, running, table, rules, files, restoring),
            name=f"detached-{number}",
        )

    async def _loops(
        self,
        number: int,
        running: _Running,
        table: ConfTable,
        rules: TargetRules,
        files: AttachedFiles | None,
        restoring: Restoring | None,
    ) -> None:
        user = running.user
        try:
            while True:
                settings = resolve_connection_settings(table, self._settings, user=user).settings
                finished = await self._loop(
                    number, running, table, settings, rules, files, restoring
                )
                restoring = None
                if not finished:
                    break
                await asyncio.to_thread(self._store.detached.loop_done, number)
                if not settings.continuous_scan:
                    await asyncio.to_thread(self._store.detached.end, number)
                    log.info("%s: detached scan %d ended", user, number)
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(settings.delay_between_scan_loops):
                        await running.stopping.wait()
                if running.stopping.is_set():
                    break
            if running.stopped_by_user:
                await asyncio.to_thread(self._store.detached.end, number, "stopped")
        except Exception:
            log.exception("%s: detached scan %d failed", user, number)
        finally:
            self._running.pop(number, None)
            if files is not None:
                await asyncio.to_thread(files.delete_all)

    async def _loop(
        self,
        number: int,
        running: _Running,
        table: ConfTable,
        settings: Settings,
        rules: TargetRules,
        files: AttachedFiles | None,
        restoring: Restoring | None,
    ) -> bool:
        """One scan; True if it completed."""
        user, target = running.user, running.target
        found: list[Message] = []

        async def keep(message: Message) -> None:
            found.append(message)

        async def warn(reason: str) -> None:
            log.error("%s: detached scan %d is no longer saved: %s", user, number, reason)

        record = ScanRecord(
            self._store,
            user=user,
            settings=settings,
            target=target,
            options=table.client_items(),
            send=keep,
            warn=warn,
            restoring=restoring,
            detached=number,
        )
        await record.open()
        await asyncio.to_thread(self._store.detached.set_session, number, record.session_name)
        started = time.time()
        attack = Attack(
            targets=target,
            settings=settings,
            preferences=table.as_mapping(),
            rules=rules,
            service=await self._current_service(user),
            files=files.mapping() if files is not None else {},
            send=keep,
            receive=_no_client,
            other_order=_nothing,
            user=user,
            record=record,
        )
        running.attack = attack
        if running.stopping.is_set():
            attack.stop()
        try:
            await attack.run()
        finally:
            await record.flush()
        completed = not attack.interrupted
        await record.end(completed=completed)
        if completed and restoring is not None and not settings.save_session:
            # The session this loop resumed from was only kept to resume it.
            await asyncio.to_thread(self._store.sessions.discard, restoring.saved.id)
        if completed:
            await self._mail_results(user, settings, target, started, found)
        return completed

    async def _current_service(self, user: str) -> ScanService:
        """The scan service with ``user``'s plugins as they are now (reloaded each loop)."""
        if self._plugin_sets is None:
            return self._service
        view = await asyncio.to_thread(self._plugin_sets.for_user, user)
        return dataclasses.replace(self._service, plugins=view.plugins)

    async def _mail_results(
        self, user: str, settings: Settings, target: str, started: float, found: list[Message]
    ) -> None:
        address = settings.detached_scan_email_address
        if not wants_mail(address):
            return
        assert address is not None
        if not valid_address(address):
            log.warning("%s: %r is not a mail address; the results are not mailed", user, address)
            return
        message = compose(
            sender=self._mail.sender,
            recipient=address,
            target=target,
            started=started,
            messages=found,
        )
        if message is None:
            log.info("%s: nothing found this loop; no mail to %s", user, address)
            return
        try:
            await asyncio.to_thread(self._store.outbox.put, user, address, message)
        except Exception as exc:  # the scan went well; only its mail is lost, and said so
            log.error("%s: the mail to %s cannot be queued: %s", user, address, exc)
            return
        self._mailer.wake()

    def _interrupt(self, running: _Running) -> None:
        running.stopping.set()
        if running.attack is not None:
            running.attack.stop()


def _shown(target: str) -> str:
    """A target as a list line can carry it: one line, no separator, not too long."""
    text = " ".join(target[:MAX_TARGET_SHOWN].split())
    return text.replace("<|>", "<!>") or "-"


async def _no_client() -> Message | None:
    await asyncio.Future()  # a detached scan reads from no one; cancelled when it ends
    return None


async def _nothing(_: Message) -> None:
    return None
