"""Who the target is and what the port scan found (nasl.md §6.2 T1; C's ``nasl_host.c``).

Port facts come from the KB the port scanner filled, with OpenVAS' key names:
``Host/scanned`` (a TCP scan ran), ``Ports/tcp/<n>`` (found open), ``Host/udp_scanned``
and ``Ports/udp/<n>``, ``Transports/TCP/<n>`` (an ``ENCAPS_*`` number). As in C, a port is
open unless a scan ran and did not find it: a script run without a port scan (``ixion-nasl``)
may try any port. Reading the KB goes through the run, so forked runs replay it.

``get_host_open_port`` returns the lowest open TCP port (C picks one at random); C's
``get_host_name`` forks once per virtual host, ixion's returns the main name.
"""

from __future__ import annotations

import ipaddress
import platform
from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins.network import ENCAPS_IP, encaps_of_port, host_of
from ixion.nasl.runtime.values import NaslArray, NaslString, Value

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS", "open_tcp_port", "port_is_open"]

#: ``get_port_transport(asstring: TRUE)`` names, by ``ENCAPS_*`` number.
_ENCAPS_NAMES: Final = {
    0: "auto",
    1: "IP",
    2: "SSLv23",
    3: "SSLv2",
    4: "SSLv3",
    5: "TLSv1",
    6: "TLSv11",
    7: "TLSv12",
    8: "TLSv13",
    9: "TLScustom",
}


def _known(call: Call, name: str) -> bool:
    return any(value not in (0, b"") for value in call.rt.kb_values(name))


def port_is_open(call: Call, port: int, protocol: str = "tcp") -> bool:
    scanned = "Host/scanned" if protocol == "tcp" else "Host/udp_scanned"
    if not _known(call, scanned):
        return True
    return bool(call.rt.kb_values(f"Ports/{protocol}/{port}"))


def open_tcp_port(call: Call) -> int:
    """The lowest TCP port the scan found open; 0 if none."""
    ports = []
    for name, _ in call.rt.kb_matching("Ports/tcp/*"):
        number = name.rsplit("/", 1)[-1]
        if number.isdigit() and 0 < int(number) <= 65535:
            ports.append(int(number))
    return min(ports, default=0)


def _port_state(protocol: str) -> Callable[[Call], Value]:
    def state(call: Call) -> Value:
        port = call.integer(0, -1)
        if port < 0:
            call.warn("missing port number")
            return None
        return int(port_is_open(call, port, protocol))

    return state


def _get_port_transport(call: Call) -> Value:
    port = call.integer(0, -1)
    if port < 0:
        call.warn("get_port_transport: missing port number")
        return None
    encaps = encaps_of_port(call, port) if port else ENCAPS_IP
    if call.integer("asstring", 0):
        name = _ENCAPS_NAMES.get(encaps, f"unknown transport layer - code {encaps}")
        return NaslString(name.encode())
    return encaps


def _get_host_ip(call: Call) -> Value:
    host = host_of(call)
    return None if host is None else NaslString(host.address.encode())


def _get_host_name(call: Call) -> Value:
    host = host_of(call)
    if host is None:
        return None
    return NaslString((host.names[0] if host.names else host.address).encode())


def _get_host_names(call: Call) -> Value:
    host = host_of(call)
    if host is None:
        return None
    names = host.names or (host.address,)
    return NaslArray(NaslString(name.encode()) for name in names)


def _islocalhost(call: Call) -> Value:
    host = host_of(call)
    if host is None:
        return None
    if ipaddress.ip_address(host.address).is_loopback:
        return 1
    return int(host.local_address() == host.address)


def _islocalnet(call: Call) -> Value:
    host = host_of(call)
    return None if host is None else int(host.is_local_network())


def _target_is_ipv6(call: Call) -> Value:
    host = host_of(call)
    return None if host is None else int(":" in host.address)


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "get_port_state": _port_state("tcp"),
    "get_tcp_port_state": _port_state("tcp"),
    "get_udp_port_state": _port_state("udp"),
    "get_port_transport": _get_port_transport,
    "get_host_open_port": open_tcp_port,
    "get_host_ip": _get_host_ip,
    "get_host_name": _get_host_name,
    "get_host_names": _get_host_names,
    "this_host_name": lambda call: NaslString(platform.node().encode()),
    "islocalhost": _islocalhost,
    "islocalnet": _islocalnet,
    "TARGET_IS_IPV6": _target_is_ipv6,
}
