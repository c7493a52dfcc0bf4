"""The sockets one run of a script holds, by the integer handles NASL code sees.

NASL sockets are integers (C hands out ``OPENVAS_FD_OFF + i``, a million and up, so that
they never look like a file descriptor a script could confuse with something else); a
script keeps them in variables and passes them back to ``send``, ``recv`` and ``close``.
Each run (each fork) has its own table, and :meth:`Connections.close_all` closes whatever
the script left open when the run ends, however it ends: an error, a limit, ``exit()``.
A per-run cap (:attr:`~ixion.nasl.runtime.limits.Limits.max_sockets`) keeps an untrusted script
from holding the target's connection slots.

The run's SSH sessions (``ssh_connect``) live here too, each tied to a socket handle:
closing that socket ends its session, as C's close hook does.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ixion.nasl.network.host import Connection
    from ixion.nasl.ssh.wire import SshSession

__all__ = ["FIRST_HANDLE", "Connections", "Socket"]

#: The first handle, as C's first stream connection number.
FIRST_HANDLE: Final = 1_000_000


@dataclass(slots=True)
class Socket:
    """An open connection and what NASL remembers about it."""

    connection: Connection
    udp: bool
    #: The last ``socket_get_error()`` code (``NOERR``, ``ETIMEDOUT``...).
    error: int = 0


class Connections:
    """Handle -> :class:`Socket` for one run, plus ``start_denial``'s remembered port."""

    __slots__ = ("_next", "_open", "denial_port", "ssh", "ssh_last")

    def __init__(self) -> None:
        self._open: dict[int, Socket] = {}
        self._next = FIRST_HANDLE
        #: SSH session id -> session (:mod:`ixion.nasl.builtins.ssh`).
        self.ssh: dict[int, SshSession] = {}
        #: The last SSH session id handed out (C starts after 9000 and never reuses one).
        self.ssh_last = 9000
        #: The port ``start_denial()`` found open; ``end_denial()`` checks it again.
        self.denial_port: int | None = None

    def __len__(self) -> int:
        return len(self._open)

    def add(self, connection: Connection, *, udp: bool) -> int:
        handle = self._next
        self._next += 1
        self._open[handle] = Socket(connection, udp)
        return handle

    def get(self, handle: int) -> Socket | None:
        return self._open.get(handle)

    def close(self, handle: int) -> bool:
        """Close one socket; False if the handle is not open."""
        sock = self._open.pop(handle, None)
        if sock is None:
            return False
        for session_id, session in list(self.ssh.items()):
            if session.socket == handle:
                del self.ssh[session_id]
                session.end()
        with contextlib.suppress(OSError):
            sock.connection.close()
        return True

    def close_all(self) -> None:
        for handle in list(self._open):
            self.close(handle)
