"""Login throttling (issue 15): failed logins slow down the next ones, per address and per name.

Each client address and each user name has a count of failed logins. Up to
``login_failures_allowed`` failures an attempt is checked at once; after that, every new attempt
on that key is given a *turn*: a moment at least ``2 ** (failures - allowed)`` seconds (capped at
``login_max_delay``) after the previous turn of that key, or after now. The client waits for its
turn on the event loop, holding no password-check worker, and only then is its password
checked. Turns space the attempts of a key out in time, so opening many connections at once
buys an attacker nothing over trying one after the other. An attempt whose turn would come
more than ``login_max_delay`` from now is refused at once, unchecked: no client waits longer
than that, and the turns booked on a key never reach further ahead.

An attempt must wait for the turns of both its keys. A success clears the counts of its
address and of its name. Keys do not depend on whether the name exists, so the throttle
treats unknown names and real ones alike and tells nothing about either.

Memory is bounded: a key is forgotten :data:`FORGET_AFTER` seconds after its last failure (or
its last turn, if later), and each table keeps at most :data:`MAX_KEYS` keys, dropping the one
whose last failure is the oldest. Flushing a key out takes :data:`MAX_KEYS` other failed
logins, each a password check: about 25 minutes of all the logins the daemon can check (some
11 a second), and far longer from one address, which its own count slows down. Names and
addresses have their own tables, so a flood of names does not push addresses out. IPv6
addresses are counted per /64, the block a single host is normally given.

The module is pure (no clock of its own, no asyncio): the caller passes ``now``, a monotonic
time in seconds, so the tests drive it without waiting.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

__all__ = ["FORGET_AFTER", "MAX_KEYS", "Admission", "LoginThrottle", "address_key"]

log = logging.getLogger(__name__)

#: Seconds without a failure after which a key is forgotten (unless a turn is still ahead).
FORGET_AFTER: Final = 3600.0
#: Keys kept per table (addresses, names): about 260 bytes each, under 9 MB for both.
MAX_KEYS: Final = 16384
#: The first wait of a throttled key, seconds; each later failure doubles it.
FIRST_DELAY: Final = 1.0
#: Doublings beyond this change nothing (2**40 s is beyond any sane ``login_max_delay``) and
#: keep the float in range whatever the count.
_MAX_DOUBLINGS: Final = 40
#: Characters of a user name the name table keys on.
_NAME_KEY_LENGTH: Final = 32
#: IPv6 addresses are counted per network of this many bits.
_IPV6_PREFIX: Final = 64


class _Kind(enum.Enum):
    ADDRESS = "address"
    NAME = "user name"


@dataclass(slots=True)
class _Record:
    failures: int = 0
    #: When the last turn given to this key comes; 0.0: none given.
    turn: float = 0.0
    #: When the last failure was recorded.
    last_failure: float = 0.0

    def forgotten(self, now: float) -> bool:
        return now - max(self.last_failure, self.turn) > FORGET_AFTER


@dataclass(frozen=True, slots=True)
class Admission:
    """What the throttle decided about one login attempt."""

    #: Seconds to wait before checking the password; 0.0: check it now.
    wait: float
    #: False: the wait would exceed ``login_max_delay``; refuse without checking.
    allowed: bool = True


def address_key(address: str) -> str:
    """The key an address is counted under: itself, its IPv4 form, or its IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, _IPV6_PREFIX), strict=False))
    return str(ip)


def _name_key(name: str) -> str:
    """The key a name is counted under. Login names are under 32 bytes (nessusd's limit), so
    only names that cannot exist are cut, and a long one takes no more room than a real one."""
    return name[:_NAME_KEY_LENGTH]


class _Table:
    """Failure records of one kind of key, oldest failure first."""

    def __init__(self, kind: _Kind, max_keys: int) -> None:
        self._kind = kind
        self._max_keys = max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: str, now: float) -> _Record | None:
        record = self._records.get(key)
        if record is not None and record.forgotten(now):
            del self._records[key]
            return None
        return record

    def failed(self, key: str, now: float, allowed: int) -> None:
        record = self.get(key, now) or _Record()
        record.failures += 1
        record.last_failure = now
        self._records[key] = record
        self._records.move_to_end(key)
        if record.failures == allowed:
            log.warning(
                "login throttled for %s %r after %d failed attempts",
                self._kind.value,
                key,
                allowed,
            )
        self._prune(now)

    def clear(self, key: str) -> None:
        self._records.pop(key, None)

    def _prune(self, now: float) -> None:
        while self._records:
            key, oldest = next(iter(self._records.items()))
            if len(self._records) <= self._max_keys and not oldest.forgotten(now):
                return
            del self._records[key]


class LoginThrottle:
    """The failure counts of one daemon; every method runs on the event loop, in O(1)."""

    def __init__(self, *, failures_allowed: int, max_delay: float, max_keys: int = MAX_KEYS):
        self._allowed = failures_allowed
        self._max_delay = max_delay
        self._addresses = _Table(_Kind.ADDRESS, max_keys)
        self._names = _Table(_Kind.NAME, max_keys)

    def __len__(self) -> int:
        """Keys remembered, addresses and names together."""
        return len(self._addresses) + len(self._names)

    def admit(self, address: str, name: str, now: float) -> Admission:
        """Decide when an attempt from ``address`` as ``name`` may be checked; book that turn."""
        booked: list[tuple[_Record, float]] = []
        keys = ((self._addresses, address_key(address)), (self._names, _name_key(name)))
        for table, key in keys:
            record = table.get(key, now)
            if record is None or record.failures < self._allowed:
                continue
            doublings = min(record.failures - self._allowed, _MAX_DOUBLINGS)
            delay = min(FIRST_DELAY * 2.0**doublings, self._max_delay)
            turn = max(now, record.turn) + delay
            if turn - now > self._max_delay:
                return Admission(wait=0.0, allowed=False)
            booked.append((record, turn))
        for record, turn in booked:
            record.turn = turn
        return Admission(wait=max((turn - now for _, turn in booked), default=0.0))

    def failed(self, address: str, name: str, now: float) -> None:
        """A password was checked and was wrong (or the name unknown)."""
        self._addresses.failed(address_key(address), now, self._allowed)
        self._names.failed(_name_key(name), now, self._allowed)

    def succeeded(self, address: str, name: str) -> None:
        """The right password: the address and the name start afresh."""
        self._addresses.clear(address_key(address))
        self._names.clear(_name_key(name))
