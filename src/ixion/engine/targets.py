"""The TARGET string of a scan (spec §7.4) as blocks of hosts, iterated lazily.

Rules of target handling (this module, :mod:`~ixion.engine.target_blocks` and
:mod:`~ixion.engine.target_items`):

* It is pure: no DNS. A host given by name is yielded unresolved (``address=None``); the
  engine resolves it with asyncio and skips it silently when that fails (§7.4).
* It is lazy: a block is an interval or an octet pattern, never a list of hosts. A /8 or an
  IPv6 /64 costs a few integers, :meth:`TargetSpec.count` is arithmetic, and hosts are made
  one at a time as the scan asks for them.
* Everything a user can mistype raises :class:`TargetError`, naming the item and where it
  starts in the string.

This module splits the string into items and walks the blocks they parse into: in order,
optionally interleaved, with repeats skipped. A walker that judges blocks rather than hosts
(the server's rules, :mod:`ixion.server.target_walk`) takes the parts: :func:`parse_blocks`,
:func:`hosts_in` for the index spans it keeps of a block, :class:`SeenBlocks` for repeats.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.target_blocks import Address, AddressRange, Block, OctetRanges, Target
from ixion.engine.target_items import parse_item

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "SeenBlocks",
    "TargetError",
    "TargetSpec",
    "TooManyTargets",
    "hosts_in",
    "parse_blocks",
    "parse_targets",
]

#: Enough of an item to recognise it in an error message; a LONG_ATTACK item can be huge.
_QUOTE_LIMIT: Final = 60
#: Items are separated by `,` or `;` (§7.4); line breaks too, for lists pasted one per line.
_ITEM: Final = re.compile(r"[^,;\r\n]+")
#: An octet pattern of at most this many runs of consecutive addresses is remembered by
#: :class:`SeenBlocks` as those runs; a larger one (which holds more hosts than that) as itself.
_PATTERN_RUNS_AS_SPANS: Final = 256


class TargetError(ValueError):
    """A target string that does not parse. The message is for the user who typed it."""

    def __init__(
        self, reason: str, *, item: str | None = None, index: int = 0, position: int = 0
    ) -> None:
        self.reason = reason
        #: The offending item, trimmed; None when the string as a whole is wrong.
        self.item = item
        #: 1-based: the item's rank in the list, and the character where it starts.
        self.index = index
        self.position = position
        super().__init__(self._message())

    def _message(self) -> str:
        if self.item is None:
            return self.reason
        item = self.item
        if len(item) > _QUOTE_LIMIT:
            item = item[: _QUOTE_LIMIT - 3] + "..."
        where = f"item {self.index}, at character {self.position}"
        return f"bad target {item!r} ({where}): {self.reason}"


class TooManyTargets(TargetError):
    """The targets add up to more hosts than one scan may name."""

    def __init__(self, *, count: int, limit: int, item: str, index: int, position: int) -> None:
        #: The hosts counted up to the item that went over, and the limit.
        self.count = count
        self.limit = limit
        reason = f"the targets make {count} hosts up to here, more than the {limit} allowed"
        super().__init__(reason, item=item, index=index, position=position)


def _interleaved(count: int, spans: Iterable[tuple[int, int]]) -> Iterator[int]:
    """The indices of ``spans`` in the order of ``range(count)`` cut into about sqrt(count)
    slices, visited one index per slice in turn.

    The ``slice_network_addresses`` order (§5.2): consecutive hosts fall in different
    subnets, so no single router or firewall takes the whole scan at once. Index ``i`` comes
    at ``(i % size, i)`` for a slice size ``size``; each span is walked in that order and the
    spans are merged, so leaving out spans costs nothing. Lazy, like the plain order.
    """
    size = 1 << (((count - 1).bit_length() + 1) // 2)
    walks = [_interleaved_span(start, stop, size) for start, stop in spans]
    return heapq.merge(*walks, key=lambda index: (index % size, index))


def _interleaved_span(start: int, stop: int, size: int) -> Iterator[int]:
    if stop - start >= size:
        for offset in range(size):
            yield from range(start + (offset - start) % size, stop, size)
        return
    # Fewer indices than slices: one per slice, so the order is a rotation of the span.
    turn = start + (-start) % size
    yield from range(turn, stop)
    yield from range(start, min(turn, stop))


def hosts_in(
    block: AddressRange | OctetRanges, spans: Iterable[tuple[int, int]], *, interleave: bool
) -> Iterator[Target]:
    """The hosts of ``block`` whose index is in one of ``spans`` (``[start, stop)`` pairs,
    sorted and apart), in the block's order: plain, or interleaved over the whole block."""
    if interleave:
        indices: Iterator[int] = _interleaved(block.count(), spans)
    else:
        indices = (index for start, stop in spans for index in range(start, stop))
    for index in indices:
        address = block.address_at(index)
        yield Target(name=str(address), address=address)


def _in_spans(spans: list[tuple[int, int]], value: int) -> bool:
    index = bisect.bisect_right(spans, value, key=lambda span: span[0]) - 1
    return index >= 0 and value <= spans[index][1]


def _add_span(spans: list[tuple[int, int]], low: int, high: int) -> None:
    """Insert ``[low, high]`` into sorted disjoint spans, merging those it meets or touches."""
    start = end = bisect.bisect_left(spans, low - 1, key=lambda span: span[1])
    while end < len(spans) and spans[end][0] <= high + 1:
        low, high = min(low, spans[end][0]), max(high, spans[end][1])
        end += 1
    spans[start:end] = [(low, high)]


class SeenBlocks:
    """The blocks a walk has gone through, to skip the hosts they held.

    It keeps blocks, not hosts: memory grows with the items the user typed, and a lookup is
    a hash, a bisection of the merged ranges and one test per earlier large octet pattern.
    A small pattern (``192.0.2.1-1`` is one) is kept as its runs of addresses, so that a list
    of many such items does not make each lookup a walk through all of them.
    """

    def __init__(self) -> None:
        self._names: set[tuple[str, int | None]] = set()
        self._addresses: set[Address] = set()
        self._spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
        self._patterns: list[OctetRanges] = []

    def __contains__(self, target: Target) -> bool:
        address = target.address
        if address is None:
            return (target.name, target.prefix) in self._names
        return (
            address in self._addresses
            or _in_spans(self._spans[address.version], int(address))
            or any(address in pattern for pattern in self._patterns)
        )

    def add(self, block: Block) -> None:
        if isinstance(block, OctetRanges):
            runs = _runs(block)
            if runs is None:
                self._patterns.append(block)
            for first, last in runs or ():
                _add_span(self._spans[4], first, last)
        elif isinstance(block, AddressRange):
            _add_span(self._spans[block.first.version], int(block.first), int(block.last))
        elif block.address is None:
            self._names.add((block.name, block.prefix))
        else:
            self._addresses.add(block.address)


def _runs(pattern: OctetRanges) -> list[tuple[int, int]] | None:
    """The pattern as runs of consecutive addresses, or None if it has too many of them.

    The octets after the last one that is not 0-255 are whole, so each choice of the octets
    before that one gives one run.
    """
    octets = pattern.octets
    cut = max((index for index, octet in enumerate(octets) if octet != (0, 255)), default=0)
    choices = [range(low, high + 1) for low, high in octets[:cut]]
    if math.prod(map(len, choices)) > _PATTERN_RUNS_AS_SPANS:
        return None
    width = 1 << (8 * (3 - cut))  # the addresses that share one value of the octet at cut
    low, high = octets[cut]
    runs = []
    for head in itertools.product(*choices):
        base = int.from_bytes(bytes(head) + bytes(4 - cut), "big")
        runs.append((base + low * width, base + (high + 1) * width - 1))
    return runs


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A parsed TARGET string: its blocks, in the order the user wrote them."""

    blocks: tuple[Block, ...]

    def count(self) -> int:
        """How many hosts the targets stand for, repeats included, without iterating.

        It is the sum of ``target.count()`` over ``hosts(unique=False)``: the number of
        targets yielded, where a network given by name counts its hosts.
        """
        return sum(block.count() for block in self.blocks)

    def __iter__(self) -> Iterator[Target]:
        return self.hosts()

    def hosts(self, *, unique: bool = True, interleave: bool = False) -> Iterator[Target]:
        """The targets, lazily, block after block.

        ``unique`` skips an address an earlier block already yielded (the first listing
        wins, with its name). To stay lazy it compares blocks, not a set of every host, at
        a price: names are compared by spelling only, so two names for one host, or a name
        and its address, both come out (the engine, which resolves them, can drop the
        second), and a ``hostname/nn`` network meets no check until the engine expands it.

        ``interleave`` is ``slice_network_addresses`` (§5.2): inside each range, hosts come
        in the order of :func:`_interleaved` rather than ascending.
        """
        seen = SeenBlocks() if unique else None
        for block in self.blocks:
            if isinstance(block, Target):
                targets: Iterator[Target] = iter((block,))
            else:
                targets = hosts_in(block, ((0, block.count()),), interleave=interleave)
            if seen is None:
                yield from targets
                continue
            yield from (target for target in targets if target not in seen)
            seen.add(block)


def parse_targets(text: str, *, max_hosts: int | None = None) -> TargetSpec:
    """Parse a TARGET string (§7.4).

    Raises:
        TargetError: an item does not parse, the list is empty, or the targets add up to
            more than ``max_hosts`` hosts (no limit when None; :class:`TooManyTargets`).
    """
    return TargetSpec(tuple(parse_blocks(text, max_hosts=max_hosts)))


def parse_blocks(text: str, *, max_hosts: int | None = None) -> Iterator[Block]:
    """The blocks of a TARGET string one by one, for a caller that parses a long list in
    turns; raises as :func:`parse_targets` does, when it comes to the item at fault.

    The count is checked as each item is read, so a list of a million items that is over
    ``max_hosts`` is refused at the item that goes over, not after the last one.
    """
    total = index = 0
    for index, (position, item) in enumerate(_items(text), start=1):
        try:
            block = parse_item(item)
        except ValueError as exc:
            raise TargetError(str(exc), item=item, index=index, position=position) from None
        total += block.count()
        if max_hosts is not None and total > max_hosts:
            raise TooManyTargets(
                count=total, limit=max_hosts, item=item, index=index, position=position
            )
        yield block
    if index == 0:
        raise TargetError("no target given")


def _items(text: str) -> Iterator[tuple[int, str]]:
    """Each non-empty item, trimmed, with the 1-based character where it starts."""
    for match in _ITEM.finditer(text):
        raw = match.group()
        if item := raw.strip():
            yield match.start() + len(raw) - len(raw.lstrip()) + 1, item
