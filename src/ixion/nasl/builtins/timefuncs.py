"""Time and randomness built-ins (nasl.md §6.2 T1), through the run's clock and generator.

Both are read through ``rt.observe``, so a fork replay sees the values the earlier run saw
(:mod:`ixion.nasl.runtime.forking`), and both are injectable, so tests are reproducible.
``localtime()`` returns C's ``struct tm`` fields with C's numbering (Sunday is weekday 0,
months and days of the year count from 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.runtime.values import NaslArray, Value, wrap32

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]


def _rand(call: Call) -> Value:
    rng = call.rt.services.random
    return call.rt.observe(lambda: rng.getrandbits(31))  # lrand48: 0 .. 2**31 - 1


def _now(call: Call) -> float:
    clock = call.rt.services.clock
    return call.rt.observe(clock.time)


def _sleep(call: Call) -> Value:
    call.rt.sleep(max(0, wrap32(call.integer(0, 0))))
    return None


def _usleep(call: Call) -> Value:
    call.rt.sleep(max(0, wrap32(call.integer(0, 0))) / 1_000_000)
    return None


def _unixtime(call: Call) -> Value:
    return int(_now(call))


def _gettimeofday(call: Call) -> Value:
    now = _now(call)
    seconds = int(now)
    return b"%u.%06u" % (seconds & 0xFFFFFFFF, int((now - seconds) * 1_000_000))


def _localtime(call: Call) -> Value:
    when = call.integer(0, 0) or int(_now(call))
    utc = call.integer("utc", 0) != 0
    try:
        tm = call.rt.services.clock.calendar(when, utc=utc)
    except (OverflowError, OSError, ValueError) as err:
        call.warn(f"localtime({when}, utc: {int(utc)}): {err}")
        return None
    fields = (
        (b"sec", tm.tm_sec),
        (b"min", tm.tm_min),
        (b"hour", tm.tm_hour),
        (b"mday", tm.tm_mday),
        (b"mon", tm.tm_mon),
        (b"year", tm.tm_year),
        (b"wday", (tm.tm_wday + 1) % 7),  # Python counts from Monday, C from Sunday
        (b"yday", tm.tm_yday),
        (b"isdst", tm.tm_isdst),
    )
    return NaslArray.keyed(fields)


def _mktime(call: Call) -> Value:
    year = wrap32(call.integer("year", 0))
    fields = (
        year if year >= 1900 else year + 1900,
        wrap32(call.integer("mon", 1)),
        wrap32(call.integer("mday", 0)),
        wrap32(call.integer("hour", 0)),
        wrap32(call.integer("min", 0)),
        wrap32(call.integer("sec", 0)),
        0,
        0,
        wrap32(call.integer("isdst", -1)),
    )
    try:
        return call.rt.services.clock.mktime(fields)
    except (OverflowError, OSError, ValueError) as err:
        call.warn(f"mktime: invalid value ({err})")
        return None


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "rand": _rand,
    "sleep": _sleep,
    "usleep": _usleep,
    "unixtime": _unixtime,
    "gettimeofday": _gettimeofday,
    "localtime": _localtime,
    "mktime": _mktime,
}
