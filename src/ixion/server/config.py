"""``ixiond.conf``: the file, the table it loads into, and what derives from it (spec §5).

The file keeps nessusd.conf's format, so a nessusd.conf works unchanged (§5.1): ``name =
value`` lines, ``#`` comment lines, spaces around name and value trimmed, no quoting, lines
without ``=`` ignored, duplicates kept in order with the first one effective. This module
reads, writes and shows the file. Everything else about the conf lives in its own module and
is re-exported here, since the daemon, the tools and the tests take all of it from this one
place:

* :mod:`ixion.server.conftable`: the :class:`ConfTable` a file loads into, entries in file
  order with their line numbers, and :class:`ConfigError` / :class:`ConfigWarning`.
* :mod:`ixion.server.locations`: where the conf file and the state directory are by default.
* :mod:`ixion.server.resolve`: :func:`resolve_settings` for the daemon, which stops on a bad
  value, and :func:`resolve_connection_settings` for one connection after its client's
  PREFERENCES (§5.3), which never does.
* :mod:`ixion.server.preferences`: :func:`server_preferences`, the body of the PREFERENCES
  message sent after login.

What each key means comes from :mod:`ixion.server.options`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Final

from ixion.ntp.limits import MiB
from ixion.server.conftable import ConfigError, ConfigWarning, ConfTable, Entry
from ixion.server.files import write_atomically
from ixion.server.locations import Locations, default_locations
from ixion.server.options import OPTIONS
from ixion.server.preferences import ServerInfo, server_preferences
from ixion.server.resolve import (
    Resolved,
    plugin_timeout,
    resolve_connection_settings,
    resolve_settings,
)

__all__ = [
    "CONFIG_FILE_MODE",
    "MAX_CONFIG_LINE",
    "MAX_CONFIG_SIZE",
    "ConfTable",
    "ConfigError",
    "ConfigWarning",
    "Entry",
    "Locations",
    "Resolved",
    "ServerInfo",
    "default_config_text",
    "default_locations",
    "load_config",
    "parse_config",
    "plugin_timeout",
    "read_config",
    "resolve_connection_settings",
    "resolve_settings",
    "server_preferences",
    "show_config",
    "write_default_config",
]

#: nessusd read a line into a 1024-byte buffer (about 1022 characters, §5.1) and silently cut a
#: longer one in two entries. We refuse a longer line with an error instead, and allow four
#: times as much: the buffer size was never a promise, and lists such as ``non_simult_ports``
#: grow.
MAX_CONFIG_LINE: Final = 4095
#: A conf file is a few kilobytes; this only stops ``-c /dev/zero``-style mistakes.
MAX_CONFIG_SIZE: Final = 1 * MiB
#: Mode of a file ixiond creates: readable by all, as nessusd's was (``nessus-adduser`` and
#: ``-s`` read it). Someone who adds ``pem_password`` should tighten it.
CONFIG_FILE_MODE: Final = 0o644

_HEADER: Final = """\
# ixiond.conf: configuration of ixiond, the ixion daemon, in the format of nessusd.conf.
#
# One "name = value" a line; lines starting with '#' are comments; no quoting.
# A key left out takes its built-in value, which is not always the one written here.
# The paths commented out below follow state_dir until they are set.
# Clients are sent most keys (not paths, TLS files, secrets or admin_user) and may
# change the scan settings for their own connection.
"""


def parse_config(text: str, *, path: Path | None = None) -> ConfTable:
    """The table of a conf file's text.

    Raises:
        ConfigError: a line longer than :data:`MAX_CONFIG_LINE`, or a name that is empty or
            holds ``<`` (clients split PREFERENCES lines at the first ``<``, §3.3).
    """
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        where = f"line {number}" if path is None else f"{path}:{number}"
        if len(line) > MAX_CONFIG_LINE:
            raise ConfigError(f"{where}: line longer than {MAX_CONFIG_LINE} characters")
        line = line.strip()
        if line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        name = name.strip()
        if not name:
            raise ConfigError(f"{where}: no name before '='")
        if "<" in name:
            raise ConfigError(f"{where}: {name!r}: a name may not contain '<'")
        entries.append(Entry(name, value.strip(), number))
    return ConfTable(tuple(entries), path=path)


def read_config(path: Path) -> ConfTable:
    """The table of an existing conf file.

    Raises:
        ConfigError: the file is missing, unreadable, a symbolic link (nessusd refused those
            too, §5.1), not a regular file, too large, not UTF-8, or has a bad line.
    """
    try:
        # O_NOFOLLOW makes the symlink check and the open one step; O_NONBLOCK keeps a FIFO
        # from hanging the open before fstat can refuse it.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise ConfigError(
                f"{path}: is a symbolic link; give the real file's path instead"
            ) from None
        raise ConfigError(f"{path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_CONFIG_SIZE + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_SIZE:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_SIZE} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text") from None
    return parse_config(text, path=path)


def load_config(path: Path, locations: Locations) -> ConfTable:
    """The table of ``path``, written with the defaults first if nothing is there (§5.1)."""
    if not os.path.lexists(path):
        write_default_config(path, locations)
    return read_config(path)


def default_config_text(locations: Locations) -> str:
    """A new conf file: what ``ixiond -g`` writes, each key under a comment with its help."""
    blocks = [_HEADER]
    for declared in OPTIONS:
        value = declared.default_text(locations.state_dir)
        if value is not None:
            comment = "# " if declared.follows_state_dir else ""
            blocks.append(f"# {declared.help}\n{comment}{declared.name} = {value}\n")
    return "\n".join(blocks)


def write_default_config(path: Path, locations: Locations) -> None:
    """Write :func:`default_config_text` to ``path`` atomically, creating parent directories.

    Raises:
        ConfigError: the directory or file cannot be written.
    """
    try:
        write_atomically(path, default_config_text(locations).encode(), CONFIG_FILE_MODE)
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename) in path.parents:
            raise ConfigError(f"{path}: cannot create {exc.filename}: {exc.strerror}") from None
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None


def show_config(table: ConfTable) -> str:
    """What ``ixiond -s`` prints: every loaded ``name = value`` (§5.1).

    The file's own path comes first as ``config_file``, where nessusd put it;
    ``nessus-adduser`` looked for it there.
    """
    lines = [] if table.path is None else [f"config_file = {table.path}"]
    lines.extend(str(entry) for entry in table)
    return "".join(f"{line}\n" for line in lines)
