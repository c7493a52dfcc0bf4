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
optionally interleaved, with repeats skipped.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.target_blocks import Address, AddressRange, Block, OctetRanges, Target
from ixion.engine.target_items import parse_item

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "TargetError",
    "TargetSpec",
    "parse_targets",
]

#: Enough of an item to recognise it in an error message; a LONG_ATTACK item can be huge.
_QUOTE_LIMIT: Final = 60
#: Items are separated by `,` or `;` (§7.4); line breaks too, for lists pasted one per line.
_ITEM: Final = re.compile(r"[^,;\r\n]+")


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


def _interleaved(count: int) -> Iterator[int]:
    """``range(count)`` cut into about sqrt(count) slices, visited one index per slice in turn.

    The ``slice_network_addresses`` order (§5.2): consecutive hosts fall in different
    subnets, so no single router or firewall takes the whole scan at once. Lazy, like the
    plain order.
    """
    size = 1 << (((count - 1).bit_length() + 1) // 2)
    for offset in range(size):
        yield from range(offset, count, size)


def _block_hosts(block: AddressRange | OctetRanges, *, interleave: bool) -> Iterator[Target]:
    count = block.count()
    for index in _interleaved(count) if interleave else range(count):
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


class _Seen:
    """The blocks ``hosts(unique=True)`` has gone through, to skip the hosts they held.

    It keeps blocks, not hosts: memory grows with the items the user typed, and a lookup is
    a hash, a bisection of the merged ranges and one test per earlier octet pattern.
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
            self._patterns.append(block)
        elif isinstance(block, AddressRange):
            _add_span(self._spans[block.first.version], int(block.first), int(block.last))
        elif block.address is None:
            self._names.add((block.name, block.prefix))
        else:
            self._addresses.add(block.address)


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
        seen = _Seen() if unique else None
        for block in self.blocks:
            if isinstance(block, Target):
                targets: Iterator[Target] = iter((block,))
            else:
                targets = _block_hosts(block, interleave=interleave)
            if seen is None:
                yield from targets
                continue
            yield from (target for target in targets if target not in seen)
            seen.add(block)


def parse_targets(text: str, *, max_hosts: int | None = None) -> TargetSpec:
    """Parse a TARGET string (§7.4).

    Raises:
        TargetError: an item does not parse, the list is empty, or the targets add up to
            more than ``max_hosts`` hosts (no limit when None).
    """
    blocks: list[Block] = []
    total = 0
    for index, (position, item) in enumerate(_items(text), start=1):
        try:
            block = parse_item(item)
        except ValueError as exc:
            raise TargetError(str(exc), item=item, index=index, position=position) from None
        total += block.count()
        if max_hosts is not None and total > max_hosts:
            reason = f"this makes {total} hosts, more than the {max_hosts} allowed"
            raise TargetError(reason, item=item, index=index, position=position)
        blocks.append(block)
    if not blocks:
        raise TargetError("no target given")
    return TargetSpec(tuple(blocks))


def _items(text: str) -> Iterator[tuple[int, str]]:
    """Each non-empty item, trimmed, with the 1-based character where it starts."""
    for match in _ITEM.finditer(text):
        raw = match.group()
        if item := raw.strip():
            yield match.start() + len(raw) - len(raw.lstrip()) + 1, item
