"""Time as NASL scripts see it, behind a protocol so that tests need not wait.

This is the only module of the package that touches the ``time`` module (the project bans
it elsewhere, ``pyproject.toml``): the deadline, ``sleep()``, ``unixtime()`` and the
calendar built-ins all go through a :class:`Clock`.
"""

from __future__ import annotations

import time
from time import struct_time
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock"]


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary start; for deadlines."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def calendar(self, when: int, *, utc: bool) -> struct_time:
        """``localtime_r``/``gmtime_r`` of ``when``."""
        ...

    def mktime(self, fields: tuple[int, int, int, int, int, int, int, int, int]) -> int:
        """C ``mktime``: local broken-down time (normalised) to epoch seconds.

        Raises:
            OverflowError, ValueError: when C's ``mktime`` would return -1.
        """
        ...


class SystemClock:
    """The machine's clocks and time zone."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def calendar(self, when: int, *, utc: bool) -> struct_time:
        return time.gmtime(when) if utc else time.localtime(when)

    def mktime(self, fields: tuple[int, int, int, int, int, int, int, int, int]) -> int:
        return int(time.mktime(fields))


SYSTEM_CLOCK = SystemClock()
