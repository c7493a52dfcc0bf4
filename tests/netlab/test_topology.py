"""The lab's network: isolated namespaces, lab addresses only, and exactly the truth's ports."""

from __future__ import annotations

import subprocess

import pytest

from tests.netlab._hosts import HOSTS, LAB_NETWORK, Host
from tests.netlab._netns import netns_argv
from tests.netlab.fixture import NetLab

#: Linux's ephemeral ports: named's recursion queries use them as UDP source ports.
EPHEMERAL = range(32768, 61000)


def _in(host: Host, *argv: str) -> str:
    return subprocess.run(
        netns_argv(host.namespace, argv), capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: h.name)
def test_no_route_out_and_no_ipv6(netlab: NetLab, host: Host) -> None:
    routes = [line.split() for line in _in(host, "ip", "-4", "route", "show").splitlines()]
    assert routes == [f"{LAB_NETWORK} dev eth0 proto kernel scope link src {host.address}".split()]
    assert "inet6" not in _in(host, "ip", "-o", "addr", "show")
    addresses = _in(host, "ip", "-o", "-4", "addr", "show").split()
    assert f"{host.address}/24" in addresses


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: h.name)
def test_listening_ports_are_the_ground_truth(netlab: NetLab, host: Host) -> None:
    """Every port reachable from the lab network is in the ground truth, and vice versa."""
    listening = set()
    for line in _in(host, "ss", "-H", "-l", "-n", "-t", "-u").splitlines():
        proto, *_, local, _peer = line.split()
        address, _, port = local.rpartition(":")
        if address.startswith("127.") or (proto == "udp" and int(port) in EPHEMERAL):
            continue
        listening.add(f"{proto}/{int(port)}")
    assert listening == set(netlab.host_truth(host.name).ports)
