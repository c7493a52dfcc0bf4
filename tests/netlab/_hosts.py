"""The lab's shape: one bridge in the root namespace, one namespace per host, their addresses.

Everything lives in 198.18.0.0/15 (RFC 2544's benchmarking range, never routed on the
Internet): the bridge is 198.18.0.1/24 and each host one address of that /24. The names all
start with ``ixlab``, so that tearing down finds leftovers of a killed run by their prefix and
touches nothing else.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "BRIDGE",
    "BRIDGE_ADDRESS",
    "HOSTS",
    "LAB_NETWORK",
    "NS_PREFIX",
    "PREFIX_LENGTH",
    "SAFE_RANGE",
    "Host",
    "host_named",
    "state_dir",
]

#: Every address of the lab is in here, and the lab refuses any other.
SAFE_RANGE: Final = ipaddress.IPv4Network("198.18.0.0/15")
LAB_NETWORK: Final = ipaddress.IPv4Network("198.18.0.0/24")
PREFIX_LENGTH: Final = LAB_NETWORK.prefixlen
BRIDGE: Final = "ixlab0"
BRIDGE_ADDRESS: Final = "198.18.0.1"
#: Namespaces (``ixlab-weak``) and root-side veth ends (``ixv-weak``) are named from these.
NS_PREFIX: Final = "ixlab-"
VETH_PREFIX: Final = "ixv-"
#: The lab's DNS zone, served by each host's named.
ZONE: Final = "lab.test"


@dataclass(frozen=True, slots=True)
class Host:
    """One lab host: its namespace, address, and whether it is the badly configured one."""

    name: str
    address: str
    weak: bool

    def __post_init__(self) -> None:
        if ipaddress.IPv4Address(self.address) not in LAB_NETWORK:
            raise ValueError(f"lab host {self.name} at {self.address}: outside {LAB_NETWORK}")

    @property
    def namespace(self) -> str:
        return NS_PREFIX + self.name

    @property
    def veth(self) -> str:
        """The root-namespace end of the host's veth pair (at most 15 characters)."""
        return VETH_PREFIX + self.name

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{ZONE}"


HOSTS: Final = (
    Host("weak", "198.18.0.10", weak=True),
    Host("hardened", "198.18.0.20", weak=False),
)


def host_named(name: str) -> Host:
    for host in HOSTS:
        if host.name == name:
            return host
    raise KeyError(f"no lab host named {name!r} (hosts: {', '.join(h.name for h in HOSTS)})")


def state_dir() -> Path:
    """Where configurations, data, logs and the manifest go: ``$IXION_NETLAB_DIR`` or /run."""
    return Path(os.environ.get("IXION_NETLAB_DIR") or "/run/ixion-netlab")
