"""``-p`` in nmap's syntax becomes the ``port_range`` ixiond's scanners read."""

from __future__ import annotations

import pytest

from ixion.app.ports import (
    DEFAULT_PORTS,
    DEFAULT_TCP_PORTS,
    DEFAULT_UDP_PORTS,
    PortsError,
    nmap_ports,
)
from ixion.plugin_api.ports import PortRange, Transport, parse_port_range

SERVICES = {
    (22, Transport.TCP): "ssh",
    (80, Transport.TCP): "http",
    (8080, Transport.TCP): "http",
    (53, Transport.UDP): "domain",
    (53, Transport.TCP): "domain",
    (161, Transport.UDP): "snmp",
}


@pytest.mark.parametrize(
    ("nmap", "port_range"),
    [
        ("22", "22"),
        ("22,80,443", "22,80,443"),
        ("1-1024,8080", "1-1024,8080"),
        ("-", "1-65535"),
        ("-1024", "1-1024"),
        ("60000-", "60000-65535"),
        ("T:22,U:53,161", "T:22,U:53,161"),
        ("U:53,T:80", "T:80,U:53"),
        ("80, 22 ,80", "22,80"),
        ("http", "80,8080"),
        ("ssh,U:snmp,domain", "T:22,U:53,161"),
        ("t:1-3,u:7", "T:1-3,U:7"),
    ],
)
def test_nmap_port_lists_become_the_same_ports_for_ixion(nmap: str, port_range: str) -> None:
    converted = nmap_ports(nmap, SERVICES)
    assert converted == port_range
    assert str(parse_port_range(converted)) == port_range


@pytest.mark.parametrize(
    ("nmap", "message"),
    [
        ("0", "port 0 cannot be scanned"),
        ("0-100", "port 0 cannot be scanned"),
        ("S:80", "SCTP ports"),
        ("P:6", "IP protocol ports"),
        ("X:80", "not a protocol prefix"),
        ("U:", "no port after U:"),
        ("telnet", "no tcp service of that name"),
        ("U:ssh", "no udp service of that name"),
        ("70000", "above 65535"),
        ("100-10", "goes backwards"),
        ("[1-1024]", "is not a port, a range or a service name"),
        ("", "no port given"),
    ],
)
def test_what_ixion_cannot_scan_is_refused_with_the_reason(nmap: str, message: str) -> None:
    with pytest.raises(PortsError, match=message.replace("(", r"\(")):
        nmap_ports(nmap, SERVICES)


def test_the_default_ports_are_tcp_and_udp_lists_the_scanners_read() -> None:
    parsed = parse_port_range(DEFAULT_PORTS)
    assert isinstance(parsed, PortRange)
    assert list(parsed.tcp) == sorted(DEFAULT_TCP_PORTS)
    assert list(parsed.udp) == sorted(DEFAULT_UDP_PORTS)
    assert {22, 80, 443, 3389} <= set(parsed.tcp)
    assert {53, 161} <= set(parsed.udp)
