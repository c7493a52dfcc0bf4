"""Saved sessions (spec §8.1, §8.2): a scan's target and options, every message it sent, which
hosts finished, and, beyond nessusd, which plugins finished on each host with their KB writes.

nessusd kept two files per session, an index (target, finished hosts) and the data (message
lines). Here they are rows of one database, written in the transactions of
:meth:`Sessions.record`: whatever a transaction holds is there after any crash, and a client is
sent a message only once the transaction holding it committed (the recorder in the server sees
to that), so a restore never misses what a client was shown.

What a message is does not matter here: a line of bytes, the host it is about, the plugin that
produced it (0: none) and its kind (``PORT``, ``HOLE``...), which decides whether a session is
"empty" (spec §8.1: no PORT, HOLE, INFO or NOTE).

Session names are nessusd's, the local time of the scan's start (``20051106-101530``), with
``-2``, ``-3``... when a user starts two in the same second. A name a client sends is checked
against that form (:func:`valid_name`) and then only ever compared with the names of that
client's own sessions.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.store.database import options_from_text, options_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ixion.store.database import Store

__all__ = [
    "MAX_TARGET_SHOWN",
    "FinishedPlugin",
    "HostEnded",
    "HostStarted",
    "PluginDone",
    "Record",
    "SavedMessage",
    "SavedSession",
    "SentMessage",
    "SessionListing",
    "Sessions",
    "valid_name",
]

#: Characters of the target shown in SESSIONS_LIST (the extensions document's 4000 bytes).
MAX_TARGET_SHOWN: Final = 4000
#: Message kinds that make a session worth keeping (spec §8.1).
_FINDINGS: Final = ("PORT", "HOLE", "INFO", "NOTE")
_NAME: Final = re.compile(r"\d{8}-\d{6}(-[1-9]\d{0,5})?")
#: Rows read per round trip when a session is replayed.
_CHUNK: Final = 500


def valid_name(name: str) -> bool:
    """Whether ``name`` has the form of a session name (nothing else is ever looked up)."""
    return _NAME.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message sent to the client (or that would have been, for a detached scan)."""

    host: str
    plugin: int
    kind: str
    line: bytes


@dataclass(frozen=True, slots=True)
class HostStarted:
    host: str


@dataclass(frozen=True, slots=True)
class HostEnded:
    """The host's test completed (normally, dead, or stopped with STOP_ATTACK)."""

    host: str


@dataclass(frozen=True, slots=True)
class PluginDone:
    """A plugin finished on a host; ``kb`` is its KB writes as JSON, replayed on restore."""

    host: str
    plugin: int
    kb: str


Record: TypeAlias = SentMessage | HostStarted | HostEnded | PluginDone


@dataclass(frozen=True, slots=True)
class SessionListing:
    name: str
    target: str


@dataclass(frozen=True, slots=True)
class SavedSession:
    id: int
    name: str
    target: str
    options: tuple[tuple[str, str], ...]
    created: float
    state: str
    #: Every host the session saw start, and whether its test completed.
    hosts: dict[str, bool]


@dataclass(frozen=True, slots=True)
class SavedMessage:
    seq: int
    host: str
    plugin: int
    kind: str
    line: bytes


@dataclass(frozen=True, slots=True)
class FinishedPlugin:
    plugin: int
    kb: str


class Sessions:
    """The sessions of every user, in one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        user: str,
        target: str,
        options: Iterable[tuple[str, str]],
        *,
        when: float | None = None,
        detached: int | None = None,
    ) -> tuple[int, str]:
        """A new running session; its id and name."""
        when = time.time() if when is None else when
        base = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
        encoded = options_text(options)
        with self._store.transaction() as db:
            taken = {
                row[0]
                for row in db.execute(
                    "SELECT name FROM session WHERE user = ? AND name LIKE ?", (user, base + "%")
                )
            }
            name, suffix = base, 1
            while name in taken:
                suffix += 1
                name = f"{base}-{suffix}"
            cursor = db.execute(
                "INSERT INTO session (user, name, target, options, created, state, detached)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?)",
                (user, name, target, encoded, when, detached),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid, name

    def record(self, session: int, first_seq: int, records: Sequence[Record]) -> int:
        """Add ``records`` in one transaction, messages numbered from ``first_seq``; the next
        number. Raises sqlite3.Error (a full disk...): nothing of the batch is then kept."""
        seq = first_seq
        messages, started, ended, plugins = [], [], [], []
        for record in records:
            if isinstance(record, SentMessage):
                messages.append(
                    (session, seq, record.host, record.plugin, record.kind, record.line)
                )
                seq += 1
            elif isinstance(record, HostStarted):
                started.append((session, record.host))
            elif isinstance(record, HostEnded):
                ended.append((session, record.host))
            else:
                plugins.append((session, record.host, record.plugin, seq, record.kb))
        with self._store.transaction() as db:
            db.executemany(
                "INSERT INTO session_message (session, seq, host, plugin, kind, line)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                messages,
            )
            db.executemany(
                "INSERT OR IGNORE INTO session_host (session, host) VALUES (?, ?)", started
            )
            db.executemany(
                "INSERT INTO session_host (session, host, finished) VALUES (?, ?, 1)"
                " ON CONFLICT (session, host) DO UPDATE SET finished = 1",
                ended,
            )
            db.executemany(
                "INSERT OR REPLACE INTO session_plugin (session, host, plugin, seq, kb)"
                " VALUES (?, ?, ?, ?, ?)",
                plugins,
            )
        return seq

    def end(self, session: int, *, keep_empty: bool) -> bool:
        """The scan is over; an empty session is deleted unless ``keep_empty``. Kept?"""
        with self._store.transaction() as db:
            marks = ",".join("?" * len(_FINDINGS))
            found = db.execute(
                f"SELECT 1 FROM session_message WHERE session = ? AND kind IN ({marks}) LIMIT 1",
                (session, *_FINDINGS),
            ).fetchone()
            if found is None and not keep_empty:
                db.execute("DELETE FROM session WHERE id = ?", (session,))
                return False
            db.execute("UPDATE session SET state = 'ended' WHERE id = ?", (session,))
            return True

    def discard(self, session: int) -> None:
        """Delete a session by its id (a detached scan's loop that needed it only to resume)."""
        with self._store.transaction() as db:
            db.execute("DELETE FROM session WHERE id = ?", (session,))

    def interrupt(self, session: int) -> None:
        """The scan stopped without completing (the daemon is shutting down)."""
        with self._store.transaction() as db:
            db.execute(
                "UPDATE session SET state = 'interrupted' WHERE id = ? AND state = 'running'",
                (session,),
            )

    def listing(self, user: str) -> list[SessionListing]:
        """``user``'s sessions that no scan is writing, oldest first (SESSIONS_LIST)."""
        rows = self._store.connection().execute(
            "SELECT name, substr(target, 1, ?) FROM session"
            " WHERE user = ? AND state != 'running' ORDER BY created, name",
            (MAX_TARGET_SHOWN, user),
        )
        return [SessionListing(name, target) for name, target in rows]

    def find(self, user: str, name: str) -> SavedSession | None:
        """``user``'s session ``name``, if it exists and no scan is writing it."""
        db = self._store.connection()
        row = db.execute(
            "SELECT id, target, options, created, state FROM session"
            " WHERE user = ? AND name = ? AND state != 'running'",
            (user, name),
        ).fetchone()
        if row is None:
            return None
        session, target, options, created, state = row
        hosts = {
            host: bool(finished)
            for host, finished in db.execute(
                "SELECT host, finished FROM session_host WHERE session = ?", (session,)
            )
        }
        items = options_from_text(str(options))
        return SavedSession(session, name, target, items, created, state, hosts)

    def delete(self, user: str, name: str) -> bool:
        """Delete ``user``'s session ``name`` (not one being written); whether it existed."""
        with self._store.transaction() as db:
            cursor = db.execute(
                "DELETE FROM session WHERE user = ? AND name = ? AND state != 'running'",
                (user, name),
            )
            return cursor.rowcount > 0

    def messages(self, session: int, after: int = -1) -> list[SavedMessage]:
        """The session's next messages in the order they were sent, those numbered above
        ``after``, a chunk at a time (a restore replays them as fast as the client reads,
        without holding them all); empty at the end."""
        rows = (
            self._store.connection()
            .execute(
                "SELECT seq, host, plugin, kind, line FROM session_message"
                " WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?",
                (session, after, _CHUNK),
            )
            .fetchall()
        )
        return [SavedMessage(s, h, p, k, bytes(line)) for s, h, p, k, line in rows]

    def finished_plugins(self, session: int, host: str) -> list[FinishedPlugin]:
        """The plugins that finished on ``host``, in the order they finished."""
        rows = self._store.connection().execute(
            "SELECT plugin, kb FROM session_plugin WHERE session = ? AND host = ? ORDER BY seq",
            (session, host),
        )
        return [FinishedPlugin(plugin, kb) for plugin, kb in rows]

    def owner_of(self, session: int) -> int | None:
        """The detached scan the session belongs to, if any."""
        row = (
            self._store.connection()
            .execute("SELECT detached FROM session WHERE id = ?", (session,))
            .fetchone()
        )
        return None if row is None else row[0]
