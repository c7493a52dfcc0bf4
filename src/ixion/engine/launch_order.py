"""Which plugin of a phase goes next: plan order, once its dependencies are done.

A host's phase may hold the whole feed (135,000 plugins, most of them skipped at once for a
missing KB item). Looking for the next plugin by walking the waiting list, and removing it
from that list, costs a pass over every waiting plugin per launch: measured on the feed, a
worker spent six minutes of CPU choosing plugins before the checks it had chosen could run,
and their deadlines passed meanwhile. Here each plugin counts its unfinished dependencies;
one that reaches zero enters a heap keyed by its place in the plan, so choosing, finishing
and setting aside a plugin cost a logarithm, not a pass.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

    from ixion.engine.schedule import Planned

__all__ = ["LaunchOrder"]


class LaunchOrder:
    """The waiting plugins of one phase.

    ``done`` names the plugins finished before the phase began (earlier phases, a restored
    session's). A dependency outside the phase that is not done never becomes done here; the
    plugin then waits for :meth:`force_next`, as a cycle does.
    """

    def __init__(self, planned: Sequence[Planned], done: Collection[str]) -> None:
        self._plans = list(planned)
        self._missing = [0] * len(self._plans)
        self._dependents: dict[str, list[int]] = {}
        self._waiting = set(range(len(self._plans)))
        #: Plan positions before this one wait no more (for :meth:`force_next`).
        self._cursor = 0
        self._ready: list[int] = []
        self._aside: list[int] = []
        for position, plugin in enumerate(self._plans):
            missing = {dep for dep in plugin.after if dep not in done}
            self._missing[position] = len(missing)
            for dep in missing:
                self._dependents.setdefault(dep, []).append(position)
            if not missing:
                self._ready.append(position)

    def __len__(self) -> int:
        """How many plugins still wait (ready or not)."""
        return len(self._waiting)

    def next_ready(self, can_start: Callable[[Planned], bool]) -> Planned | None:
        """The first ready plugin in plan order that ``can_start`` admits, taken out of the
        waiting ones; those it refuses are set aside until :meth:`retry_set_aside`."""
        while self._ready:
            position = heapq.heappop(self._ready)
            if position not in self._waiting:
                continue
            planned = self._plans[position]
            if not can_start(planned):
                self._aside.append(position)
                continue
            self._waiting.discard(position)
            return planned
        return None

    def retry_set_aside(self) -> None:
        """Give the plugins :meth:`next_ready` set aside another chance (something ended)."""
        for position in self._aside:
            heapq.heappush(self._ready, position)
        self._aside.clear()

    def finished(self, filename: str) -> None:
        """``filename`` is done: the plugins waiting for it alone become ready."""
        for position in self._dependents.pop(filename, ()):
            self._missing[position] -= 1
            if self._missing[position] == 0 and position in self._waiting:
                heapq.heappush(self._ready, position)

    def force_next(self) -> Planned | None:
        """The first waiting plugin in plan order, ready or not (cycles, or dependencies that
        cannot finish in this phase, with nothing running); None when none waits."""
        while self._cursor < len(self._plans):
            position = self._cursor
            self._cursor += 1
            if position in self._waiting:
                self._waiting.discard(position)
                return self._plans[position]
        return None
