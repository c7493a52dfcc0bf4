"""Mail waiting to be delivered (spec §8.4): a detached scan's findings, kept until the relay
took them, so that a relay that is down, or a daemon restart, loses no report.

A message is the whole mail as bytes (headers, text, attachment), ready for SMTP. Each failed
attempt is counted and the next one scheduled later; after :data:`MAX_ATTEMPTS` the message is
dropped (the caller logs it), so one bad address cannot fill the disk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ixion.store.database import Store

__all__ = ["MAX_ATTEMPTS", "Outbox", "Outgoing"]

#: Attempts before a message is given up.
MAX_ATTEMPTS: Final = 8


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    user: str
    recipient: str
    message: bytes
    attempts: int


class Outbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def put(self, user: str, recipient: str, message: bytes) -> int:
        now = time.time()
        with self._store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO outbox (user, recipient, message, created, next_try)"
                " VALUES (?, ?, ?, ?, ?)",
                (user, recipient, message, now, now),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def due(self, now: float | None = None) -> list[Outgoing]:
        """Messages whose next attempt is due, oldest first."""
        rows = self._store.connection().execute(
            "SELECT id, user, recipient, message, attempts FROM outbox"
            " WHERE next_try <= ? ORDER BY id",
            (time.time() if now is None else now,),
        )
        return [Outgoing(i, u, r, bytes(m), a) for i, u, r, m, a in rows]

    def next_due(self) -> float | None:
        row = self._store.connection().execute("SELECT min(next_try) FROM outbox").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def delivered(self, number: int) -> None:
        with self._store.transaction() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (number,))

    def failed(self, number: int, error: str, retry_in: float) -> bool:
        """Count a failed attempt; False when the message was given up (and removed)."""
        with self._store.transaction() as db:
            row = db.execute("SELECT attempts FROM outbox WHERE id = ?", (number,)).fetchone()
            if row is None:
                return False
            if row[0] + 1 >= MAX_ATTEMPTS:
                db.execute("DELETE FROM outbox WHERE id = ?", (number,))
                return False
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_try = ?"
                " WHERE id = ?",
                (error[:500], time.time() + retry_in, number),
            )
            return True
