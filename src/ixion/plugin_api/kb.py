"""The knowledge base of one host for one scan (spec §6.5).

A map from ``/``-separated names to lists of values, each an int or a string. Plugins talk to
each other only through it: the port scanner writes ``Ports/tcp/22``, service detection reads
those and writes ``Services/ssh``, the SSH checks require ``Services/ssh``.

It lives in the process that scans the host, and only there; plugins of that host share it
directly, since they run as tasks of one event loop. The daemon never holds a host's KB.
"""

from __future__ import annotations

import fnmatch
import threading
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "FIND_SERVICE_DONE",
    "MAX_KB_VALUE",
    "KbValue",
    "KbWrite",
    "KnowledgeBase",
    "kb_bytes",
    "kb_text",
]

KbValue: TypeAlias = int | str
#: A change made to a KB: ``("add" | "replace" | "remove", name, value)`` (``""`` for remove).
KbWrite: TypeAlias = tuple[str, str, KbValue]

#: Longest string value kept; a banner from a hostile service is cut to this.
MAX_KB_VALUE: Final = 64 * 1024
#: Set by ixion's service detection once it has looked at every open port of the host.
FIND_SERVICE_DONE: Final = "ixion/find_service/done"


def kb_text(data: bytes) -> str:
    """Bytes received, as a KB string that gives them back unchanged (:func:`kb_bytes`).

    UTF-8 where valid, each other byte a lone surrogate: the convention the NTP layer uses
    on the wire, so a banner a NASL script stored reaches the client byte for byte.
    """
    return data.decode("utf-8", "surrogateescape")


def kb_bytes(value: str) -> bytes:
    """The bytes a KB string stands for (the inverse of :func:`kb_text`)."""
    return value.encode("utf-8", "surrogateescape")


def _checked(name: str, value: KbValue) -> KbValue:
    if not name or "\n" in name:
        raise ValueError(f"bad KB item name {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"KB values are int or str, not {type(value).__name__}")
    if isinstance(value, str) and len(value) > MAX_KB_VALUE:
        return value[:MAX_KB_VALUE]
    return value


class KnowledgeBase:
    """``name -> [values]`` with nessusd's rules for adding and replacing.

    NASL scripts run in threads of their host's worker and share its KB with each other and
    with the Python plugins on the event loop. Copying a dict is not one step under the GIL
    (an allocation may start the garbage collector, whose finalizers let another thread
    run), and a script iterating ``get_kb_list`` while another added an item ended with
    "dictionary changed size during iteration": every change and every copy holds a lock.
    """

    def __init__(self) -> None:
        #: name -> its values, in the order added (a dict: membership is one lookup, so a
        #: plugin reporting 100,000 findings does not compare each with all the others).
        self._items: dict[str, dict[KbValue, None]] = {}
        self._on_write: Callable[[KbWrite], None] | None = None
        self._lock = threading.Lock()

    def journaled(self, on_write: Callable[[KbWrite], None]) -> KnowledgeBase:
        """The same KB, seen through a view that tells ``on_write`` of every change made
        through it: what one plugin wrote, kept with its session and its saved KB."""
        view = KnowledgeBase()
        view._items = self._items
        view._lock = self._lock
        view._on_write = on_write
        return view

    def add(self, name: str, value: KbValue) -> None:
        """Add a value (``set_kb_item``); an identical pair is not added twice."""
        value = _checked(name, value)
        with self._lock:
            values = self._items.setdefault(name, {})
            if value in values:
                return
            values[value] = None
        if self._on_write is not None:
            self._on_write(("add", name, value))

    def replace(self, name: str, value: KbValue) -> None:
        """Make ``value`` the only value of ``name`` (``replace_kb_item``)."""
        value = _checked(name, value)
        with self._lock:
            self._items[name] = {value: None}
        if self._on_write is not None:
            self._on_write(("replace", name, value))

    def remove(self, name: str) -> None:
        with self._lock:
            removed = self._items.pop(name, None)
        if removed is not None and self._on_write is not None:
            self._on_write(("remove", name, ""))

    def apply(self, write: KbWrite) -> None:
        """Make a change recorded by :meth:`journaled` again (a restored session)."""
        op, name, value = write
        if op == "add":
            self.add(name, value)
        elif op == "replace":
            self.replace(name, value)
        elif op == "remove":
            self.remove(name)
        else:
            raise ValueError(f"unknown KB change {op!r}")

    def get(self, name: str) -> KbValue | None:
        """The first value of ``name``, or None."""
        with self._lock:
            values = self._items.get(name)
            return next(iter(values)) if values else None

    def values(self, name: str) -> tuple[KbValue, ...]:
        with self._lock:
            return tuple(self._items.get(name, ()))

    def matching(self, pattern: str) -> Iterator[tuple[str, KbValue]]:
        """Every ``(name, value)`` whose name matches the glob ``pattern`` (``get_kb_list``)."""
        # A snapshot, taken under the lock: NASL scripts add items from their own threads.
        with self._lock:
            items = list(self._items.items())
        for name, values in items:
            if fnmatch.fnmatchcase(name, pattern):
                with self._lock:
                    snapshot = tuple(values)
                for value in snapshot:
                    yield name, value

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def is_positive(self, name: str) -> bool:
        """The key holds an integer above 0, or a string that reads as one (``Ports/tcp/22``)."""
        value = self.get(name)
        if isinstance(value, str):
            value = int(value) if value.strip().isdigit() else 0
        return value is not None and value > 0
