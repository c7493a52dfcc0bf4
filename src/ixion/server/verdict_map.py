"""Target rules as verdicts over stretches of addresses, so that a range is judged at once.

:meth:`RuleSet.allows <ixion.server.rules.RuleSet.allows>` judges one address: the first rule
that matches it decides, else the default. Along the addresses of a family that verdict can
only change where a rule's network begins or ends, so a whole family is a short sorted list of
stretches, each allowed or refused throughout: at most three boundaries per rule (a negated
rule matches on both sides of its network). A :class:`VerdictMap` is that list for IPv4 and
for IPv6. Judging a range is then a bisection and a walk over the stretches it meets: a
refused ``0.0.0.0/0`` or ``::/0`` costs what a refused single address costs, where judging it
address by address took hours or for ever (issue 15).

The map is made by one sweep over the boundaries in order, keeping the rules that match there
in a heap by rank, so the first of them is at hand: O(r log r) for r rules, once per rule set.

``allows`` judges an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) as the IPv4 address, so the
IPv6 map carries the IPv4 map over ``::ffff:0:0/96``, whatever the IPv6 rules say there.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from operator import itemgetter
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = ["Judged", "Stretch", "VerdictMap", "allowed_by_both"]

Address: TypeAlias = IPv4Address | IPv6Address
Network: TypeAlias = IPv4Network | IPv6Network
#: ``(start, allowed)``: the verdict from ``start`` up to the next one's start.
Verdicts: TypeAlias = list[tuple[int, bool]]
#: What the map needs of a rule: its network, whether it is negated, whether it accepts.
Judged: TypeAlias = tuple[Network, bool, bool]

#: Where the IPv4-mapped addresses ``::ffff:0.0.0.0/96`` begin, and their number.
_MAPPED_START: Final = 0xFFFF << 32
_IPV4_SIZE: Final = 1 << 32


@dataclass(frozen=True, slots=True, kw_only=True)
class Stretch:
    """The addresses ``first`` to ``last`` (one family), all allowed or all refused."""

    first: Address
    last: Address
    allowed: bool

    def count(self) -> int:
        return int(self.last) - int(self.first) + 1


@dataclass(frozen=True, slots=True)
class _Family:
    """One family's verdicts: ``allowed[i]`` holds from ``starts[i]`` up to the next start."""

    starts: tuple[int, ...]
    allowed: tuple[bool, ...]
    size: int
    make: Callable[[int], Address]

    @classmethod
    def of(cls, verdicts: Sequence[tuple[int, bool]], version: int) -> _Family:
        starts, allowed = zip(*verdicts, strict=True)
        if version == 4:
            return cls(starts=starts, allowed=allowed, size=1 << 32, make=IPv4Address)
        return cls(starts=starts, allowed=allowed, size=1 << 128, make=IPv6Address)

    def classify(self, low: int, high: int) -> tuple[Stretch, ...]:
        index = bisect.bisect_right(self.starts, low) - 1
        stretches = []
        while index < len(self.starts) and self.starts[index] <= high:
            end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else self.size - 1
            stretches.append(
                Stretch(
                    first=self.make(max(low, self.starts[index])),
                    last=self.make(min(high, end)),
                    allowed=self.allowed[index],
                )
            )
            index += 1
        return tuple(stretches)


class VerdictMap:
    """The verdict of a list of rules and a default over every address; see the module notes."""

    def __init__(self, rules: Sequence[Judged], *, default: bool) -> None:
        ipv4 = _sweep(rules, 4, default)
        ipv6 = _with_mapped(_sweep(rules, 6, default), ipv4)
        self._families = {4: _Family.of(ipv4, 4), 6: _Family.of(ipv6, 6)}

    def classify(self, first: Address, last: Address) -> tuple[Stretch, ...]:
        """``first`` to ``last`` cut where the verdict changes, in order; neighbours differ.

        Raises:
            ValueError: the addresses are of two families, or ``last`` comes before ``first``.
        """
        if first.version != last.version or int(last) < int(first):
            raise ValueError(f"{first} to {last} is not a range of addresses")
        return self._families[first.version].classify(int(first), int(last))


def allowed_by_both(first: Sequence[Stretch], second: Sequence[Stretch]) -> tuple[Stretch, ...]:
    """Two classifications of one range as one: allowed where both allow."""
    if not first or not second:
        return ()
    version, end = first[0].first.version, int(first[-1].last)
    first_starts = [int(stretch.first) for stretch in first]
    second_starts = [int(stretch.first) for stretch in second]

    def allowed(stretches: Sequence[Stretch], starts: list[int], point: int) -> bool:
        return stretches[bisect.bisect_right(starts, point) - 1].allowed

    verdicts = _merged(
        (point, allowed(first, first_starts, point) and allowed(second, second_starts, point))
        for point in sorted({*first_starts, *second_starts})
    )
    return _Family.of(verdicts, version).classify(verdicts[0][0], end)


def _sweep(rules: Sequence[Judged], version: int, default: bool) -> Verdicts:
    """``(start, allowed)`` over one family, from address 0, neighbours differing."""
    size = 1 << (32 if version == 4 else 128)
    # A rule's "matches" flips at each point listed; a point twice is no flip.
    flips: list[tuple[int, int]] = []
    for rank, (network, negated, _) in enumerate(rules):
        if network.version != version:
            continue
        low, end = int(network.network_address), int(network.broadcast_address) + 1
        points = (0, low, end) if negated else (low, end)
        flips.extend((point, rank) for point in points if point < size)
    flips.sort()
    matching = [False] * len(rules)
    first_matching: list[int] = []  # a heap of ranks; those no longer matching are skipped
    verdicts = [(0, default)]
    for point, group in itertools.groupby(flips, key=itemgetter(0)):
        for _, rank in group:
            matching[rank] = not matching[rank]
            if matching[rank]:
                heapq.heappush(first_matching, rank)
        while first_matching and not matching[first_matching[0]]:
            heapq.heappop(first_matching)
        allowed = rules[first_matching[0]][2] if first_matching else default
        if point == 0:
            verdicts[0] = (0, allowed)
        elif allowed != verdicts[-1][1]:
            verdicts.append((point, allowed))
    return verdicts


def _with_mapped(ipv6: Verdicts, ipv4: Verdicts) -> Verdicts:
    """The IPv6 verdicts with ``::ffff:0:0/96`` judged as the IPv4 addresses they carry."""
    end = _MAPPED_START + _IPV4_SIZE
    after = ipv6[bisect.bisect_right(ipv6, end, key=itemgetter(0)) - 1][1]
    return _merged(
        [
            *((start, allowed) for start, allowed in ipv6 if start < _MAPPED_START),
            *((_MAPPED_START + start, allowed) for start, allowed in ipv4),
            (end, after),
            *((start, allowed) for start, allowed in ipv6 if start > end),
        ]
    )


def _merged(verdicts: Iterable[tuple[int, bool]]) -> Verdicts:
    """The verdicts without a start whose verdict is the one before it."""
    merged: Verdicts = []
    for start, allowed in verdicts:
        if not merged or merged[-1][1] != allowed:
            merged.append((start, allowed))
    return merged
