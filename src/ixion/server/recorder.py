"""A scan's messages, each sent to the client only once the store holds it.

This is what makes "nothing a client was shown is ever lost" true: the order of work for every
message is *commit, then send*. Messages queue here as the scan produces them; a pump takes
every message waiting (a group commit: the slower the disk, the bigger the batch), writes
them, the plugins that finished and the KB writes in one transaction, and only then sends the
batch on, in order. A ``kill -9`` at any moment leaves the store holding at least what the
client had received.

A store that fails (a full disk, a damaged file) does not stop the scan: the client is told
once, with an ERROR line, the log says why, and the scan goes on unrecorded. A client that
went away does not stop the recording either: a detached scan has none to begin with.

Messages are kept as the lines an NTP/1.2 client with every report option would have been
sent (:data:`STORED_FEATURES`), which the protocol layer both writes and reads; a restore
decodes them and encodes them again for the client that asks, whatever it negotiated.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.ntp import (
    NEED_DATA,
    Features,
    LocalProtocolError,
    RemoteProtocolError,
    ServerPhase,
    ServerStreamDecoder,
    Version,
    encode_server_message,
)
from ixion.store.database import StoreError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from ixion.ntp import Message
    from ixion.store.sessions import Record, Sessions

__all__ = ["STORED_FEATURES", "Recorder", "stored_line", "stored_message"]

log = logging.getLogger(__name__)

#: How messages are kept: NTP/1.2, TIME lines, NOTE as NOTE, backslash escapes, long STATUS.
STORED_FEATURES: Final = Features(
    version=Version.NTP_1_2,
    extensions=frozenset({"timestamps"}),
    escape_crlf=True,
    accepts_notes=True,
)
#: Messages waiting for the store before the scan's producer waits.
QUEUE_SIZE: Final = 2000
#: Most messages in one transaction.
BATCH: Final = 1000


def stored_line(msg: Message) -> bytes:
    return encode_server_message(msg, STORED_FEATURES)


def stored_message(line: bytes) -> Message:
    """The message a stored line holds. Raises ValueError if it holds none."""
    decoder = ServerStreamDecoder(STORED_FEATURES, start=ServerPhase.MESSAGES)
    decoder.receive_data(line)
    try:
        msg = decoder.next_message()
    except (LocalProtocolError, RemoteProtocolError) as exc:
        raise ValueError(f"not a stored message: {exc}") from None
    if msg is NEED_DATA:
        raise ValueError("not a whole stored message")
    return msg


@dataclass(frozen=True, slots=True)
class _Item:
    records: tuple[Record, ...]
    #: Other store work, done in order with the records (a host's saved KB).
    work: Callable[[], None] | None
    message: Message | None


class Recorder:
    """Commit, then send; see the module docstring. Start with :meth:`start`."""

    def __init__(
        self,
        *,
        user: str,
        send: Callable[[Message], Awaitable[None]],
        warn: Callable[[str], Awaitable[None]],
    ) -> None:
        self._user = user
        self._send = send
        self._warn = warn
        self._sessions: Sessions | None = None
        self._session: int | None = None
        self._seq = 0
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue(QUEUE_SIZE)
        self._pump: asyncio.Task[None] | None = None
        self._client_gone = False
        #: Why the store stopped taking this scan's records, once it did.
        self.failure: str | None = None

    def record_into(self, sessions: Sessions, session: int) -> None:
        """Keep the records in this session (before :meth:`start`)."""
        self._sessions, self._session = sessions, session

    def start(self) -> None:
        self._pump = asyncio.create_task(self._run(), name=f"recorder-{self._user}")

    async def put(
        self,
        message: Message | None,
        records: Sequence[Record] = (),
        work: Callable[[], None] | None = None,
    ) -> None:
        """Queue ``message`` (sent after the commit) with what the store keeps of it:
        session ``records``, and ``work`` to run in the store's thread."""
        await self._queue.put(_Item(tuple(records), work, message))

    async def close(self) -> None:
        """Commit and send everything queued, then stop."""
        if self._pump is None:
            return
        await self._queue.put(None)
        await self._pump
        self._pump = None

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            batch = [item]
            ending = False
            while len(batch) < BATCH and not self._queue.empty():
                more = self._queue.get_nowait()
                if more is None:
                    ending = True
                    break
                batch.append(more)
            await self._commit(batch)
            for queued in batch:
                if queued.message is not None:
                    await self._deliver(queued.message)
            if ending:
                return

    async def _commit(self, batch: list[_Item]) -> None:
        if self.failure is not None:
            return
        try:
            self._seq = await asyncio.to_thread(self._write, batch, self._seq)
        except (sqlite3.Error, StoreError, OSError) as exc:
            self.failure = str(exc) or type(exc).__name__
            log.error("%s: the scan can no longer be saved: %s", self._user, self.failure)
        except Exception as exc:  # a bug of ours must cost the saving, not the scan
            self.failure = f"internal error: {exc!r}"
            log.exception("%s: the scan can no longer be saved", self._user)
        if self.failure is not None and not self._client_gone:
            try:
                await self._warn(self.failure)
            except Exception:  # the client is gone too; the scan goes on regardless
                self._client_gone = True

    def _write(self, batch: list[_Item], seq: int) -> int:
        """In a thread: the batch's session records in one transaction, then its other work."""
        if self._sessions is not None and self._session is not None:
            records = [record for item in batch for record in item.records]
            if records:
                seq = self._sessions.record(self._session, seq, records)
        for item in batch:
            if item.work is not None:
                item.work()
        return seq

    async def _deliver(self, message: Message) -> None:
        if self._client_gone:
            return
        try:
            await self._send(message)
        except Exception as exc:  # the link's own errors: the client left
            log.info("%s: client gone while results were sent: %r", self._user, exc)
            self._client_gone = True
