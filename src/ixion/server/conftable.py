"""The table an ``ixiond.conf`` loads into, and the errors and warnings about it (spec §5.1).

A :class:`ConfTable` is an immutable list of entries in file order with their line numbers,
not a dict: PREFERENCES sends the entries in file order, duplicates included (§3.3, §10.24),
the first of several entries with one name is the effective one (§5.1), and a message must
name the line a value came from. One connection gets its own copy, changed by what its
client sends (§5.3), while the daemon's stays as it was.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ixion.server.visibility import is_client_settable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = ["ConfTable", "ConfigError", "ConfigWarning", "Entry"]


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

    def client_items(self) -> tuple[tuple[str, str], ...]:
        """The entries a client set, as ``(name, value)`` (kept with its session)."""
        return tuple((entry.name, entry.value) for entry in self.entries if entry.line is None)

    def as_mapping(self) -> dict[str, str]:
        """Every name with its effective value (the first entry of a name wins)."""
        return {entry.name: entry.value for entry in reversed(self.entries)}

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
