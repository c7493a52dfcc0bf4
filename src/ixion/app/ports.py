"""``-p``: nmap's port syntax, read into ixion's ``port_range``, and the ports scanned by default.

People type ports the way nmap taught them: ``22,80,443``, ``1-1024``, ``-`` for all,
``T:1-1024,U:53,161``, ``8000-`` or ``-1024`` with an open end, and service names (``http``,
``ssh``). ixion's ``port_range`` (:mod:`ixion.plugin_api.ports`) already reads the numeric
forms; this module adds the names (looked up in the services database, as nmap looks them
up in ``nmap-services``), refuses what ixion cannot scan (SCTP ``S:``, IP protocols ``P:``,
port 0) with a message that says so, and writes the result back in the canonical form, so
that what the scan's progress and reports show is what will be probed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.ports import (
    PortRange,
    PortRangeError,
    PortSet,
    Transport,
    parse_port_range,
)

if TYPE_CHECKING:
    from ixion.plugin_api.ports import Services

__all__ = ["DEFAULT_PORTS", "DEFAULT_TCP_PORTS", "DEFAULT_UDP_PORTS", "PortsError", "nmap_ports"]

#: TCP ports scanned when ``-p`` is not given: the services found most often on servers and
#: workstations (remote access, mail, web and its usual alternates, directories, databases,
#: file sharing, caches, container and search APIs). A short list keeps a scan with no
#: options quick; ``-p-`` scans all 65,535.
DEFAULT_TCP_PORTS: Final = (
    21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 514, 587,
    631, 636, 873, 993, 995, 1080, 1433, 1521, 1723, 2049, 2375, 2376, 3000, 3306, 3389,
    5000, 5432, 5601, 5672, 5900, 5985, 5986, 6379, 8000, 8008, 8080, 8081, 8443, 8888,
    9000, 9090, 9200, 9443, 11211, 27017,
)  # fmt: skip
#: UDP ports scanned by default: the services the UDP scanner has a probe for and that are
#: most often exposed by mistake (DNS, TFTP, NTP, NetBIOS, SNMP, IKE, SSDP, mDNS, memcached).
DEFAULT_UDP_PORTS: Final = (53, 69, 123, 137, 161, 500, 1900, 5353, 11211)
#: The default as ``port_range`` text.
DEFAULT_PORTS: Final = str(
    PortRange(
        tcp=PortSet.of((p, p) for p in DEFAULT_TCP_PORTS),
        udp=PortSet.of((p, p) for p in DEFAULT_UDP_PORTS),
    )
)

#: nmap's protocol prefixes; only TCP and UDP can be scanned here.
_PREFIX: Final = re.compile(r"([A-Za-z])\s*:\s*(.*)")
_TRANSPORTS: Final = {"t": Transport.TCP, "u": Transport.UDP}
_UNSCANNABLE: Final = {"s": "SCTP", "p": "IP protocol"}
#: A service name as services files spell them (``http``, ``http-alt``, ``netbios-ns``).
_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]*")
#: A numeric item, with nmap's open ends (``-``, ``-1024``, ``8000-``).
_NUMERIC: Final = re.compile(r"[0-9]*\s*-?\s*[0-9]*")


class PortsError(ValueError):
    """A ``-p`` value that names no port ixion can scan; the message says why."""


def nmap_ports(text: str, services: Services) -> str:
    """The ``port_range`` for an nmap ``-p`` value (``None`` is never passed: see the CLI).

    A prefix applies to its item and those after it, as in nmap; items before any prefix
    are TCP. A name stands for the ports the services database gives it for that protocol.

    Raises:
        PortsError: an item is not a port, range or known service name, uses a protocol
            other than TCP and UDP, or names port 0.
    """
    spans: dict[Transport, list[tuple[int, int]]] = {Transport.TCP: [], Transport.UDP: []}
    transport = Transport.TCP
    for piece in text.split(","):
        item = piece.strip()
        if match := _PREFIX.fullmatch(item):
            letter, item = match[1].lower(), match[2].strip()
            if letter in _UNSCANNABLE:
                raise PortsError(f"{_UNSCANNABLE[letter]} ports ({match[1]}:) cannot be scanned")
            if letter not in _TRANSPORTS:
                raise PortsError(f"{match[1]}: is not a protocol prefix (use T: or U:)")
            transport = _TRANSPORTS[letter]
            if not item:
                raise PortsError(f"no port after {match[1]}:")
        if not item:
            continue
        spans[transport].extend(_item_spans(item, transport, services))
    try:
        port_range = PortRange(
            tcp=PortSet.of(spans[Transport.TCP]), udp=PortSet.of(spans[Transport.UDP])
        )
    except PortRangeError as exc:
        raise PortsError(str(exc)) from None
    if not port_range:
        raise PortsError("no port given")
    return str(port_range)


def _item_spans(item: str, transport: Transport, services: Services) -> list[tuple[int, int]]:
    if _NUMERIC.fullmatch(item):
        low, dash, high = (part.strip() for part in item.partition("-"))
        if any(part and int(part) == 0 for part in (low, high)):
            raise PortsError(f"{item!r}: port 0 cannot be scanned")
        try:
            # ixion's parser reads the open ends as nmap does (1 and 65535).
            parsed = parse_port_range(f"{low}{dash}{high}" if dash else low)
        except PortRangeError as exc:
            raise PortsError(str(exc)) from None
        return list(parsed.tcp.spans)
    if _NAME.fullmatch(item):
        ports = sorted(
            port
            for (port, proto), name in services.items()
            if proto == transport and name == item.lower()
        )
        if not ports:
            raise PortsError(f"{item!r}: no {transport.value} service of that name is known")
        return [(port, port) for port in ports]
    raise PortsError(f"{item!r} is not a port, a range or a service name")
