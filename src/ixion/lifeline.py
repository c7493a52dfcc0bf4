"""Every process ixion starts dies with the process that started it, even one killed by SIGKILL.

A process killed by SIGKILL runs no cleanup: it cannot kill its children on the way out, and
a child busy with its own work (a host's worker in a plugin, a catalogue builder describing
scripts) would never notice. So each child asks the kernel itself, first thing, to be sent a
signal when its parent ends (Linux's ``PR_SET_PDEATHSIG``), then checks that the parent has
not already gone in the meantime.

The kernel sends that signal when the *thread* that started the child ends, not its process:
start such children from a thread that outlives them (the main thread, an event loop's).
Elsewhere than on Linux this does nothing; the fork server still ends its workers when its
socket to the daemon closes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Final

__all__ = ["die_with_parent"]

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG: Final = 1


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Have the kernel send ``signum`` to this process when ``parent`` (the pid of the
    process that started it) ends; end now, by that signal, if it already has.

    Raises:
        OSError: the kernel refused the request.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_PDEATHSIG): {os.strerror(code)}")
    if os.getppid() != parent:  # it died before we asked: the signal will never come
        os.kill(os.getpid(), signum)
