"""``ixiond -D``: running in the background, with a pid file in ``state_dir``.

Detaching comes after start-up (:mod:`ixion.server.startup`), so that whatever can go wrong is
still told on the terminal; the one thing done after the fork, writing the pid file, reports
its failure there too before the standard streams are let go.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Final

import click

from ixion.server.files import write_atomically

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PIDFILE_NAME", "daemonize", "remove_pidfile"]

#: The pid file ``-D`` writes in ``state_dir``.
PIDFILE_NAME: Final = "ixiond.pid"


def daemonize(pidfile: Path) -> None:
    """Detach with a double fork and ``setsid``; only the daemon returns.

    The process that ran ``ixiond -D`` waits for the daemon to write its pid file, then exits 0
    (1 if the daemon could not), so a script that starts ixiond can rely on both.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    ready_read, ready_write = os.pipe()
    child = os.fork()
    if child > 0:
        os.close(ready_write)
        with os.fdopen(ready_read, "rb") as ready:
            started = ready.read(1) == b"1"
        os.waitpid(child, 0)
        sys.exit(0 if started else 1)
    os.close(ready_read)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    try:
        _write_pidfile(pidfile)
    except OSError as exc:
        click.echo(f"ixiond: cannot write {pidfile}: {exc.strerror}", err=True)
        os._exit(1)
    _detach_standard_streams()
    os.write(ready_write, b"1")
    os.close(ready_write)


def _write_pidfile(pidfile: Path) -> None:
    write_atomically(pidfile, f"{os.getpid()}\n".encode("ascii"), 0o644)


def remove_pidfile(pidfile: Path) -> None:
    """Remove the pid file if it is still ours."""
    with contextlib.suppress(OSError, ValueError):
        if int(pidfile.read_text(encoding="ascii")) == os.getpid():
            pidfile.unlink()


def _detach_standard_streams() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
