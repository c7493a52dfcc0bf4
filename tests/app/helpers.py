"""Running ``ixion scan`` as a user does, and looking at what it leaves behind.

Every scan here names its ports explicitly (``-p``): only ports the test's own services hold
on 127.0.0.1, or the netlab's, are ever probed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.reports.nbe import read_nbe

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

IXION: Final = Path(sys.executable).parent / "ixion"
#: Longest a scan of the loopback lab may take (it takes about 7 s).
SCAN_TIMEOUT: Final = 120.0


def port_list(ports: Iterable[int]) -> str:
    return ",".join(str(port) for port in sorted(ports))


def scan_environment(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a scan subprocess: its own cache directory, no colour choices
    inherited from whoever runs the tests."""
    environ = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    return {**environ, "XDG_CACHE_HOME": str(cache), **extra}


def run_ixion(
    args: Iterable[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = SCAN_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """``ixion ARGS`` to the end, its output captured as text."""
    return subprocess.run(
        [str(IXION), *args],
        cwd=cwd,
        env=dict(env) if env is not None else scan_environment(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, theirs...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name is in parentheses and may hold spaces: the ppid follows the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: Iterable[int]) -> set[int]:
    """Those of ``pids`` that are still running (not zombies)."""
    running = set()
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] != "Z":
            running.add(pid)
    return running


def assert_lost_host_reported(done: subprocess.CompletedProcess[str], nbe: Path) -> None:
    """What ``ixion scan`` shows of a host whose worker ran out of memory (the HOG check of
    tests/server/test_host_failures.py), embedded or through ``--server`` alike: exit 3, the
    cause on standard error and in the host's row, and its NBE report written all the same,
    with the host's start and end."""
    assert done.returncode == 3, done.stderr
    assert "ixion: the scan is incomplete: E004 - Scan of 127.0.0.1 failed: " in done.stderr
    assert "ixion: 127.0.0.1: failed: plugin 91000301 ran out of memory in " in done.stderr
    kinds = [t.kind.value for t in read_nbe(nbe.read_bytes()).timestamps]
    assert kinds == ["scan_start", "host_start", "host_end", "scan_end"], done.stderr
