"""SESSION_RESTORE (spec §8.2), and the resumption of a detached scan after a restart.

nessusd replayed the saved lines of finished hosts and scanned every other host from scratch.
ixion goes further on a host whose test was cut short: the plugins that had finished there are
not run again, the host's worker makes their KB writes again instead
(:attr:`~ixion.engine.job.HostJob.resume`), and their results are replayed with the rest. So
a scan interrupted near its end costs little to finish.

The order of a restore: the saved messages are replayed first, as fast as the client reads
them (they come from the store a chunk at a time); then the hosts that did not finish are
scanned. On a half-done host, a plugin that had not finished may report again what it had
reported before the interruption; such a message, identical to one replayed for that host, is
not sent a second time. The TIME lines of a half-done host are not replayed: its scan starts
again and says so.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from typing import TYPE_CHECKING

from ixion.engine.events import EventError
from ixion.engine.events import kb_writes as checked_kb_writes
from ixion.server.recorder import stored_message
from ixion.store.sessions import HostEnded, PluginDone, SentMessage

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from ixion.ntp import Message
    from ixion.plugin_api.kb import KbWrite
    from ixion.store.sessions import Record, SavedMessage, SavedSession, Sessions

__all__ = ["Restoring", "kb_writes"]

log = logging.getLogger(__name__)


def kb_writes(text: str) -> tuple[KbWrite, ...]:
    """A plugin's KB writes as the store keeps them (JSON); nothing if they are unreadable."""
    try:
        return checked_kb_writes(json.loads(text))
    except (ValueError, EventError):
        return ()


class Restoring:
    """A saved session on its way back; see the module docstring."""

    def __init__(self, sessions: Sessions, saved: SavedSession) -> None:
        self._sessions = sessions
        self.saved = saved
        #: Lines replayed for each half-done host, counted, to drop their repeats.
        self._replayed: dict[str, collections.Counter[bytes]] = collections.defaultdict(
            collections.Counter
        )

    @property
    def target(self) -> str:
        return self.saved.target

    def finished(self, host: str) -> bool:
        """The host's test completed in the saved session: it is replayed, not scanned."""
        return self.saved.hosts.get(host, False)

    def half_done(self, host: str) -> bool:
        return host in self.saved.hosts and not self.saved.hosts[host]

    async def resume_for(self, host: str) -> tuple[tuple[int, tuple[KbWrite, ...]], ...]:
        """What the plugins that finished on a half-done host wrote, for its worker."""
        if not self.half_done(host):
            return ()
        done = await asyncio.to_thread(self._sessions.finished_plugins, self.saved.id, host)
        return tuple((plugin.plugin, kb_writes(plugin.kb)) for plugin in done)

    async def replay(self, put: Callable[[Message, Record], Awaitable[None]]) -> int:
        """Hand every saved message to ``put`` (with the record the new session keeps of it),
        then the records of what finished; the number of messages replayed."""
        count, after = 0, -1
        while chunk := await asyncio.to_thread(self._sessions.messages, self.saved.id, after):
            after = chunk[-1].seq
            for saved in chunk:
                message = self._message(saved)
                if message is None:
                    continue
                if self.half_done(saved.host):
                    self._replayed[saved.host][saved.line] += 1
                await put(message, SentMessage(saved.host, saved.plugin, saved.kind, saved.line))
                count += 1
        return count

    async def finished_records(self) -> list[Record]:
        """The new session's records of what the saved one had finished (written after the
        replay: a crash in the middle of it leaves those hosts unfinished, to be replayed)."""
        records: list[Record] = [HostEnded(h) for h, done in self.saved.hosts.items() if done]
        for host in self._half_done_hosts():
            done = await asyncio.to_thread(self._sessions.finished_plugins, self.saved.id, host)
            records.extend(PluginDone(host, plugin.plugin, plugin.kb) for plugin in done)
        return records

    def already_sent(self, host: str, line: bytes) -> bool:
        """A half-done host's live message that repeats one replayed for it: drop it."""
        seen = self._replayed.get(host)
        if not seen or seen[line] <= 0:
            return False
        seen[line] -= 1
        return True

    def _half_done_hosts(self) -> Iterator[str]:
        return (host for host, done in self.saved.hosts.items() if not done)

    def _message(self, saved: SavedMessage) -> Message | None:
        if self.half_done(saved.host) and saved.kind == "TIME":
            return None
        try:
            return stored_message(saved.line)
        except ValueError as exc:
            log.warning("session %s: a saved line is unreadable, skipped: %s", self.saved.name, exc)
            return None
