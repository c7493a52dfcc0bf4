"""ISO time built-ins: ``isotime_now``, ``isotime_is_valid``, ``isotime_scan``,
``isotime_print``, ``isotime_add`` (C's ``nasl_isotime.c``).

An ISO time is the 15 characters ``yyyymmddThhmmss``, in UTC; certificates' dates come as
such from ``cert_query`` and the feed's expiry checks compare them as strings with
``isotime_now()`` and ``isotime_add(now, days: n)``. What OpenVAS does, and ixion too:

* the human form ``yyyy-mm-dd[ hh[:mm[:ss]]]`` is accepted by ``isotime_is_valid`` and
  ``isotime_scan`` when given as a ``"..."`` string; *data* counts only in its first 15 bytes;
* ``isotime_print`` answers ``"[none]"`` (not NULL) for what is not an ISO time, so that a
  report reads "valid until: [none] UTC";
* ``isotime_add`` adds years, then days, then seconds; none may be negative, nothing before
  the Gregorian calendar (1582-10-15) is handled, and a year past 9999 gives NULL. A day past
  the month's end rolls over (``20240229`` plus one year is ``20250301``).
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Final

from ixion.nasl.runtime.values import NaslString, Value, c_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]

_ISOTIME: Final = re.compile(rb"\d{8}T\d{6}")
#: The standard form, then the end, white space, a colon or a comma (C's ``isotime_p``).
_STANDARD: Final = re.compile(rb"\d{8}T\d{6}(?:$|[\s:,])")
#: The human form; each part may end the string, or a comma, and a second space ends it.
_HUMAN: Final = re.compile(
    rb"(\d{4})-(\d\d)-(\d\d)"
    rb"(?:$|,|[ \t](?:[ \t]|(\d\d)(?:$|,|:(\d\d)(?:$|,|:(\d\d)(?:$|,|[ \t])))))"
)
_FIRST_DAY: Final = datetime.date(1582, 10, 15)
_MAX_SECONDS: Final = 0x7FFFFFFF - 61


def _human(text: bytes) -> bytes | None:
    """``text`` in the human form, as C converts it: the parts given, after the ``T`` (so
    ``2024-05-01 12`` gives ``20240501T12``, as OpenVAS answers)."""
    match = _HUMAN.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    if not 1 <= int(month) <= 12 or not 1 <= int(day) <= 31:
        return None
    limits = ((hour, 23), (minute, 59), (second, 60))
    if any(part is not None and int(part) > limit for part, limit in limits):
        return None
    return year + month + day + b"T" + (hour or b"") + (minute or b"") + (second or b"")


def _scanned(call: Call) -> bytes | None:
    """The argument as a standard ISO time, when it is one in either form."""
    value = call[0]
    if not isinstance(value, bytes):
        return None
    if not isinstance(value, NaslString):  # data: its first 15 bytes, standard form only
        if len(value) < 15:
            return None
        value = value[:15]
    text = c_string(value)
    if _STANDARD.match(text):
        return text[:15]
    return _human(text)


def _isotime_now(call: Call) -> Value:
    clock = call.rt.services.clock
    now = call.rt.observe(clock.time)
    return NaslString(b"%04d%02d%02dT%02d%02d%02d" % clock.calendar(int(now), utc=True)[:6])


def _isotime_print(call: Call) -> Value:
    text = call.text(0) or b""
    if not _ISOTIME.match(text[:15]):
        return NaslString(b"[none]")
    return NaslString(b"%s-%s-%s %s:%s:%s" % (text[:4], text[4:6], text[6:8], *_clock(text)))


def _clock(text: bytes) -> tuple[bytes, bytes, bytes]:
    return text[9:11], text[11:13], text[13:15]


def _day(year: int, month: int, day: int) -> datetime.date:
    """The date ``day - 1`` days after the first of the month (C's Julian-day arithmetic
    lets a day run past the month's end). Raises ValueError out of range."""
    return datetime.date.fromordinal(datetime.date(year, month, 1).toordinal() + day - 1)


def _add(stamp: bytes, years: int, days: int, seconds: int) -> bytes | None:
    year, month, day = int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8])
    hour, minute, second = (int(part) for part in _clock(stamp))
    if years < 0 or years >= 9999 or days < 0 or days >= 9999 * 366:
        return None
    if seconds < 0 or seconds >= _MAX_SECONDS:
        return None
    try:
        if (year, month, day) < (_FIRST_DAY.year, _FIRST_DAY.month, _FIRST_DAY.day):
            return None
        date = _day(year + years, month, day) + datetime.timedelta(days=days)
        if seconds:  # only then does C carry the clock's overflow into the date
            second += seconds
            minute += second // 60
            hour += minute // 60
            date += datetime.timedelta(days=hour // 24)
            hour, minute, second = hour % 24, minute % 60, second % 60
    except (ValueError, OverflowError):
        return None
    return b"%04d%02d%02dT%02d%02d%02d" % (date.year, date.month, date.day, hour, minute, second)


def _isotime_add(call: Call) -> Value:
    text = call.text(0)
    if text is None or not _ISOTIME.match(text[:15]):
        return None
    stamp = _add(
        text[:15], call.integer("years", 0), call.integer("days", 0), call.integer("seconds", 0)
    )
    return None if stamp is None else NaslString(stamp)


def _isotime_scan(call: Call) -> Value:
    stamp = _scanned(call)
    return None if stamp is None else NaslString(stamp)


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "isotime_now": _isotime_now,
    "isotime_is_valid": lambda call: int(_scanned(call) is not None),
    "isotime_scan": _isotime_scan,
    "isotime_print": _isotime_print,
    "isotime_add": _isotime_add,
}
