"""Typed :class:`~ixion.server.options.Settings` from a conf table (spec §5.2, §5.3).

* :func:`resolve_settings`: the daemon's settings. A value that does not parse stops the
  daemon with a :class:`~ixion.server.conftable.ConfigError` naming its line (a bad
  ``max_hosts`` must not become 15 behind the admin's back), except where nessusd warned and
  went on (an unknown ``ssl_version`` means TLSv1). Values that parse but may surprise
  (``safe_checks = Yes`` reads as no), keys ixiond does not know and later duplicates give
  :class:`~ixion.server.conftable.ConfigWarning` s.
* :func:`resolve_connection_settings`: one connection's settings, from the table its client's
  PREFERENCES changed (§5.3). A client never stops anything: PREFERENCES_ERRORS stays empty
  (§10.10), a bad value falls back to the daemon's, with a warning for the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ixion.server.conftable import ConfigError, ConfigWarning
from ixion.server.option_types import Kind, OnBadValue, parse_integer
from ixion.server.options import MAX_CHECKS_CAP, OPTIONS, OPTIONS_BY_NAME, Settings
from ixion.server.visibility import is_private

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ixion.server.conftable import ConfTable, Entry
    from ixion.server.locations import Locations
    from ixion.server.option_types import Option

__all__ = ["Resolved", "plugin_timeout", "resolve_connection_settings", "resolve_settings"]

#: ``kb_max_age = 0`` means one hour (§5.2).
_KB_MAX_AGE_OF_ZERO: Final = 3600


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
