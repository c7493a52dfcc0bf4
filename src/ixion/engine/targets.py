"""The TARGET string of a scan (spec §7.4) as blocks of hosts, iterated lazily.

Rules of this module:

* It is pure: no DNS. A host given by name is yielded unresolved (``address=None``); the
  engine resolves it with asyncio and skips it silently when that fails (§7.4).
* It is lazy: a block is an interval or an octet pattern, never a list of hosts. A /8 or an
  IPv6 /64 costs a few integers, :meth:`TargetSpec.count` is arithmetic, and hosts are made
  one at a time as the scan asks for them.
* Everything a user can mistype raises :class:`TargetError`, naming the item and where it
  starts in the string.

CIDR (spec §10.33 allows either reading): ``a.b.c.d/nn`` is the hosts of the network that
contains ``a.b.c.d``, as any modern tool reads it, not nessusd's "from the given address up
to the broadcast". IPv4 skips the network and broadcast addresses up to /30 and keeps both
for /31 (RFC 3021 point-to-point links) and /32. IPv6 has no broadcast, so an IPv6 prefix is
every address, the subnet-router anycast address included: a router answers it, and a
router is a host worth scanning.
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "Address",
    "AddressRange",
    "Block",
    "OctetRanges",
    "Target",
    "TargetError",
    "TargetSpec",
    "network_hosts",
    "parse_targets",
]

Address: TypeAlias = IPv4Address | IPv6Address

#: Enough of an item to recognise it in an error message; a LONG_ATTACK item can be huge.
_QUOTE_LIMIT: Final = 60


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


def _ipv4_host_count(prefix: int) -> int:
    size = 1 << (32 - prefix)
    return size - 2 if size > 2 else size


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One host, as the engine receives it.

    ``name`` is what every server message calls the host (§7.4 "Host naming"): the name of a
    host given by name, lowercased as nessusd did, or else its IP address in text.
    """

    name: str
    #: Known without DNS (an address, a range, ``name[a.b.c.d]``); None: resolve ``name``.
    address: Address | None = None
    #: ``hostname/nn``: once ``name`` resolves to an IPv4 address, scan
    #: ``network_hosts(address, prefix)`` instead, those hosts named by their address.
    prefix: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a target needs a name")
        if self.prefix is not None and (self.address is not None or not 0 <= self.prefix <= 32):
            raise ValueError(f"bad network prefix /{self.prefix} for {self.name!r}")

    def count(self) -> int:
        """How many hosts this target stands for: 1, or the hosts of a network by name."""
        return 1 if self.prefix is None else _ipv4_host_count(self.prefix)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressRange:
    """Every address from ``first`` to ``last`` inclusive, one family: a range or a CIDR."""

    first: Address
    last: Address

    def __post_init__(self) -> None:
        if self.first.version != self.last.version:
            raise ValueError("a range cannot go from one address family to the other")
        if int(self.last) < int(self.first):
            raise ValueError(f"the range goes backwards: {self.last} comes before {self.first}")

    def count(self) -> int:
        return int(self.last) - int(self.first) + 1

    def address_at(self, index: int) -> Address:
        return self.first + index

    def __contains__(self, address: object) -> bool:
        return (
            isinstance(address, IPv4Address | IPv6Address)
            and address.version == self.first.version
            and int(self.first) <= int(address) <= int(self.last)
        )


Octets: TypeAlias = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class OctetRanges:
    """``198.18.0-3.1-254``: each of the four octets a number or an inclusive range."""

    #: ``(low, high)`` for each octet, most significant first.
    octets: Octets

    def __post_init__(self) -> None:
        for low, high in self.octets:
            if not 0 <= low <= high <= 255:
                raise ValueError(f"bad octet range {low}-{high}")

    def count(self) -> int:
        return math.prod(high - low + 1 for low, high in self.octets)

    def address_at(self, index: int) -> IPv4Address:
        """The address at ``index`` in natural order, where the last octet varies fastest."""
        octets = []
        for low, high in reversed(self.octets):
            index, offset = divmod(index, high - low + 1)
            octets.append(low + offset)
        return IPv4Address(bytes(reversed(octets)))

    def __contains__(self, address: object) -> bool:
        return isinstance(address, IPv4Address) and all(
            low <= octet <= high
            for octet, (low, high) in zip(address.packed, self.octets, strict=True)
        )


#: One item of the target list.
Block: TypeAlias = Target | AddressRange | OctetRanges


def network_hosts(address: Address, prefix: int) -> AddressRange:
    """The hosts of the network ``address/prefix``, as this module reads a CIDR (§10.33).

    The host bits of ``address`` do not matter. The engine calls this for ``hostname/nn``
    once the name has resolved.
    """
    network = ipaddress.ip_network((address, prefix), strict=False)
    first, last = network.network_address, network.broadcast_address
    if network.version == 4 and network.num_addresses > 2:
        first, last = first + 1, last - 1
    return AddressRange(first=first, last=last)


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


# --- parsing (§7.4) ----------------------------------------------------------------------------

#: Items are separated by `,` or `;` (§7.4); line breaks too, for lists pasted one per line.
_ITEM: Final = re.compile(r"[^,;\r\n]+")
#: Only digits, dots, dashes and a slash: an IPv4 address, range, octet pattern or CIDR.
_IPV4_FORM: Final = re.compile(r"[0-9./-]+")
_NAMED_ADDRESS: Final = re.compile(r"([^\[\]]+)\[([^\[\]]+)\]")
_BRACKETED: Final = re.compile(r"\[([^\[\]]+)\](/.*)?")
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NAME_CHARACTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
#: RFC 1035: 255 octets on the wire, 253 characters in text.
_MAX_NAME_LENGTH: Final = 253


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
            block = _parse_item(item)
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


def _parse_item(item: str) -> Block:
    if any(character.isspace() for character in item):
        raise ValueError("a target cannot contain spaces")
    if item.startswith("'"):
        return _quoted_name(item)
    if item.startswith("["):
        return _bracketed_ipv6(item)
    if "[" in item or "]" in item:
        return _named_address(item)
    if ":" in item:
        return _ipv6_item(item)
    if _IPV4_FORM.fullmatch(item):
        return _ipv4_item(item)
    return _name_item(item)


def _quoted_name(item: str) -> Target:
    """``'name'``: taken literally, no range parsing (§7.4)."""
    name = item[1:-1]
    if len(item) < 3 or not item.endswith("'") or "'" in name:
        raise ValueError("expected one name between single quotes, like 'my-host'")
    if not name.isprintable():
        raise ValueError("a quoted name cannot contain control characters")
    return Target(name=name.lower())


def _named_address(item: str) -> Target:
    """``name[a.b.c.d]``: a name with its address, so no DNS (§7.4)."""
    match = _NAMED_ADDRESS.fullmatch(item)
    if match is None:
        raise ValueError("expected a name with its address in brackets, like www[192.0.2.1]")
    name, text = match.groups()
    address = _ipv6(text, scoped=True) if ":" in text else _ipv4(text)
    return Target(name=_host_name(name), address=address)


def _bracketed_ipv6(item: str) -> Block:
    """``[2001:db8::1]`` or ``[2001:db8::]/64``: the URL spelling of an IPv6 address."""
    match = _BRACKETED.fullmatch(item)
    if match is None or ":" not in match[1]:
        raise ValueError("expected an IPv6 address in brackets, like [2001:db8::1]")
    return _ipv6_item(match[1] + (match[2] or ""))


def _ipv6_item(text: str) -> Block:
    if "/" in text:
        address, _, prefix = text.partition("/")
        return network_hosts(_ipv6(address), _prefix(prefix, 128))
    if "-" in text:
        first, _, last = text.partition("-")
        return AddressRange(first=_ipv6(first), last=_ipv6(last))
    single = _ipv6(text, scoped=True)
    return Target(name=str(single), address=single)


def _ipv6(text: str, *, scoped: bool = False) -> IPv6Address:
    if "%" in text and not scoped:
        raise ValueError("a zone index (%) fits a single address, not a range")
    try:
        return IPv6Address(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IPv6 address ({exc})") from None


def _ipv4_item(text: str) -> Block:
    if "/" in text:
        address, _, mask = text.partition("/")
        if "-" in address:
            raise ValueError("a range cannot also have a /prefix")
        return network_hosts(_ipv4(address), _ipv4_prefix(mask))
    if "-" not in text:
        single = _ipv4(text)
        return Target(name=str(single), address=single)
    first, _, last = text.partition("-")
    if first.count(".") == 3 and last.count(".") == 3:
        return AddressRange(first=_ipv4(first), last=_ipv4(last))
    return _octet_ranges(text)


def _octet_ranges(text: str) -> OctetRanges:
    """``198.18.0-3.1-254`` or ``192.0.2.1-20``: each octet ``n`` or ``n-m`` (§7.4)."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError("expected four octets or octet ranges, like 192.0.2.1-20")
    first, second, third, fourth = (_octet_range(part) for part in parts)
    return OctetRanges(octets=(first, second, third, fourth))


def _octet_range(text: str) -> tuple[int, int]:
    low, dash, high = text.partition("-")
    first = _octet(low)
    last = _octet(high) if dash else first
    if last < first:
        # nessusd swapped the ends; a reversed range is more likely a typo than a wish.
        raise ValueError(f"the octet range {text} goes backwards")
    return first, last


def _ipv4(text: str) -> IPv4Address:
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"{text!r} is not an IPv4 address (four numbers separated by dots)")
    return IPv4Address(bytes(_octet(part) for part in parts))


def _octet(text: str) -> int:
    if not text:
        raise ValueError("an octet is missing")
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise ValueError(f"{text!r} is not an octet (0 to 255)")
    if len(text) > 1 and text.startswith("0"):
        # inet_aton reads 010 as octal 8, nessusd's octet ranges as decimal 10.
        raise ValueError(f"the leading zero of {text} is ambiguous (octal or decimal?)")
    if (value := int(text)) > 255:
        raise ValueError(f"octet {value} is above 255")
    return value


def _ipv4_prefix(text: str) -> int:
    """``24`` or the netmask ``255.255.255.0`` (§7.4)."""
    if "." not in text:
        return _prefix(text, 32)
    host_bits = int(_ipv4(text)) ^ 0xFFFF_FFFF
    if host_bits & (host_bits + 1):
        raise ValueError(f"the netmask {text} is not ones followed by zeros")
    return 32 - host_bits.bit_length()


def _prefix(text: str, width: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise ValueError(f"{text!r} is not a prefix length")
    if (value := int(text)) > width:
        raise ValueError(f"the prefix /{value} is longer than an address ({width} bits)")
    return value


def _name_item(item: str) -> Target:
    """``hostname`` or ``hostname/nn`` (§7.4): resolved later, by the engine."""
    text, slash, mask = item.partition("/")
    name = _host_name(text)
    prefix = _ipv4_prefix(mask) if slash else 32
    return Target(name=name, prefix=None if prefix == 32 else prefix)


def _host_name(text: str) -> str:
    name = text.lower()
    if bad := next((char for char in name if char not in _NAME_CHARACTERS), None):
        raise ValueError(f"{bad!r} cannot appear in a host name (quote the name to keep it)")
    if len(name) > _MAX_NAME_LENGTH:
        raise ValueError(f"a host name has at most {_MAX_NAME_LENGTH} characters")
    if not all(_LABEL.fullmatch(label) for label in name.removesuffix(".").split(".")):
        raise ValueError(f"{text!r} is not a host name: empty label, long label or end dash")
    return name
