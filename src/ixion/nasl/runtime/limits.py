"""What one script may consume: steps, call depth, sizes, memory and a deadline.

Uploaded plugins are untrusted, and the C interpreter has none of these: a NASL loop that
never ends, or a recursion without a base case, would hold a scan slot until the engine's
watchdog killed the whole host process. Each limit ends only the script, with a
:class:`~ixion.nasl.syntax.errors.NaslRuntimeError` that names the limit and the place.

The deadline is checked between steps, so one thing it cannot cut short is a single
regular-expression search, which Python's ``re`` runs to its end: a pattern that
backtracks exponentially still needs the engine's watchdog.

Memory is the one resource no per-value cap bounds: ``a[i] = s + i`` in a loop keeps every
8 MB string, each within ``max_string``, in an array within ``max_array``, until the host
runs out. So ``max_memory`` budgets the whole process instead, measured where it matters:
:func:`resident_bytes` reads the process's resident set from ``/proc/self/statm``, and the
run (:mod:`~ixion.nasl.runtime.run`) compares it with the figure taken when the script started.
Measuring is cheaper and more complete than accounting: it sees every allocation,
including those of built-ins written later, the KB's and Python's own, at about 1.5 µs a
reading, where summing value sizes would cost on every store and still miss most of them.
"""

from __future__ import annotations

import ctypes
import os
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Limits", "MemoryWatched", "resident_bytes", "watch_memory"]

#: Where Linux shows the process's memory in pages: size, resident, shared, ...
_STATM: Final = "/proc/self/statm"
#: Seconds between two readings of the watcher thread: about what a run may allocate
#: unseen (plus a thread switch, ``sys.getswitchinterval()``, 5 ms, and one step).
_WATCH_PERIOD: Final = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Caps for one script run, forks included (nasl.md §6.1; STYLE.md practice 14)."""

    #: Statements executed plus calls made, per run (each fork is a run). Real plugins
    #: stay well under a million; ten million is some tens of seconds of Python.
    max_steps: int = 10_000_000
    #: Nested user-function calls. C has no cap but its stack; real plugins nest a few
    #: levels, and recursive helpers in the include library stay far below this.
    max_call_depth: int = 256
    #: Longest string or data value, in bytes. Banners and HTTP bodies plugins keep are
    #: far smaller; this stops ``crap(length: 1e12)`` and runaway concatenation.
    max_string: int = 16 * 1024 * 1024
    #: Most elements one array may hold, its highest index included.
    max_array: int = 1_000_000
    #: Wall-clock seconds for the whole script, every fork included; nessusd's default
    #: ``plugins_timeout`` is 320. None: no deadline.
    timeout: float | None = 320.0
    #: Runs one script may fork into (``get_kb_item`` with several values, nasl.md §2.6).
    max_runs: int = 4096
    #: Sockets one run may hold open at once. Plugins use one or two; the cap keeps an
    #: untrusted script from tying up the target's connection slots.
    max_sockets: int = 32
    #: Bytes the process may grow by while the script runs, every fork included: the
    #: resident set above the one measured when the run began (:mod:`~ixion.nasl.runtime.run`
    #: says when it is looked at). 512 MiB is some thirty times what a plugin needs at
    #: most (a few 16 MiB values, the KB it writes) and still lets a host with a few GB
    #: run a handful of scans at once. Scripts running in threads of one process share one
    #: resident set: when it passes a script's budget, the script stopped is the one that
    #: made the most new values (:func:`is_culprit`), so a neighbour that allocates nothing
    #: runs on; growth no script counted (array copies) stops every script over budget.
    #: The process as a whole cannot grow past a running script's budget unnoticed.
    #: None: no budget (also where the resident set cannot be read).
    max_memory: int | None = 512 * 1024 * 1024


class _Statm:
    """``/proc/self/statm``, opened once: a reading is then one ``pread``, no open/close.

    ``pread`` has no shared file offset, so threads may read at once. After ``fork`` the
    inherited descriptor still shows the *parent* (``/proc/self`` was resolved when it was
    opened), so the child drops it and opens its own on the next reading.
    """

    def __init__(self, path: str = _STATM) -> None:
        self.path = path
        self.fd: int | None = None
        self.missing = False
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._opening = threading.Lock()

    def read(self) -> int | None:
        fd = self.fd
        if fd is None:
            fd = self._open()
            if fd is None:
                return None
        fields = os.pread(fd, 128, 0).split()
        return int(fields[1]) * self.page

    def _open(self) -> int | None:
        with self._opening:  # two threads' first readings must not open two descriptors
            if self.fd is None and not self.missing:
                try:
                    self.fd = os.open(self.path, os.O_RDONLY)  # not inherited (PEP 446)
                except OSError:
                    self.missing = True  # not Linux: no budget rather than a wrong one
            return self.fd

    def forget(self) -> None:
        """In a forked child: the descriptor is the parent's view; open a new one later."""
        if self.fd is not None:
            os.close(self.fd)
        self.fd = None
        self._opening = threading.Lock()  # a thread of the parent may have held it


_STATM_READER: Final = _Statm()


def resident_bytes() -> int | None:
    """The process's resident memory in bytes now, or None where it cannot be read."""
    return _STATM_READER.read()


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc: freed memory is whatever that allocator makes of it
    return trim


_MALLOC_TRIM: Final = _find_malloc_trim()


def resident_after_trim() -> int | None:
    """The resident set once the allocator gave its free memory back to the system.

    glibc keeps memory freed by a finished script (up to its budget) and reuses it without
    growing: honest for the process, but the resident set then stays over the ceiling of
    a neighbour that started before, which would be blamed for it. Called only when a run
    is over its ceiling, so its cost (a walk over the heap) is rare.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
    return resident_bytes()


class MemoryWatched(Protocol):
    """A run the watcher thread looks after (:class:`~ixion.nasl.runtime.run.Runtime`)."""

    #: Bytes of new values the run counted so far.
    allocated: int

    def memory_alarm(self, resident: int) -> None:
        """Called from the watcher thread with the resident set; must not raise."""
        ...


class _Watch:
    """The watcher thread: reads the resident set every 10 ms while watched runs exist.

    Checks inside the run see the strings it makes, but not everything: an array copy, a
    built-in's own buffers. The thread sees the sum and tells each run
    (:meth:`MemoryWatched.memory_alarm`); it never raises into a run. One thread serves
    the whole process; it starts with the first run and waits, without waking, while
    there is none. Runs are held weakly: a finished run drops out once it is freed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._pause = threading.Event()  # never set: waiting on it is a sleep
        self._runs: weakref.WeakSet[MemoryWatched] = weakref.WeakSet()
        self._thread: threading.Thread | None = None

    def add(self, run: MemoryWatched) -> None:
        with self._lock:
            self._runs.add(run)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="ixion-nasl-memory", daemon=True
                )
                self._thread.start()
            self._work.notify()

    def discard(self, run: MemoryWatched) -> None:
        with self._lock:
            self._runs.discard(run)

    def is_culprit(self, run: MemoryWatched) -> bool:
        """Whether ``run`` made at least as many new values as any other live run.

        Scripts in threads of one process share one resident set: without this, a script
        that allocates nothing would be stopped for a neighbour's hoarding. Growth no run
        counted (array copies) blames every run over its budget alike.
        """
        with self._lock:
            others = [other.allocated for other in self._runs if other is not run]
        return run.allocated >= max(others, default=0)

    def _watch(self) -> None:
        while True:
            # No run may stay referenced from this frame while it sleeps or waits: a
            # finished run's values (up to its budget) would stay alive until the next.
            self._alarm(self._live_runs())
            self._pause.wait(_WATCH_PERIOD)

    def _live_runs(self) -> list[MemoryWatched]:
        """The runs watched now; waits, without waking, while there is none."""
        with self._lock:
            while not self._runs:
                self._work.wait()
            return list(self._runs)

    @staticmethod
    def _alarm(runs: list[MemoryWatched]) -> None:
        resident = resident_bytes()
        if resident is not None:
            for run in runs:
                run.memory_alarm(resident)


_WATCH = _Watch()


def _after_fork() -> None:
    """In a forked child: the watcher thread did not survive the fork (and its lock may be
    held), and the statm descriptor still shows the parent."""
    global _WATCH
    _WATCH = _Watch()
    _STATM_READER.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def is_culprit(run: MemoryWatched) -> bool:
    """See :meth:`_Watch.is_culprit`."""
    return _WATCH.is_culprit(run)


def stop_watching(run: MemoryWatched) -> None:
    """``run`` ended: it no longer shares the blame (a finished run may live on, in a cycle,
    until the collector frees it)."""
    _WATCH.discard(run)


def watch_memory(run: MemoryWatched) -> None:
    """Have the watcher thread call ``run.memory_alarm`` every 10 ms while ``run`` lives."""
    _WATCH.add(run)
