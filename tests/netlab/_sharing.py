"""One lab, several users: test sessions and the command line, on one shared machine.

A lock file next to the state directory (``/run/ixion-netlab.lock``) serialises ``up``,
``down`` and a test session's joining or leaving; test sessions register their PID in
``/run/ixion-netlab.users/`` while they use the lab. ``down`` (and ``up``, which starts by
tearing down) refuse while another session is registered, unless forced.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from typing import TYPE_CHECKING, Final

from tests.netlab._status import alive

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["LOCK_HELD", "LabBusyError", "lab_lock", "live_users", "users_dir"]

#: Set (to "1") in the environment of a command whose caller already holds the lock.
LOCK_HELD: Final = "IXION_NETLAB_LOCK_HELD"
#: Longer than any ``up`` or ``down``; a holder stuck past it is reported, not waited for.
LOCK_TIMEOUT: Final = 300.0


class LabBusyError(RuntimeError):
    """Another user of the lab held its lock for longer than :data:`LOCK_TIMEOUT`."""


@contextlib.contextmanager
def lab_lock(state: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the lab's lock, unless the caller says it holds it already.

    Raises:
        LabBusyError: the lock stayed taken for ``timeout`` seconds.
    """
    if os.environ.get(LOCK_HELD) == "1":
        yield
        return
    state.parent.mkdir(parents=True, exist_ok=True)
    path = state.with_name(state.name + ".lock")
    with path.open("a") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    message = f"{path} held by another lab user for {timeout:.0f} s"
                    raise LabBusyError(message) from None
                time.sleep(0.2)
        yield


def users_dir(state: Path) -> Path:
    users = state.with_name(state.name + ".users")
    users.mkdir(parents=True, exist_ok=True)
    return users


def live_users(state: Path, *, besides: int | None = None) -> list[int]:
    """PIDs of the test sessions using the lab (stale entries are removed)."""
    live = []
    for entry in users_dir(state).iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            if int(entry.name) != besides:
                live.append(int(entry.name))
        else:
            entry.unlink(missing_ok=True)
    return live
