"""What an embedded scan may reach: the targets on the command line, within the daemon's limits.

ixiond scans nothing until its administrator accepts a range (its generated rules end in
``default reject``). ``ixion scan`` has no administrator and no account: the person typing
the command names the scope, and the targets on the command line are the whole of it. What
the daemon's defaults still protect against applies here too, the same way, as target rules
(:mod:`ixion.server.rules`) that the scan checks for every host it is about to start:

* addresses that are not one host: ``0.0.0.0/8`` ("this network"), multicast
  (``224.0.0.0/4``, ``ff00::/8``), the reserved ``240.0.0.0/4`` with the limited broadcast
  ``255.255.255.255``, the unspecified ``::``. A host of a range that falls there is refused
  and listed in the report as not allowed (E002), as ixiond lists a user's refused hosts; a
  target that is nothing but such an address is a usage error before anything starts.
* a cap on the number of hosts, :data:`DEFAULT_MAX_TARGETS` unless ``--max-targets`` raises
  it: a mistyped ``/8`` (16 million hosts) must not start scanning a network by surprise.

A network's own broadcast address is never scanned (:mod:`ixion.engine.target_blocks` leaves
it out of every IPv4 range of /30 or wider).
"""

from __future__ import annotations

import ipaddress
from typing import Final

from ixion.engine.target_blocks import AddressRange, Target
from ixion.engine.targets import TargetError, TargetSpec, parse_targets
from ixion.server.rules import RuleFile, RuleSet, merge_at_login, parse_global_rules

__all__ = [
    "DEFAULT_MAX_TARGETS",
    "NOT_HOSTS",
    "ScopeError",
    "check_targets",
    "scope_rules",
]

#: Hosts one ``ixion scan`` may cover without ``--max-targets``: a /20, a large site's
#: server networks; a /16 or a /8 has to be asked for.
DEFAULT_MAX_TARGETS: Final = 4096

#: Networks of addresses that are not a single host, which no scan should send probes to.
NOT_HOSTS: Final = (
    ("0.0.0.0/8", "'this network' (0.0.0.0/8), not a host"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "reserved or the limited broadcast (240.0.0.0/4)"),
    ("::/128", "the unspecified address"),
    ("ff00::/8", "a multicast address"),
)

_RULES: Final = "".join(f"reject {network}\n" for network, _ in NOT_HOSTS) + "default accept\n"


class ScopeError(ValueError):
    """Targets that cannot be scanned as given; the message says what to do instead."""


def scope_rules() -> RuleSet:
    """The rules every host of an embedded scan is checked against (see the module notes).

    ``default accept`` is right here, where it never is for the daemon: the scan only ever
    asks about hosts of the targets the user typed.
    """
    global_rules, skipped = parse_global_rules(_RULES, source="ixion scan's scope")
    assert not skipped, skipped
    return merge_at_login(global_rules, RuleFile(), "127.0.0.1")


def check_targets(targets: str, *, max_targets: int) -> TargetSpec:
    """The parsed targets, if they are a scope ``ixion scan`` takes.

    Raises:
        ScopeError: the targets do not parse, add up to more than ``max_targets`` hosts, or
            a target is a single address that is not a host.
    """
    try:
        spec = parse_targets(targets)
    except TargetError as exc:
        raise ScopeError(str(exc)) from None
    count = spec.count()
    if count > max_targets:
        raise ScopeError(
            f"the targets make {count} hosts, more than {max_targets}: "
            f"give --max-targets {count} if you mean it"
        )
    rules = scope_rules()
    for block in spec.blocks:
        for address in _single_address(block):
            if not rules.allows(address):
                raise ScopeError(f"{address} is {_why_not(address)}: it cannot be scanned")
    return spec


def _single_address(block: object) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
    """The address of a block that stands for one address only (a range of one included)."""
    if isinstance(block, Target) and block.address is not None:
        return (block.address,)
    if isinstance(block, AddressRange) and block.first == block.last:
        return (block.first,)
    return ()


def _why_not(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for network, why in NOT_HOSTS:
        if address in ipaddress.ip_network(network):
            return why
    return "outside the scope"
