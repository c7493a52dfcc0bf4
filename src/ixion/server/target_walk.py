"""A scan's targets, read and walked against the user's rules a block at a time (issue 15).

What a user may name is limited twice before anything is scanned:

* **The count.** :func:`read_targets` stops at the item that takes the targets past
  ``max_hosts_per_scan`` addresses. The count is arithmetic (a ``/8`` is one number, and so
  is ``hostname/8``, whose network is the IPv4 one of the name), so ``0.0.0.0/0``, ``::/0``
  or ``localhost/0`` are refused at once, and a list of a million items no later than the
  item that goes over. Reading gives the event loop a turn every :data:`ITEMS_PER_TURN` items.
* **The rules.** :class:`TargetWalk` asks the rules about each block as a whole
  (:meth:`~ixion.server.rules.RuleSet.classify`): a stretch they refuse is set aside in one
  step whatever its size, and only the hosts of allowed stretches are made, one at a time,
  as the scan asks for them. A refused stretch of more than :data:`LISTED_ONE_BY_ONE` hosts
  is one entry of the E002 error (``198.18.0.0/17``, ``localhost/0``); a smaller one is
  listed host by host, as nessusd listed them.

The walk gives the event loop a turn every :data:`HOSTS_PER_TURN` hosts, so other clients
are served while one scan's targets are walked.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from ipaddress import ip_address
from typing import TYPE_CHECKING, Final, Protocol

from ixion.engine.target_blocks import AddressRange, OctetRanges, Target, network_hosts
from ixion.engine.targets import SeenBlocks, TargetSpec, hosts_in, parse_blocks

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from ixion.engine.target_blocks import Address, Block
    from ixion.server.verdict_map import Stretch

__all__ = ["TargetRules", "TargetWalk", "read_targets"]

log = logging.getLogger(__name__)

#: Hosts made or skipped between two turns of the event loop.
HOSTS_PER_TURN: Final = 256
#: Items of the target list read between two turns of the event loop.
ITEMS_PER_TURN: Final = 256
#: Entries remembered for the E002 error (which nessusd cut near 4000 bytes).
MAX_DENIED_KEPT: Final = 1000
#: A refused stretch of up to this many hosts is listed host by host: a /24's worth, about
#: what the E002 line holds.
LISTED_ONE_BY_ONE: Final = 256
#: Seconds one name may take to resolve.
RESOLVE_TIMEOUT: Final = 10.0


class TargetRules(Protocol):
    """What decides which hosts a scan may reach: a user's rule set, or two together."""

    def allows(self, target: str) -> bool: ...

    def classify(self, first: Address, last: Address) -> Sequence[Stretch]:
        """``first`` to ``last`` cut where the verdict changes, in order."""
        ...


async def read_targets(text: str, *, max_hosts: int) -> TargetSpec:
    """The parsed TARGET string, read in turns.

    Raises:
        TargetError: as :func:`~ixion.engine.targets.parse_targets`; ``TooManyTargets``
            past ``max_hosts`` addresses.
    """
    blocks: list[Block] = []
    for block in parse_blocks(text, max_hosts=max_hosts):
        blocks.append(block)
        if len(blocks) % ITEMS_PER_TURN == 0:
            await asyncio.sleep(0)
    return TargetSpec(tuple(blocks))


class TargetWalk:
    """The hosts of a scan that the rules allow, and the E002 entries for the others."""

    def __init__(
        self,
        spec: TargetSpec,
        rules: TargetRules,
        *,
        user: str,
        interleave: bool,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        """``interleave``: ``slice_network_addresses`` (§5.2); ``stopping``: true once the
        scan starts no new host, which ends the walk at its next turn."""
        self._spec = spec
        self._rules = rules
        self._user = user
        self._interleave = interleave
        self._stopping = stopping
        self._seen = SeenBlocks()
        self._work = 0
        #: What E002 lists: refused hosts, names that did not resolve, refused stretches.
        self.denied: list[str] = []
        #: Addresses the rules refused, repeats included.
        self.refused = 0

    async def hosts(self) -> AsyncIterator[tuple[str, str]]:
        """``(name, address)`` of each allowed host, block after block, repeats skipped."""
        for block in self._spec.blocks:
            if not await self._turn():
                return
            if isinstance(block, Target) and block.address is not None:
                if host := self._host(block, block.address):
                    yield host
            else:
                walk = self._named(block) if isinstance(block, Target) else self._block(block)
                async for host in walk:
                    yield host
            self._seen.add(block)
        if self.refused:
            log.info("%s: the rules refused %d target addresses", self._user, self.refused)

    async def _named(self, target: Target) -> AsyncIterator[tuple[str, str]]:
        """A host or a ``hostname/nn`` network given by name: resolved, then judged."""
        if target in self._seen:
            return
        label = target.name if target.prefix is None else f"{target.name}/{target.prefix}"
        address = await self._resolve(target.name, ipv4=target.prefix is not None)
        if address is None:
            self._refuse(label, "no address")
        elif target.prefix is None:
            if host := self._host(target, address):
                yield host
        else:
            network = network_hosts(address, target.prefix)
            async for host in self._block(network, label=label):
                yield host
            self._seen.add(network)

    def _host(self, target: Target, address: Address) -> tuple[str, str] | None:
        """One host, at ``address`` (its own, or the one its name resolved to), if allowed."""
        if target.address is not None and target in self._seen:
            return None
        (stretch,) = self._rules.classify(address, address)
        if stretch.allowed:
            return target.name, str(address)
        self.refused += 1
        self._refuse(target.name, str(address))
        return None

    async def _block(
        self, block: AddressRange | OctetRanges, *, label: str | None = None
    ) -> AsyncIterator[tuple[str, str]]:
        """The allowed hosts of a range. If the rules refuse it whole, E002 names it by
        ``label``, else as the user wrote it (``198.18.0.0/17``, ``198.18.0-3.1-254``)."""
        allowed: list[tuple[int, int]] = []
        for stretch in self._rules.classify(block.first, block.last):
            start = block.count_below(stretch.first)
            stop = block.count_below(stretch.last) + (stretch.last in block)
            if start == stop:
                continue  # between two hosts of an octet pattern
            if stretch.allowed:
                allowed.append((start, stop))
            elif stop - start == block.count():
                await self._refuse_span(block, start, stop, label or str(block))
            else:
                await self._refuse_span(block, start, stop, None)
        for target in hosts_in(block, allowed, interleave=self._interleave):
            if not await self._turn():
                return
            if target.address is not None and target not in self._seen:
                yield target.name, str(target.address)

    async def _refuse_span(
        self, block: AddressRange | OctetRanges, start: int, stop: int, label: str | None
    ) -> None:
        """Set aside the hosts ``start`` to ``stop`` of a block, named ``label`` if given."""
        self.refused += stop - start
        if stop - start > LISTED_ONE_BY_ONE:
            first, last = block.address_at(start), block.address_at(stop - 1)
            name = label or str(AddressRange(first=first, last=last))
            self._refuse(name, f"{stop - start} addresses")
            return
        for target in hosts_in(block, ((start, stop),), interleave=False):
            await self._turn()
            if target not in self._seen:
                self._refuse(target.name, "not allowed")

    def _refuse(self, name: str, what: str) -> None:
        """Remember a refusal for E002, which holds ~4000 bytes: the first few suffice."""
        if len(self.denied) < MAX_DENIED_KEPT:
            log.info("%s: not allowed to scan %s (%s)", self._user, name, what)
            self.denied.append(name)

    async def _turn(self) -> bool:
        """Count one host or block; every :data:`HOSTS_PER_TURN`, let the event loop run.
        False once the scan is stopping."""
        self._work += 1
        if self._work % HOSTS_PER_TURN == 0:
            await asyncio.sleep(0)
        return not self._stopping()

    async def _resolve(self, name: str, *, ipv4: bool) -> Address | None:
        """The first address of ``name``; an IPv4 one for a ``hostname/nn`` network, whose
        size was counted as an IPv4 network's."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET if ipv4 else socket.AF_UNSPEC
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                infos = await loop.getaddrinfo(name, None, family=family, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError, UnicodeError) as exc:
            log.info("%s: cannot resolve %s: %s", self._user, name, exc)
            return None
        return ip_address(infos[0][4][0]) if infos else None
