"""The password-check pool: ``login_workers`` threads, first come first served, bounded.

A login's password check is one scrypt of 32 MiB (:mod:`ixion.server.password_hashes`): about
0.1 s of CPU, and it must never run on the event loop. It used to go to asyncio's default
executor, which runs up to six at once on two cores and shares its threads with every other
``to_thread`` call, so fifty clients logging in together all finished late (issue 15: p50 8 s,
p99 15 s). Here the checks have threads of their own, as many as ``login_workers`` (by default
the two cores), and a strict FIFO: :class:`~concurrent.futures.ThreadPoolExecutor` takes work
from one queue in order, so the n-th client in line waits for the n - 1 before it and no more.
hashlib's scrypt releases the GIL, so the event loop keeps serving everyone else meanwhile.

The line is bounded: at most :data:`WAITING_PER_WORKER` checks per worker may wait. A client
that arrives when the line is full is refused at once (:class:`PoolBusy`) rather than queued
without end. With two workers that is 64 waiting, 4 to 6 s of work at the rate below: well
inside the 20 s a client gives a login line (nessusd's TIMEOUT), and room for the 50 clients
at once that issue 15 asks to serve. A client that leaves while waiting gives its place back:
its check is cancelled before it starts.

The rate, measured on the development machine (2 cores, AMD EPYC, shared with other jobs) with
the default cost (N = 2**15, r = 8, p = 1): one scrypt takes 0.10-0.13 s on one thread; two
threads do 12 to 16 a second (they share the memory bandwidth, so a third adds little).
``bench/login_load.py`` logs in 11 to 17 clients a second with the two default workers (50 at
once: p50 1.7-2.2 s, p99 3.1-4.3 s), and the daemon spends 100-140 ms of CPU per login, nearly
all of it the scrypt. Other processes on the cores lower the rate in proportion (4-5 logins a
second while other benches ran).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["WAITING_PER_WORKER", "PasswordChecks", "PoolBusy"]

_T = TypeVar("_T")

#: Checks that may wait for a free worker, per worker (see the module docstring).
WAITING_PER_WORKER: Final = 32


class PoolBusy(Exception):
    """The line of password checks is full; the login is refused unchecked."""


class PasswordChecks:
    """Runs password checks on ``workers`` threads of their own, in arrival order."""

    def __init__(self, workers: int, *, waiting: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"a password-check pool needs a worker, not {workers}")
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._capacity = workers + (WAITING_PER_WORKER * workers if waiting is None else waiting)
        self._lock = threading.Lock()
        #: Checks submitted and not yet finished or cancelled: running plus waiting.
        self._pending = 0

    @property
    def pending(self) -> int:
        """Checks running or waiting now."""
        with self._lock:
            return self._pending

    async def run(self, check: Callable[[], _T]) -> _T:
        """``check()`` on a worker, after the checks that came before it.

        Raises :class:`PoolBusy` at once when the line is full. Cancelling the caller cancels a
        check that has not started yet; one that has started runs to its end.
        """
        with self._lock:
            if self._pending >= self._capacity:
                raise PoolBusy(f"{self._pending} password checks running or waiting")
            self._pending += 1
        try:
            future = self._executor.submit(check)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: object = None) -> None:
        # A done callback: on a worker thread, or in the thread that cancelled the check.
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        """Drop the checks not yet started; let the threads end once idle."""
        self._executor.shutdown(wait=False, cancel_futures=True)
