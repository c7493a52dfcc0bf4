"""What one scan keeps in the store: its session and its hosts' saved KBs (spec §8.1-§8.3).

A session is kept when the client asked (``save_session``), and for a detached scan while it
runs, which needs one to be resumed after a restart (a loop that completes drops it, unless
``save_session`` asked to keep it). Every message for a host goes through the
:class:`~ixion.server.recorder.Recorder` (committed, then sent) with the session's record of
it; so do the hosts that start and finish and the plugins that finish, with their KB writes,
which a restore makes again instead of running those plugins.

KB saving follows nessusd: everything hangs on ``save_knowledge_base``. With it, each host's
KB starts afresh or, with ``kb_restore``, from the saved one; ``only_test_hosts_whose_kb_we_
(dont_)have`` choose hosts by whether a KB is saved; ``kb_dont_replay_*`` keep plugins of those
categories from running again when the restored KB says they ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from typing import TYPE_CHECKING, Final

from ixion.engine.events import HOST_DEAD, HostFinished, KbWrites, PluginEnded
from ixion.ntp import Report
from ixion.plugin_api.metadata import Category
from ixion.server.recorder import Recorder, stored_line
from ixion.store.sessions import HostEnded, HostStarted, PluginDone, SentMessage

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob
    from ixion.ntp import Message
    from ixion.plugin_api.kb import KbWrite
    from ixion.server.options import Settings
    from ixion.server.persistence import Persistence
    from ixion.server.restore import Restoring
    from ixion.store.sessions import Record

__all__ = ["ScanRecord", "dont_replay"]

log = logging.getLogger(__name__)

#: ``kb_max_age`` 0 means this many seconds, as nessusd read it.
DEFAULT_KB_MAX_AGE: Final = 3600


def dont_replay(settings: Settings) -> frozenset[Category]:
    """The categories the ``kb_dont_replay_*`` options name (INIT and SETTINGS always run)."""
    chosen: set[Category] = set()
    if settings.kb_dont_replay_scanners:
        chosen.add(Category.SCANNER)
    if settings.kb_dont_replay_info_gathering:
        chosen.add(Category.GATHER_INFO)
    if settings.kb_dont_replay_attacks:
        chosen.update((Category.ATTACK, Category.MIXED_ATTACK, Category.DESTRUCTIVE_ATTACK))
    if settings.kb_dont_replay_denials:
        chosen.update((Category.DENIAL, Category.KILL_HOST, Category.FLOOD))
    return frozenset(chosen)


def _kind(msg: Message) -> str:
    return msg.kind.value if isinstance(msg, Report) else msg.TYPE


class ScanRecord:
    """One scan's session and saved KBs: :meth:`open` before the scan, :meth:`flush` when
    its last message is out, :meth:`end` once it is over."""

    def __init__(
        self,
        persistence: Persistence,
        *,
        user: str,
        settings: Settings,
        target: str,
        options: Sequence[tuple[str, str]],
        send: Callable[[Message], Awaitable[None]],
        warn: Callable[[str], Awaitable[None]],
        restoring: Restoring | None = None,
        detached: int | None = None,
    ) -> None:
        self._store = persistence
        self._user = user
        self._settings = settings
        self._target = target
        self._options = tuple(options)
        self._restoring = restoring
        self._detached = detached
        self._saves_kbs = settings.save_knowledge_base
        self._wants_session = settings.save_session or detached is not None
        self._session: int | None = None
        #: The session's name, once it exists.
        self.session_name: str | None = None
        self._recorder = Recorder(user=user, send=send, warn=warn)
        self._writes: dict[tuple[str, int], list[KbWrite]] = {}
        self._restored_kbs: set[str] = set()

    @property
    def journal(self) -> bool:
        """Whether the scan's workers must send their plugins' KB writes."""
        return self._wants_session or self._saves_kbs

    async def open(self) -> None:
        """Create the session, if one is kept. Raises StoreError or sqlite3.Error."""
        if self._wants_session:
            sessions = self._store.sessions
            session, self.session_name = await asyncio.to_thread(
                sessions.create, self._user, self._target, self._options, detached=self._detached
            )
            self._session = session
            self._recorder.record_into(sessions, session)
        self._recorder.start()

    async def replay(self) -> int:
        """A restore's saved messages, recorded again in this scan's session and sent."""
        if self._restoring is None:
            return 0
        count = await self._restoring.replay(self._replayed)
        records = await self._restoring.finished_records()
        await self._recorder.put(None, records)
        return count

    async def _replayed(self, message: Message, record: Record) -> None:
        await self._recorder.put(message, (record,))

    # --- hosts --------------------------------------------------------------------------------

    async def prepare(self, job: HostJob) -> HostJob | None:
        """The job as this scan's options make it; None: the host is not scanned."""
        host = job.host
        if self._restoring is not None and self._restoring.finished(host):
            return None
        settings = self._settings
        initial: tuple[tuple[str, int | str], ...] = ()
        if self._saves_kbs:
            have, have_not = (
                settings.only_test_hosts_whose_kb_we_have,
                settings.only_test_hosts_whose_kb_we_dont_have,
            )
            if have or have_not:
                has = await asyncio.to_thread(self._store.kbs.has, self._user, host)
                if (have and not has) or (have_not and has):
                    log.info("%s: %s skipped: %s saved KB", self._user, host, "a" if has else "no")
                    return None
            try:
                restored = await asyncio.to_thread(
                    self._store.kbs.begin,
                    self._user,
                    host,
                    restore=settings.kb_restore,
                    max_age=settings.kb_max_age or DEFAULT_KB_MAX_AGE,
                )
            except Exception as exc:  # the store's trouble must not stop the scan
                log.error("%s: %s: the saved KB cannot be used: %s", self._user, host, exc)
                restored = []
            if settings.kb_restore:
                self._restored_kbs.add(host)
            initial = tuple(restored)
        resume = await self._restoring.resume_for(host) if self._restoring is not None else ()
        return dataclasses.replace(
            job,
            journal=self.journal,
            initial_kb=initial,
            resume=resume,
            dont_replay=dont_replay(settings) if initial else frozenset(),
        )

    async def send(
        self, message: Message, host: str, plugin: int = 0, *, starts_host: bool = False
    ) -> None:
        """A message about ``host`` (``starts_host``: its first): kept, then sent, and not
        twice after a restore."""
        if self._session is None and self._restoring is None:
            await self._recorder.put(message)  # only KBs are saved: the line is not needed
            return
        line = stored_line(message)
        if self._restoring is not None and self._restoring.already_sent(host, line):
            return
        records: list[Record] = [SentMessage(host, plugin, _kind(message), line)]
        if starts_host:
            records.append(HostStarted(host))
        await self._recorder.put(message, records)

    async def note(self, event: Event) -> None:
        """What the engine says that clients are not shown: KB writes, plugins that ended."""
        if isinstance(event, KbWrites):
            self._writes.setdefault((event.host, event.plugin_id), []).extend(event.writes)
        elif isinstance(event, PluginEnded):
            writes = tuple(self._writes.pop((event.host, event.plugin_id), ()))
            if event.outcome.startswith("skipped"):
                return
            records = [PluginDone(event.host, event.plugin_id, json.dumps(writes))]
            work = self._kb_work(event.host, writes) if self._saves_kbs and writes else None
            await self._recorder.put(None, records, work)

    async def host_ended(self, event: HostFinished, *, completed: bool) -> None:
        """The host's scan is over; ``completed``: it counts as finished (nessusd's index)."""
        records: list[Record] = [HostEnded(event.host)] if completed else []
        work = None
        if self._saves_kbs:
            unreachable = event.reason == HOST_DEAD
            restored = event.host in self._restored_kbs
            kbs, user, host = self._store.kbs, self._user, event.host

            def work() -> None:
                kbs.end(user, host, unreachable=unreachable, restored=restored)

        await self._recorder.put(None, records, work)

    def _kb_work(self, host: str, writes: tuple[KbWrite, ...]) -> Callable[[], None]:
        kbs, user, when = self._store.kbs, self._user, time.time()
        return lambda: kbs.write(user, host, writes, when)

    async def flush(self) -> None:
        """Commit and send everything queued; nothing more is sent through the record."""
        await self._recorder.close()

    async def end(self, *, completed: bool) -> bool:
        """End the session (``completed``), or leave it interrupted, to be restored; whether
        a session is kept. Call after :meth:`flush`."""
        if self._session is None:
            return False
        sessions, session = self._store.sessions, self._session
        if self._recorder.failure is not None:
            # What was saved before the failure is whole; offer it, if the store lets us.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(sessions.interrupt, session)
            return False
        try:
            if completed and not self._settings.save_session:
                # A detached scan keeps a session to be resumed; once done, it has no use.
                await asyncio.to_thread(sessions.discard, session)
                return False
            if completed:
                keep = self._settings.save_empty_sessions
                return await asyncio.to_thread(sessions.end, session, keep_empty=keep)
            await asyncio.to_thread(sessions.interrupt, session)
        except Exception as exc:  # the scan is over; the session stays as it was
            log.error("%s: session %s cannot be closed: %s", self._user, self.session_name, exc)
        return True
