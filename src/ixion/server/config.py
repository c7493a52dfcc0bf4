"""``ixiond.conf``: the file, the table it loads into, and what derives from it (spec §5).

The file keeps nessusd.conf's format, so a nessusd.conf works unchanged (§5.1): ``name =
value`` lines, ``#`` comment lines, spaces around name and value trimmed, no quoting, lines
without ``=`` ignored, duplicates kept in order with the first one effective. Loading gives a
:class:`ConfTable`: an immutable list of entries in file order with their line numbers, because
PREFERENCES sends the entries in file order, duplicates included (§3.3, §10.24), and an error
must name its line. What each key means comes from :mod:`ixion.server.options`.

* :func:`resolve_settings`: the daemon's typed :class:`~ixion.server.options.Settings`. A value
  that does not parse stops the daemon with a :class:`ConfigError` naming its line (a bad
  ``max_hosts`` must not become 15 behind the admin's back), except where nessusd warned and
  went on (an unknown ``ssl_version`` means TLSv1). Values that parse but may surprise
  (``safe_checks = Yes`` reads as no), keys ixiond does not know and later duplicates give
  :class:`ConfigWarning` s.
* :meth:`ConfTable.with_client_preferences` and :func:`resolve_connection_settings`: one
  connection's copy, changed by its client's PREFERENCES (§5.3). A client never stops
  anything: PREFERENCES_ERRORS stays empty (§10.10), a bad value falls back to the daemon's,
  with a warning for the log.
* :func:`server_preferences`: the body of the PREFERENCES message sent after login.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ixion.ntp.limits import MiB

from .files import write_atomically
from .options import (
    MAX_CHECKS_CAP,
    OPTIONS,
    OPTIONS_BY_NAME,
    Kind,
    OnBadValue,
    Option,
    Settings,
    is_client_settable,
    is_private,
    is_sent_to_clients,
    parse_integer,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

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

#: ``kb_max_age = 0`` means one hour (§5.2).
_KB_MAX_AGE_OF_ZERO: Final = 3600

_HEADER: Final = """\
# ixiond.conf: configuration of ixiond, the ixion daemon, in the format of nessusd.conf.
#
# One "name = value" a line; lines starting with '#' are comments; no quoting.
# A key left out takes its built-in value, which is not always the one written here.
# The paths commented out below follow state_dir until they are set.
# Clients are sent most keys (not paths, TLS files, secrets or admin_user) and may
# change the scan settings for their own connection.
"""


class ConfigError(Exception):
    """The configuration cannot be used: ixiond does not start."""


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """Something odd but usable: ixiond logs it and goes on."""

    #: ``path:line``, ``line N`` without a path, or ``client``.
    where: str
    message: str
    #: The line in the file, when the warning is about one.
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``name = value``."""

    name: str
    value: str
    #: Line number in the file; None for an entry a client sent.
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


@dataclass(frozen=True, slots=True)
class ConfTable:
    """The daemon's preferences in file order, or one connection's copy of them."""

    entries: tuple[Entry, ...] = ()
    #: The file the entries came from, for messages and ``ixiond -s``.
    path: Path | None = None
    _first: dict[str, int] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first: dict[str, int] = {}
        for index, entry in enumerate(self.entries):
            first.setdefault(entry.name, index)
        object.__setattr__(self, "_first", first)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self._first

    def entry(self, name: str) -> Entry | None:
        """The effective entry: the first one with this name (§5.1)."""
        index = self._first.get(name)
        return None if index is None else self.entries[index]

    def get(self, name: str) -> str | None:
        """The effective value, or None when the name is absent."""
        entry = self.entry(name)
        return None if entry is None else entry.value

    def items(self) -> tuple[tuple[str, str], ...]:
        """Every entry as ``(name, value)``, in order, duplicates included."""
        return tuple((entry.name, entry.value) for entry in self.entries)

    def where(self, entry: Entry) -> str:
        """Where an entry came from, for messages."""
        if entry.line is None:
            return "client"
        return f"line {entry.line}" if self.path is None else f"{self.path}:{entry.line}"

    def warning(self, entry: Entry, message: str) -> ConfigWarning:
        return ConfigWarning(self.where(entry), message, entry.line)

    def with_client_preferences(self, items: Iterable[tuple[str, str]]) -> ConfTable:
        """A copy changed by a client's PREFERENCES (§5.3); this table is left as it was.

        Names clients may not set are dropped silently. Any other name replaces the effective
        entry in place, or is appended; a later line for the same name replaces the earlier.
        """
        entries, first = list(self.entries), dict(self._first)
        for name, value in items:
            if not is_client_settable(name):
                continue
            if name in first:
                entries[first[name]] = Entry(name, value)
            else:
                first[name] = len(entries)
                entries.append(Entry(name, value))
        return ConfTable(tuple(entries), path=self.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Locations:
    """Where ixiond looks when not told: its conf file and its state directory."""

    config_file: Path
    state_dir: Path

    @classmethod
    def for_user(
        cls, *, uid: int, home: Path, environ: Mapping[str, str] | None = None
    ) -> Locations:
        """The defaults for a user: system paths for root, XDG base directories otherwise.

        root gets ``/etc/ixion/ixiond.conf`` and ``/var/lib/ixion``; anyone else
        ``$XDG_CONFIG_HOME/ixion/ixiond.conf`` and ``$XDG_STATE_HOME/ixion``, which are
        ``~/.config/ixion/ixiond.conf`` and ``~/.local/state/ixion`` when those are unset.
        """
        if uid == 0:
            return cls(config_file=Path("/etc/ixion/ixiond.conf"), state_dir=Path("/var/lib/ixion"))
        environ = environ or {}
        config_home = _xdg_dir(environ, "XDG_CONFIG_HOME", home / ".config")
        state_home = _xdg_dir(environ, "XDG_STATE_HOME", home / ".local" / "state")
        return cls(
            config_file=config_home / "ixion" / "ixiond.conf", state_dir=state_home / "ixion"
        )


def default_locations() -> Locations:
    """Where ixiond's tools look when not given ``-c``: system paths for root, XDG otherwise."""
    return Locations.for_user(uid=os.getuid(), home=Path.home(), environ=os.environ)


def _xdg_dir(environ: Mapping[str, str], variable: str, fallback: Path) -> Path:
    # The XDG base directory spec says to ignore a relative or empty value.
    value = environ.get(variable, "")
    return Path(value) if value.startswith("/") else fallback


# --- the file ------------------------------------------------------------------------------


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


# --- typed settings ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolved:
    """Settings, and what was odd about the values they came from."""

    settings: Settings
    warnings: tuple[ConfigWarning, ...] = ()


def resolve_settings(table: ConfTable, locations: Locations) -> Resolved:
    """The daemon's settings from its table.

    Raises:
        ConfigError: a value that does not parse, for a key whose bad values are fatal.
    """
    warnings = [*_duplicate_warnings(table), *_unknown_name_warnings(table)]
    values: dict[str, Any] = {}
    for declared in OPTIONS:
        # state_dir is declared first: the defaults after it follow its effective value.
        state_dir = values.get("state_dir", locations.state_dir)
        entry = table.entry(declared.name)
        if entry is None:
            values[declared.name] = declared.parse(None, state_dir)
            continue
        try:
            values[declared.name] = declared.parse(entry.value, state_dir)
        except ValueError as exc:
            if declared.on_bad_value is OnBadValue.FATAL:
                raise ConfigError(f"{table.where(entry)}: {entry}: {exc}") from None
            values[declared.name] = declared.parse(None, state_dir)
            warnings.append(table.warning(entry, f"{entry}: {exc}; using {declared.if_absent}"))
        warnings.extend(_ambiguity_warnings(table, declared, entry))
    max_checks = table.entry("max_checks")
    if max_checks is not None and values["max_checks"] > MAX_CHECKS_CAP:
        warnings.append(table.warning(max_checks, f"max_checks capped at {MAX_CHECKS_CAP}"))
    warnings.sort(key=lambda warning: warning.line or 0)
    return Resolved(_settings(values), tuple(warnings))


def resolve_connection_settings(table: ConfTable, daemon: Settings, *, user: str) -> Resolved:
    """One connection's settings: ``daemon`` changed by what its client sent in ``table``.

    A client value that does not parse is replaced by the daemon's, with a warning. Unless
    ``user`` is ``admin_user``, ``max_hosts`` and ``max_checks`` cannot exceed the daemon's
    (§5.2, §10.34); 0 or less gives the daemon's value to everyone.
    """
    warnings: list[ConfigWarning] = []
    values: dict[str, Any] = {}
    for declared in OPTIONS:
        values[declared.name] = daemon_value = getattr(daemon, declared.name)
        entry = table.entry(declared.name)
        if entry is None or entry.line is not None:
            continue  # not sent by the client: already resolved for the daemon
        try:
            values[declared.name] = declared.parse(entry.value, daemon.state_dir)
        except ValueError as exc:
            warnings.append(table.warning(entry, f"{entry}: {exc}; using {daemon_value}"))
        warnings.extend(_ambiguity_warnings(table, declared, entry))
    if user != daemon.admin_user:
        values["max_hosts"] = min(values["max_hosts"], daemon.max_hosts)
        values["max_checks"] = min(values["max_checks"], daemon.max_checks)
    return Resolved(_settings(values), tuple(warnings))


def _settings(values: dict[str, Any]) -> Settings:
    """Settings after the rules that hold whoever set the values (§5.2, §10.34)."""
    values["max_checks"] = min(values["max_checks"], MAX_CHECKS_CAP)
    if values["kb_max_age"] == 0:
        values["kb_max_age"] = _KB_MAX_AGE_OF_ZERO
    return Settings(**values)


def _ambiguity_warnings(table: ConfTable, declared: Option, entry: Entry) -> list[ConfigWarning]:
    """``safe_checks = Yes`` reads as no: nessusd compared exactly (§3.10, §10.6)."""
    if declared.kind is not Kind.BOOL or not declared.truth.is_ambiguous(entry.value):
        return []
    reading = "yes" if declared.truth.holds(entry.value) else "no"
    return [table.warning(entry, f"{entry} reads as {reading} ({declared.truth.value} is yes)")]


def _duplicate_warnings(table: ConfTable) -> Iterator[ConfigWarning]:
    for entry in table:
        first = table.entry(entry.name)
        if first is not None and first is not entry:
            message = f"{entry.name} is already set on line {first.line}; the first value is used"
            yield table.warning(entry, message)


def _unknown_name_warnings(table: ConfTable) -> Iterator[ConfigWarning]:
    for entry in table:
        if entry.name in OPTIONS_BY_NAME or is_private(entry.name):
            continue
        if table.entry(entry.name) is entry:
            message = f"{entry.name} is not an ixiond key; kept for plugins to read"
            yield table.warning(entry, message)


def plugin_timeout(table: ConfTable, plugin_id: str) -> int | None:
    """The client's ``timeout.<id>`` in seconds (§3.10); -1 is no limit.

    None when the client sent none, 0, or something that is not an integer.
    """
    text = table.get(f"timeout.{plugin_id}")
    try:
        seconds = None if text is None else parse_integer(text)
    except ValueError:
        return None
    return seconds or None


# --- PREFERENCES ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """What the ``server_info_*`` preferences advertise, in nessusd's order (§3.3)."""

    nessusd_version: str
    libnasl_version: str
    libnessus_version: str
    thread_manager: str
    os: str
    os_version: str

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (f"server_info_{field.name}", getattr(self, field.name))
            for field in dataclasses.fields(self)
        )


def server_preferences(
    table: ConfTable,
    *,
    server_info: ServerInfo,
    plugin_preferences: Iterable[tuple[str, str]] = (),
    save_sessions: bool | None = None,
    detached_sessions: bool | None = None,
) -> tuple[tuple[str, str], ...]:
    """The items of the PREFERENCES message the server sends after login (§3.3).

    The table's entries in file order, duplicates included, without those never sent; then
    the plugins' preferences; then ``ntp_save_sessions`` and ``ntp_detached_sessions`` when
    given (the reference client asks for SESSIONS_LIST when the first is ``yes``, §10.32, so
    advertise them only once they work); then ``server_info_*``.
    """
    items = [(entry.name, entry.value) for entry in table if is_sent_to_clients(entry.name)]
    items.extend(plugin_preferences)
    for name, flag in (
        ("ntp_save_sessions", save_sessions),
        ("ntp_detached_sessions", detached_sessions),
    ):
        if flag is not None:
            items.append((name, "yes" if flag else "no"))
    items.extend(server_info.items())
    return tuple(items)
