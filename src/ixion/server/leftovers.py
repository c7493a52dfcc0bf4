"""What a crash left in the state directory, removed when ixiond starts (issue 15, item 7).

ixiond never leaves anything half-done on purpose: files are written beside their place and
renamed (:func:`~ixion.server.files.write_atomically`), users are built under a hidden name
and renamed into place (:mod:`ixion.server.users`), attached files are deleted when their scan
or connection ends (:mod:`ixion.server.uploads`). A ``kill -9``, or a power cut, stops all of
that half-way, and what stays can matter: an attached file is often a private key.
:func:`remove_leftovers` runs at start-up once the daemon holds the store's lock, so no other
live ixiond uses this state directory, and removes, logging each one and why:

* attached files in ``<state_dir>/tmp``: no scan survives a restart with its files (a
  detached scan resumed at start runs without them);
* users being created (``<users>/.new-*``) or removed (``<users>/.removed-*``);
* temporaries of an interrupted atomic write (``.<name>.<8 random characters>``, a regular
  file of ours): half-written uploads in the plugin folders, others in ``state_dir``, the
  users' directories and the TLS directory;
* the pid file of a process that no longer exists.

The rules that keep it safe:

* Nothing outside ``state_dir``: a place is used only if its real path is inside the real
  ``state_dir`` (a ``users`` or ``plugins_folder`` configured elsewhere is left alone), and a
  symbolic link is removed as a link, never followed.
* Nothing another process may be writing now: the users directory and the TLS files are also
  written by tools that may run beside the daemon (ixion-adduser, ixion-rmuser,
  ixion-mkcert), so their leftovers must not have changed for :data:`STALE_AFTER` seconds.
* Nothing of a live process: a pid file naming one stays. ``store.lock`` is never removed:
  the kernel drops its lock with its holder, so it is never stale, and removing it under a
  live holder would let a second daemon in.

A leftover that cannot be removed is logged, and the start goes on.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.server.detach import PIDFILE_NAME
from ixion.server.uploads import UPLOADABLE_SUFFIXES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ixion.server.options import Settings

__all__ = ["ATTACHED_DIR", "STALE_AFTER", "Leftover", "remove_leftovers"]

log = logging.getLogger(__name__)

#: Where attached files are kept, under ``state_dir`` (see ``AttachedFiles``).
ATTACHED_DIR: Final = "tmp"
#: Seconds a leftover of a tool that may run beside the daemon must have been left untouched.
#: Those tools hold their work for well under a second (the slow password hash comes before
#: ixion-adduser's hidden directory exists).
STALE_AFTER: Final = 60.0

#: ``tempfile.mkstemp(prefix=f".{name}.")``: the name, then 8 of its random characters.
_TEMPORARY: Final = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}")
_ATTACHED: Final = re.compile(r"attached-.+")
#: ``tempfile.mkdtemp(prefix=".new-")`` in users.py's ``_install``, and ``remove_user``'s name.
_USER_WORK: Final = {
    "created": re.compile(r"\.new-[a-z0-9_]{8}"),
    "removed": re.compile(r"\.removed-[0-9a-f]{16}"),
}


@dataclass(frozen=True, slots=True)
class Leftover:
    """Something an earlier run left behind, and why it may go."""

    path: Path
    why: str


def remove_leftovers(settings: Settings, *, now: float | None = None) -> list[Leftover]:
    """Remove what an earlier run left in ``state_dir`` and log each; what was removed.

    Call it only while holding the store's lock (:meth:`ixion.store.database.Store.open`).
    ``now`` is the clock the age of tools' leftovers is measured with (tests move it).
    """
    state = Path(os.path.realpath(settings.state_dir))
    stale_before = (time.time() if now is None else now) - STALE_AFTER
    removed = [leftover for leftover in _find(settings, state, stale_before) if _remove(leftover)]
    if removed:
        log.warning("removed %d leftovers of an earlier run in %s", len(removed), state)
    return removed


def _find(settings: Settings, state: Path, stale_before: float) -> Iterator[Leftover]:
    attached = _inside(state, state / ATTACHED_DIR)
    if attached is not None:
        for entry in _entries(attached, _ATTACHED):
            yield Leftover(entry, "an attached file of a connection or scan the daemon lost")
    yield from _temporaries(state, None, stale_before)
    tls = {settings.cert_file.parent, settings.key_file.parent, settings.ca_file.parent}
    for place in sorted(tls):
        directory = _inside(state, place)
        if directory is not None and directory != state:
            yield from _temporaries(directory, None, stale_before)
    plugins = _inside(state, settings.plugins_folder)
    if plugins is not None:
        yield from _temporaries(plugins, UPLOADABLE_SUFFIXES, None)
    users = _inside(state, settings.users)
    if users is not None:
        yield from _users(state, users, stale_before)
    pidfile = _stale_pidfile(state / PIDFILE_NAME)
    if pidfile is not None:
        yield pidfile


def _users(state: Path, users: Path, stale_before: float) -> Iterator[Leftover]:
    """Users half created or half removed, and temporaries in each user's directories."""
    for what, pattern in _USER_WORK.items():
        for entry in _entries(users, pattern, directories=True):
            if _untouched_since(entry, stale_before):
                yield Leftover(entry, f"a user being {what} when its tool or the daemon stopped")
    for home in _entries(users, re.compile(r"[^.].*"), directories=True):
        yield from _temporaries(home, None, stale_before)
        for place, suffixes, since in (
            ("auth", None, stale_before),
            ("plugins", UPLOADABLE_SUFFIXES, None),  # uploads: only the daemon writes there
        ):
            directory = _inside(state, home / place)  # a link out of state_dir is not followed
            if directory is not None:
                yield from _temporaries(directory, suffixes, since)


def _temporaries(
    directory: Path, suffixes: tuple[str, ...] | None, stale_before: float | None
) -> Iterator[Leftover]:
    """Temporaries of :func:`~ixion.server.files.write_atomically` in ``directory``: our
    regular files named ``.<name>.<8 characters>`` (with one of ``suffixes``, if given), and
    untouched since ``stale_before`` where another process may be writing one."""
    uid = os.geteuid()
    for entry in _entries(directory, _TEMPORARY):
        match = _TEMPORARY.fullmatch(entry.name)
        assert match is not None
        if suffixes is not None and not match["name"].endswith(suffixes):
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != uid:
            continue
        if stale_before is not None and info.st_mtime > stale_before:
            log.info(
                "left %s: changed in the last %d s, it may be in use", _shown(entry), STALE_AFTER
            )
            continue
        yield Leftover(entry, f"a half-written copy of {match['name']}")


def _stale_pidfile(path: Path) -> Leftover | None:
    """The pid file, if the process it names is gone (or it names none)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return Leftover(path, "a pid file that cannot be read")
    if not text.isdigit() or int(text) <= 0:
        return Leftover(path, "a pid file that names no process")
    pid = int(text)
    if pid == os.getpid() or _alive(pid):
        log.info("left %s: process %d is alive", _shown(path), pid)
        return None
    return Leftover(path, f"the pid file of process {pid}, which no longer exists")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


# --- places and removals -----------------------------------------------------------------


def _inside(state: Path, path: Path) -> Path | None:
    """``path`` by its real path, if that is ``state`` or inside it; else None (logged)."""
    real = Path(os.path.realpath(path))
    if real == state or state in real.parents:
        return real
    log.info("leftovers not looked for in %s: it is outside %s", _shown(path), state)
    return None


def _entries(
    directory: Path, pattern: re.Pattern[str], *, directories: bool = False
) -> Iterator[Path]:
    """The entries of ``directory`` whose whole name matches: directories (real ones, not
    links) if ``directories``, else anything else."""
    try:
        with os.scandir(directory) as found:
            entries = [e for e in found if pattern.fullmatch(e.name)]
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        log.error("cannot look for leftovers in %s: %s", _shown(directory), exc.strerror)
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir == directories:
            yield directory / entry.name


def _untouched_since(directory: Path, moment: float) -> bool:
    """Neither ``directory`` nor anything directly in it changed after ``moment``."""
    try:
        newest = directory.lstat().st_mtime
        with os.scandir(directory) as entries:
            for entry in entries:
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    except OSError:
        return False
    if newest > moment:
        log.info(
            "left %s: changed in the last %d s, it may be in use", _shown(directory), STALE_AFTER
        )
        return False
    return True


def _remove(leftover: Leftover) -> bool:
    path = leftover.path
    try:
        if stat.S_ISDIR(path.lstat().st_mode):
            shutil.rmtree(path)  # never follows the links inside (fd-based on Linux)
        else:
            path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.error("cannot remove %s (%s): %s", _shown(path), leftover.why, exc.strerror)
        return False
    log.warning("removed %s: %s", _shown(path), leftover.why)
    return True


def _shown(path: Path) -> str:
    """The path for the log, which takes only UTF-8: undecodable bytes shown escaped."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")
