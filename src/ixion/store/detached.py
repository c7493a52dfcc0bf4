"""Detached and continuous scans (spec §4.7): the ones running, so that they are listed, can be
stopped, and are resumed when the daemon starts again after a stop or a crash.

nessusd wrote ``users/<user>/detached/<pid>`` holding the target, and removed it when the scan
ended or was listed while its process was dead. Here a detached scan is a row: its number (what
DETACHED_SESSIONS_LIST shows and DETACHED_STOP names), target and options, the session its
current loop records to, and how many loops it completed. A scan that was ``running`` when its
daemon died is still ``running`` at the next start, which is how the daemon knows to resume it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.store.database import options_from_text, options_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ixion.store.database import Store

__all__ = ["DetachedRecord", "DetachedScans"]

_COLUMNS: Final = "id, user, target, options, rules, client, created, state, session, loops"


@dataclass(frozen=True, slots=True)
class DetachedRecord:
    id: int
    user: str
    target: str
    options: tuple[tuple[str, str], ...]
    #: The rules the scan was started under, and the client address they were bound to.
    rules: str
    client: str
    created: float
    state: str
    #: The session the current (or last) loop records to.
    session: str | None
    loops: int


class DetachedScans:
    """The detached scans of every user, in one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        user: str,
        target: str,
        options: Iterable[tuple[str, str]],
        *,
        rules: str,
        client: str,
        when: float | None = None,
    ) -> int:
        encoded = options_text(options)
        with self._store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO detached (user, target, options, rules, client, created, state)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (user, target, encoded, rules, client, time.time() if when is None else when),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def running(self, user: str | None = None) -> list[DetachedRecord]:
        """Scans still running (of ``user``, or everyone's), oldest first."""
        query = f"SELECT {_COLUMNS} FROM detached WHERE state = 'running'"
        args: tuple[str, ...] = ()
        if user is not None:
            query += " AND user = ?"
            args = (user,)
        rows = self._store.connection().execute(query + " ORDER BY id", args).fetchall()
        return [_record(row) for row in rows]

    def get(self, user: str, number: int) -> DetachedRecord | None:
        row = (
            self._store.connection()
            .execute(f"SELECT {_COLUMNS} FROM detached WHERE id = ? AND user = ?", (number, user))
            .fetchone()
        )
        return None if row is None else _record(row)

    def set_session(self, number: int, session: str | None) -> None:
        with self._store.transaction() as db:
            db.execute("UPDATE detached SET session = ? WHERE id = ?", (session, number))

    def loop_done(self, number: int) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE detached SET loops = loops + 1, session = NULL WHERE id = ?", (number,)
            )

    def end(self, number: int, state: str = "ended") -> None:
        """The scan is over: ``ended`` by itself, or ``stopped`` by its user."""
        with self._store.transaction() as db:
            db.execute(
                "UPDATE detached SET state = ? WHERE id = ? AND state = 'running'",
                (state, number),
            )


def _record(row: tuple[object, ...]) -> DetachedRecord:
    number, user, target, options, rules, client, created, state, session, loops = row
    items = options_from_text(str(options))
    return DetachedRecord(
        int(str(number)),
        str(user),
        str(target),
        items,
        str(rules),
        str(client),
        float(str(created)),
        str(state),
        None if session is None else str(session),
        int(str(loops)),
    )
