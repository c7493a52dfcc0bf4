"""``get_kb_item`` forking, by re-running the script with a recorded choice vector.

In C, ``get_kb_item`` on a key with several values forks the process once per value; each
child continues the script with its value while the parent waits, then exits (nasl.md
§2.6, ``plug_get_key``). Forks are cumulative, so two forking calls give the cartesian
product, run depth first: (a1, b1), (a1, b2), (a2, b1), (a2, b2).

ixion re-runs the script instead. The first run takes value 0 at every fork point and
records how many values each had. Each later run *replays* a prefix of choices, the last
one advanced, and takes 0 beyond it. While a run is still before its last replayed fork
point, it is repeating what an earlier run already did, so:

* side effects (``display`` output, KB writes, reports, warnings) are suppressed;
* whatever the earlier run read from the world (KB values, random numbers, the clock) is
  served from the journal that run kept, so the replay takes the same path even though
  the KB has changed since (an earlier branch may have written to it).

What still differs from a real fork: anything done before the fork point that is neither
journaled nor suppressed happens again. Today that is only CPU time (``sleep()`` is
skipped too); once network built-ins exist, a connection opened and used before the fork
point is opened and used again by every run (C's children inherit the parent's socket).

Each run has its own step budget, as each C child is its own process; the deadline covers
all runs together, ``max_runs`` caps their number, and an error in one run ends the script
(:mod:`ixion.nasl.interpreter`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Place", "Replay", "ReplayDiverged"]

T = TypeVar("T")


class ReplayDiverged(Exception):
    """A re-run did not follow the recorded path (a bug: every input is journaled)."""


#: Where a fork point is: file, line, column (for the error when there are too many).
Place = tuple[str, int, int]


@dataclass(slots=True)
class _Fork:
    count: int
    choice: int
    place: Place


class Replay:
    """The fork points of one script execution and the journal shared by its runs."""

    __slots__ = ("_fork", "_journal", "_path", "_read", "_upto", "runs")

    def __init__(self) -> None:
        self._path: list[_Fork] = []
        self._journal: list[object] = []
        #: How many fork points the current run replays before it is live.
        self._upto = 0
        self._fork = 0
        self._read = 0
        #: Runs started so far.
        self.runs = 0

    def start_run(self) -> None:
        self._fork = 0
        self._read = 0
        self.runs += 1

    @property
    def replaying(self) -> bool:
        """True while this run repeats an earlier one: effects must be suppressed."""
        return self._fork < self._upto

    def record(self, read: Callable[[], T]) -> T:
        """``read()`` live (and journaled), or its journaled result while replaying."""
        if self.replaying:
            if self._read >= len(self._journal):
                raise ReplayDiverged("a replayed run read more than the recorded one")
            value = self._journal[self._read]
            self._read += 1
            return cast("T", value)
        value = read()
        self._journal.append(value)
        self._read += 1
        return value

    def choose(self, count: int, place: Place) -> int:
        """The value index to continue with at a fork point that has ``count`` values."""
        index = self._fork
        self._fork += 1
        if index < self._upto:
            fork = self._path[index]
            if fork.count != count:
                raise ReplayDiverged("a replayed fork point has a different value count")
            if self._fork == self._upto:
                del self._journal[self._read :]  # live from here: later entries are stale
            return fork.choice
        self._path.append(_Fork(count, 0, place))
        return 0

    def advance(self) -> Place | None:
        """Prepare the next combination, depth first: the fork point it continues at.

        None when every combination has run.
        """
        for index in range(len(self._path) - 1, -1, -1):
            fork = self._path[index]
            if fork.choice + 1 < fork.count:
                fork.choice += 1
                del self._path[index + 1 :]
                self._upto = index + 1
                return fork.place
        return None
