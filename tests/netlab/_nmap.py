"""nmap against the lab, as a yardstick for ixion's port scanning and service detection.

``nmap`` runs ``-sV`` on exactly the ground truth's ports (open and closed, TCP and UDP)
of exactly the ground truth's addresses, all inside 198.18.0.0/24; nothing else is probed.

At nmap's default version intensity (7) this takes about 105 s, nearly all of it on the
weak host's memcached UDP port, which no UDP probe of nmap's recognises (each waits for its
timeout); ``--intensity 2`` names every other port the same in about 17 s.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.netlab._hosts import LAB_NETWORK, state_dir
from tests.netlab._manifest import read_manifest
from tests.netlab._truth import Truth, load_truth, parse_place

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["NmapPort", "nmap_argv", "read_nmap_xml", "run_nmap_command"]


@dataclass(frozen=True, slots=True)
class NmapPort:
    state: str
    name: str | None
    tunnel: str | None
    product: str | None


def nmap_argv(truth: Truth, output: Path, intensity: int | None = None) -> list[str]:
    """The nmap command line for the lab: only its addresses, only the truth's ports.

    Raises:
        ValueError: an address of the ground truth is outside the lab network.
    """
    tcp: set[int] = set()
    udp: set[int] = set()
    addresses = []
    for host in truth.hosts.values():
        if ipaddress.IPv4Address(host.address) not in LAB_NETWORK:
            raise ValueError(f"{host.name}: {host.address} is outside {LAB_NETWORK}")
        addresses.append(host.address)
        for place in (*host.ports, *host.closed):
            proto, port = parse_place(place)
            (tcp if proto == "tcp" else udp).add(port)
    ports = ",".join([f"T:{p}" for p in sorted(tcp)] + [f"U:{p}" for p in sorted(udp)])
    scans = ["-sS", "-sU"] if udp else ["-sS"]
    if intensity is not None:
        scans += ["--version-intensity", str(intensity)]
    return ["nmap", "-n", "-Pn", *scans, "-sV", "-p", ports, "-oX", str(output), *addresses]


def read_nmap_xml(path: Path) -> dict[str, dict[str, NmapPort]]:
    """``{address: {"tcp/80": NmapPort, ...}}`` from ``nmap -oX`` output."""
    hosts: dict[str, dict[str, NmapPort]] = {}
    root = ET.parse(path).getroot()
    for host in root.iter("host"):
        address = next(
            (a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"), None
        )
        if address is None:
            continue
        ports = hosts.setdefault(address, {})
        for port in host.iter("port"):
            state = port.find("state")
            service = port.find("service")
            place = f"{port.get('protocol')}/{port.get('portid')}"
            ports[place] = NmapPort(
                state=state.get("state", "") if state is not None else "",
                name=service.get("name") if service is not None else None,
                tunnel=service.get("tunnel") if service is not None else None,
                product=service.get("product") if service is not None else None,
            )
    return hosts


def run_nmap_command(output: Path, intensity: int | None = None) -> int:
    """``nmap`` subcommand: scan the running lab, print the time taken and the ports."""
    if read_manifest(state_dir()) is None:
        print("netlab: the lab is not up (run: scripts/lab up)", file=sys.stderr)
        return 2
    argv = nmap_argv(load_truth(), output, intensity)
    print("netlab: " + " ".join(argv), flush=True)
    begun = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
    seconds = time.monotonic() - begun
    if done.returncode != 0:
        print(f"netlab: nmap failed (status {done.returncode})", file=sys.stderr)
        return 1
    for address, ports in sorted(read_nmap_xml(output).items()):
        listing = " ".join(
            f"{place}={port.state}:{port.name or '?'}{'/' + port.tunnel if port.tunnel else ''}"
            for place, port in sorted(ports.items(), key=lambda kv: parse_place(kv[0]))
        )
        print(f"  {address}: {listing}")
    print(f"netlab: nmap took {seconds:.1f} s; XML in {output}")
    return 0
