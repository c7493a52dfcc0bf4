"""Who may connect, stay logged in and scan: the counts behind the limits of issue 15.

One :class:`Admission` per daemon counts the connections (in total, per address, per user once
logged in) and the scans of each user, and says yes or no; the accept loop
(:mod:`ixion.server.accepting`), the client handler and the orders ask it. What a refused
client sees is decided where it is refused:

* over ``max_connections`` the daemon accepts nothing more: new clients wait in the kernel's
  queue until a connection ends (no accept-and-close storm);
* over ``max_connections_per_address`` a new connection is closed at once, unread;
* over ``max_connections_per_user`` a client that logged in is told so in an ERROR and closed;
* over ``max_scans_per_user`` (detached scans included) an attack order is answered with an
  ERROR and BYE, and the connection goes on as after any scan.

The log gets one line when refusals of a kind begin for an address, a user or the daemon, and
one when they end (with how many there were): a flood of refused clients cannot flood the log.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from collections import Counter
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ixion.server.limits import Limits

__all__ = ["Admission", "connection_budget"]

log = logging.getLogger(__name__)

#: Descriptors never given to connections, as a share of the process's limit (and at least
#: :data:`MIN_DESCRIPTORS_KEPT`): logins read the user's files, scans open pipes to workers and
#: the store its database. Without them a daemon full of connections answers correct passwords
#: "Bad login attempt" and fails every scan it starts.
DESCRIPTORS_KEPT_SHARE: Final = 8
MIN_DESCRIPTORS_KEPT: Final = 16


def connection_budget() -> int | None:
    """Connections this process can hold with descriptors to spare; None if unlimited.

    The soft ``RLIMIT_NOFILE`` less the descriptors open now (the log, the store, the fork
    server, the listener) and the ones kept back for work.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:  # no /proc: assume a quiet start-up
        in_use = 32
    kept = max(MIN_DESCRIPTORS_KEPT, soft // DESCRIPTORS_KEPT_SHARE)
    return max(1, soft - in_use - kept)


class _Episodes:
    """Refusals of one kind, logged once when they begin for a key and once when they end."""

    def __init__(self, begin: str, end: str) -> None:
        #: Format of the WARNING logged at the first refusal; ``%s`` is the key.
        self._begin = begin
        #: Format of the INFO logged at the end; the key, then how many were refused.
        self._end = end
        self._refused: dict[str, int] = {}

    def refused(self, key: str) -> None:
        if key not in self._refused:
            log.warning(self._begin, key)
            self._refused[key] = 0
        self._refused[key] += 1

    def over(self, key: str) -> None:
        """The reason for refusing ``key`` is gone: close its episode, if it had one."""
        count = self._refused.pop(key, None)
        if count is not None:
            log.info(self._end, key, count)


class Admission:
    """The counts of one daemon, and its answer to each new connection, login and scan."""

    def __init__(self, limits: Limits, *, max_connections: int | None = None) -> None:
        self._limits = limits
        #: ``max_connections``, or fewer if the descriptors allow fewer.
        self.max_connections = max_connections or limits.max_connections
        self._total = 0
        self._by_address: Counter[str] = Counter()
        self._by_user: Counter[str] = Counter()
        self._scans: Counter[str] = Counter()
        self._room = asyncio.Event()
        self._room.set()
        #: Loop time the daemon last became full with clients waiting; None: it is not.
        self._full_since: float | None = None
        #: Set, and cleared again, whenever a connection ends: a descriptor was freed.
        self._released = asyncio.Event()
        self._full_addresses = _Episodes(
            "%s: over max_connections_per_address; closing its new connections",
            "%s: below max_connections_per_address again (%d connection(s) closed)",
        )
        self._full_users = _Episodes(
            "user %s: over max_connections_per_user; refusing further logins",
            "user %s: below max_connections_per_user again (%d login(s) refused)",
        )
        self._busy_users = _Episodes(
            "user %s: at max_scans_per_user; refusing further scans",
            "user %s: below max_scans_per_user again (%d scan(s) refused)",
        )

    @property
    def connections(self) -> int:
        return self._total

    @property
    def max_scans_per_user(self) -> int:
        return self._limits.max_scans_per_user

    # --- connections -----------------------------------------------------------------------

    def has_room(self) -> bool:
        """Another connection may be accepted."""
        return self._total < self.max_connections

    async def wait_for_room(self) -> None:
        """Return once another connection may be accepted (at once, usually).

        The first wait is logged; the episode lasts until :meth:`caught_up`, however many
        connections end and are replaced meanwhile, so that a daemon kept full by a queue of
        clients logs two lines, not two per connection.
        """
        if self.has_room():
            return
        if self._full_since is None:
            self._full_since = asyncio.get_running_loop().time()
            log.warning(
                "%d connections, the most this daemon serves at once (max_connections); "
                "new ones wait in the kernel's queue until one ends",
                self._total,
            )
        while not self.has_room():
            self._room.clear()
            await self._room.wait()

    def caught_up(self) -> None:
        """The accept loop found no connection waiting: a full episode, if any, is over."""
        if self._full_since is not None:
            waited = asyncio.get_running_loop().time() - self._full_since
            self._full_since = None
            log.info("below max_connections again after %.1f s, with no one waiting", waited)

    async def wait_for_release(self, seconds: float) -> None:
        """Wait until a connection ends, or ``seconds`` at most."""
        try:
            async with asyncio.timeout(seconds):
                await self._released.wait()
        except TimeoutError:
            pass

    def enter(self, address: str) -> bool:
        """Count a new connection from ``address``; False (and not counted) if that address
        already has its ``max_connections_per_address``."""
        if self._by_address[address] >= self._limits.max_connections_per_address:
            self._full_addresses.refused(address)
            return False
        self._by_address[address] += 1
        self._total += 1
        return True

    def leave(self, address: str) -> None:
        """A connection counted by :meth:`enter` has ended."""
        self._total -= 1
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]
        self._full_addresses.over(address)
        if self.has_room():
            self._room.set()
        self._released.set()
        self._released.clear()

    # --- logins ----------------------------------------------------------------------------

    def log_in(self, user: str) -> bool:
        """Count a connection logged in as ``user``; False (not counted) if ``user`` already
        has ``max_connections_per_user``."""
        if self._by_user[user] >= self._limits.max_connections_per_user:
            self._full_users.refused(user)
            return False
        self._by_user[user] += 1
        return True

    def log_out(self, user: str) -> None:
        """A connection counted by :meth:`log_in` has ended."""
        self._by_user[user] -= 1
        if self._by_user[user] <= 0:
            del self._by_user[user]
        self._full_users.over(user)

    # --- scans -----------------------------------------------------------------------------

    def start_scan(self, user: str, detached: int) -> bool:
        """Count a scan of ``user``, who has ``detached`` detached scans running besides the
        ones counted here; False (not counted) if that makes more than ``max_scans_per_user``.
        """
        if self._scans[user] + detached >= self._limits.max_scans_per_user:
            self._busy_users.refused(user)
            return False
        self._busy_users.over(user)  # its detached scans may have ended meanwhile
        self._scans[user] += 1
        return True

    def end_scan(self, user: str) -> None:
        """A scan counted by :meth:`start_scan` has ended, or has been handed to the detached
        scans (which count it from then on)."""
        self._scans[user] -= 1
        if self._scans[user] <= 0:
            del self._scans[user]
        self._busy_users.over(user)
