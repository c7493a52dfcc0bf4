"""The blocks a TARGET string (spec §7.4) is made of: one host, an address range, an octet pattern.

A block stands for its hosts without listing them, which is what keeps target handling lazy
(see :mod:`ixion.engine.targets`): ``count()`` is arithmetic, ``address_at()`` makes any one
host on demand, and ``count_below()`` says where an address falls among the hosts, so that a
stretch of addresses (one the rules refuse, say) is a stretch of indices, never a loop.
:mod:`ixion.engine.target_items` builds blocks from the user's text and
:mod:`ixion.engine.targets` walks them.

CIDR (spec §10.33 allows either reading): ``a.b.c.d/nn`` is the hosts of the network that
contains ``a.b.c.d``, as any modern tool reads it, not nessusd's "from the given address up
to the broadcast". IPv4 skips the network and broadcast addresses up to /30 and keeps both
for /31 (RFC 3021 point-to-point links) and /32. IPv6 has no broadcast, so an IPv6 prefix is
every address, the subnet-router anycast address included: a router answers it, and a
router is a host worth scanning.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import TypeAlias

__all__ = [
    "Address",
    "AddressRange",
    "Block",
    "OctetRanges",
    "Target",
    "network_hosts",
]

Address: TypeAlias = IPv4Address | IPv6Address


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

    def count_below(self, address: Address) -> int:
        """How many of the hosts come before ``address`` (of the same family)."""
        return min(max(int(address) - int(self.first), 0), self.count())

    def __str__(self) -> str:
        """An item that stands for these addresses: ``a.b.c.d/nn`` where the range is a CIDR's
        hosts as :func:`network_hosts` reads it, else ``first-last`` (or the one address)."""
        if self.first == self.last:
            return str(self.first)
        prefix = self.first.max_prefixlen - (int(self.first) ^ int(self.last)).bit_length()
        if network_hosts(self.first, prefix) == self:
            network = ipaddress.ip_network((self.first, prefix), strict=False)
            return str(network)
        return f"{self.first}-{self.last}"

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

    def __str__(self) -> str:
        """The pattern as an item: ``198.18.0-3.1-254``."""
        return ".".join(str(low) if low == high else f"{low}-{high}" for low, high in self.octets)

    @property
    def first(self) -> IPv4Address:
        return IPv4Address(bytes(low for low, _ in self.octets))

    @property
    def last(self) -> IPv4Address:
        return IPv4Address(bytes(high for _, high in self.octets))

    def address_at(self, index: int) -> IPv4Address:
        """The address at ``index`` in natural order, where the last octet varies fastest."""
        octets = []
        for low, high in reversed(self.octets):
            index, offset = divmod(index, high - low + 1)
            octets.append(low + offset)
        return IPv4Address(bytes(reversed(octets)))

    def count_below(self, address: Address) -> int:
        """How many of the hosts come before the IPv4 ``address``: its index, were it one.

        Octet by octet from the first: every host whose octet here is lower comes before, and
        the count goes on to the next octet only while ``address`` stays inside the pattern.
        """
        below = 0
        per_value = self.count()
        for octet, (low, high) in zip(int(address).to_bytes(4, "big"), self.octets, strict=True):
            per_value //= high - low + 1  # the hosts that share one value of this octet
            if octet < low:
                return below
            if octet > high:
                return below + (high - low + 1) * per_value
            below += (octet - low) * per_value
        return below

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
