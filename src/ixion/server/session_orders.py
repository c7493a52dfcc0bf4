"""The orders about sessions and detached scans (spec §8.1, §8.2, §4.7, §10.21).

SESSIONS_LIST, SESSION_DELETE, DETACHED_SESSIONS_LIST and DETACHED_STOP (STOP_DETACHED) are
answered from the store and the daemon's detached scans, for the logged-in user only: a name is
looked up among that user's records and nowhere else. Unlike nessusd, which never answered
SESSION_DELETE, an unknown name gets an ERROR, as the extensions document says; so does a name
that is not one at all (``../``, a NUL, a huge word), which the protocol layer reads as an
unusable line.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import TYPE_CHECKING, Final

from ixion.ntp import (
    DetachedSessionsList,
    DetachedSessionsListRequest,
    Error,
    SessionDelete,
    SessionEntry,
    SessionsList,
    SessionsListRequest,
    StopDetached,
    Unrecognized,
)
from ixion.server.restore import Restoring
from ixion.store.database import StoreError

if TYPE_CHECKING:
    from ixion.ntp import Message
    from ixion.server.link import Link
    from ixion.server.persistence import Persistence
    from ixion.server.scanning import Scanning

__all__ = ["SessionOrders", "names_something"]

log = logging.getLogger(__name__)

#: Orders that name a session or a detached scan.
_NAMING_ORDERS: Final = frozenset(
    {"SESSION_DELETE", "SESSION_RESTORE", "STOP_DETACHED", "DETACHED_STOP"}
)


def names_something(msg: Unrecognized) -> bool:
    """An unusable line that was an order naming a session or a detached scan."""
    return _named_verb(msg) in _NAMING_ORDERS


class SessionOrders:
    """One logged-in client's orders about its sessions and detached scans."""

    def __init__(self, link: Link, scanning: Scanning | None, user: str) -> None:
        self._link = link
        self._user = user
        self._persistence: Persistence | None = scanning.persistence if scanning else None
        self._detached = scanning.detached if scanning else None

    async def order(self, msg: Message) -> None:
        if isinstance(msg, SessionsListRequest):
            await self._link.send(SessionsList(sessions=await self._listing()))
        elif isinstance(msg, SessionDelete):
            await self._delete(msg.session_id)
        elif isinstance(msg, DetachedSessionsListRequest):
            listing = self._detached.listing(self._user) if self._detached is not None else ()
            await self._link.send(DetachedSessionsList(sessions=listing))
        elif isinstance(msg, StopDetached):
            await self._stop_detached(msg.session_id)
        elif isinstance(msg, Unrecognized):
            log.info("%s: %s", self._link.peer, msg.reason)
            await self._link.send(Error(text=f"E000 - {_named_verb(msg)}: not a name it knows"))

    async def restoring(self, name: str) -> Restoring | None:
        """SESSION_RESTORE's session, or None if the user has none of that name."""
        saved = None
        if self._persistence is not None:
            try:
                saved = await asyncio.to_thread(self._persistence.sessions.find, self._user, name)
            except (sqlite3.Error, StoreError) as exc:
                log.error("%s: cannot read session %s: %s", self._link.peer, name, exc)
        if self._persistence is None or saved is None:
            return None
        return Restoring(self._persistence.sessions, saved)

    async def _listing(self) -> tuple[SessionEntry, ...]:
        if self._persistence is None:
            return ()
        try:
            found = await asyncio.to_thread(self._persistence.sessions.listing, self._user)
        except (sqlite3.Error, StoreError) as exc:
            log.error("%s: cannot list sessions: %s", self._link.peer, exc)
            return ()
        return tuple(SessionEntry(id=s.name, targets=_one_line(s.target)) for s in found)

    async def _delete(self, name: str) -> None:
        deleted = False
        if self._persistence is not None:
            sessions = self._persistence.sessions
            try:
                deleted = await asyncio.to_thread(sessions.delete, self._user, name)
            except (sqlite3.Error, StoreError) as exc:
                log.error("%s: cannot delete session %s: %s", self._link.peer, name, exc)
        if deleted:
            log.info("%s: %s deleted session %s", self._link.peer, self._user, name)
        else:
            await self._link.send(Error(text=f"E000 - SESSION_DELETE: no session {name}"))

    async def _stop_detached(self, number: str) -> None:
        detached = self._detached
        # Detached scans are numbered; any other word (a session's name, "../x") is none.
        stopped = False
        if detached is not None and number.isdecimal() and len(number) <= 18:
            stopped = await detached.stop(self._user, int(number))
        if not stopped:
            await self._link.send(Error(text=f"E000 - STOP_DETACHED: no detached scan {number}"))


def _named_verb(msg: Unrecognized) -> str:
    """The command word of an unusable ``CLIENT <|> VERB <|> name... <|> CLIENT`` line; a
    line without a name is skipped, as nessusd skipped it."""
    fields = msg.line.split(" <|> ")
    return fields[1].strip() if len(fields) > 3 and fields[0] == "CLIENT" else ""


def _one_line(target: str) -> str:
    """A target as a SESSIONS_LIST line carries it: one line, no separator, never empty."""
    return " ".join(target.split()).replace("<|>", "<!>") or "-"
