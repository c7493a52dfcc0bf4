"""Finding the processes a test started, from ``/proc``, to prove that none outlives its daemon.

A test starts its daemon with an environment variable no other process has (``IXION_TEST_TAG``
set to a value of its own); every process that daemon starts inherits it, whether forked or
executed, and keeps it after its parent died and it was adopted by init. So the processes a
test is answerable for are exactly those whose initial environment holds its tag: never
another test's daemon, never anything else on the machine.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Final

__all__ = ["TAG_VARIABLE", "children_of", "tagged_processes", "wait_until_gone"]

TAG_VARIABLE: Final = "IXION_TEST_TAG"


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rsplit(")", 1)[1].split()


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def children_of(parent: int, named: str = "") -> list[int]:
    """The live children of ``parent`` whose command line contains ``named``."""
    found = []
    for pid in _pids():
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat_fields(pid)
            if int(fields[1]) != parent or fields[0] == "Z":
                continue
            if named.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return sorted(found)


def tagged_processes(tag: str) -> list[int]:
    """The live processes (zombies aside) whose environment carries ``tag``."""
    wanted = f"{TAG_VARIABLE}={tag}".encode()
    found = []
    for pid in _pids():
        with contextlib.suppress(OSError, IndexError):
            if _stat_fields(pid)[0] == "Z":
                continue
            if wanted in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                found.append(pid)
    return sorted(found)


def wait_until_gone(tag: str, seconds: float) -> list[int]:
    """Wait up to ``seconds`` for every process carrying ``tag`` to end; those still there."""
    deadline = time.monotonic() + seconds
    while (left := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left
