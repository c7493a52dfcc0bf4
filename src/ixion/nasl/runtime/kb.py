"""The knowledge base as NASL sees it: names mapped to lists of ints and byte strings.

The interpreter talks to this protocol only; the engine adapts its per-host KB to it, and
:class:`MemoryKB` serves the tests and command-line runs. Values are ``int`` or ``bytes``
(NASL data); names are ``str``, decoded from the script's bytes as Latin-1 so that every
byte survives the round trip.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = ["KbValue", "KnowledgeBase", "MemoryKB"]

KbValue: TypeAlias = "int | bytes"


class KnowledgeBase(Protocol):
    """What the KB built-ins need (nasl.md §2.6)."""

    def get_values(self, name: str) -> Sequence[KbValue]:
        """Every value of ``name``, oldest first; empty if there is none."""
        ...

    def matching(self, pattern: str) -> Iterable[tuple[str, KbValue]]:
        """``(name, value)`` for every value whose name matches the ``*`` glob."""
        ...

    def add(self, name: str, value: KbValue) -> None:
        """Add a value (``set_kb_item``); a value already present is not duplicated."""
        ...

    def replace(self, name: str, value: KbValue) -> None:
        """Make ``value`` the only value of ``name`` (``replace_kb_item``)."""
        ...


class MemoryKB:
    """A :class:`KnowledgeBase` in a dict, with OpenVAS' ordering rules.

    As in OpenVAS' Redis KB (``LREM`` then ``RPUSH``), adding a value that is already
    present moves it to the end rather than keeping two copies.
    """

    def __init__(self, items: Iterable[tuple[str, KbValue]] = ()) -> None:
        self._items: dict[str, list[KbValue]] = {}
        for name, value in items:
            self.add(name, value)

    def get_values(self, name: str) -> Sequence[KbValue]:
        return tuple(self._items.get(name, ()))

    def matching(self, pattern: str) -> Iterator[tuple[str, KbValue]]:
        for name, values in self._items.items():
            if fnmatch.fnmatchcase(name, pattern):
                for value in values:
                    yield name, value

    def add(self, name: str, value: KbValue) -> None:
        values = self._items.setdefault(name, [])
        if value in values:
            values.remove(value)
        values.append(value)

    def replace(self, name: str, value: KbValue) -> None:
        self._items[name] = [value]
