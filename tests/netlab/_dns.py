"""BIND on 53 (UDP and TCP), authoritative for ``lab.test`` and the lab's reverse zone.

Weak host: zone transfers (AXFR) to anyone, recursion for anyone (answers come back with
RA set; lookups outside the lab fail, as the namespace has no route out), its version shown.
Hardened host: no transfers, no recursion, version hidden.
"""

from __future__ import annotations

from typing import Final

from tests.netlab._daemon import Daemon, HostSetup, Probe
from tests.netlab._hosts import BRIDGE_ADDRESS, HOSTS, LAB_NETWORK, ZONE

__all__ = ["REVERSE_ZONE", "ZONE_RECORDS", "prepare_named"]

REVERSE_ZONE: Final = "0.18.198.in-addr.arpa"
#: Names only a transfer reveals (nothing links to them).
ZONE_RECORDS: Final = {
    "intranet": "198.18.0.10",
    "backup-db": "198.18.0.20",
}


def _zone(setup: HostSetup) -> str:
    lines = [
        "$TTL 300",
        f"@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 300",
        f"@ IN NS ns.{ZONE}.",
        f"ns IN A {setup.host.address}",
        f"scanner IN A {BRIDGE_ADDRESS}",
        '@ IN TXT "ixion netlab"',
        *(f"{host.name} IN A {host.address}" for host in HOSTS),
        *(f"{name} IN A {address}" for name, address in ZONE_RECORDS.items()),
    ]
    return "\n".join(lines) + "\n"


def _reverse(setup: HostSetup) -> str:
    names = {BRIDGE_ADDRESS: f"scanner.{ZONE}"} | {h.address: h.fqdn for h in HOSTS}
    lines = [
        "$TTL 300",
        f"@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 300",
        f"@ IN NS ns.{ZONE}.",
        *(f"{address.rsplit('.', 1)[1]} IN PTR {name}." for address, name in names.items()),
    ]
    return "\n".join(lines) + "\n"


def prepare_named(setup: HostSetup) -> list[Daemon]:
    root = setup.dir("named", owner="bind", mode=0o750)
    (root / "lab.zone").write_text(_zone(setup))
    (root / "reverse.zone").write_text(_reverse(setup))
    if setup.host.weak:
        policy = """
    recursion yes;
    allow-recursion { any; };
    allow-query-cache { any; };
    allow-transfer { any; };"""
    else:
        policy = """
    recursion no;
    allow-transfer { none; };
    version none;"""
    conf = root / "named.conf"
    conf.write_text(f"""
options {{
    directory "{root}";
    pid-file "{root}/named.pid";
    session-keyfile "{root}/session.key";
    managed-keys-directory "{root}";
    listen-on port 53 {{ any; }};
    listen-on-v6 {{ none; }};
    allow-query {{ any; }};
    dnssec-validation no;
    notify no;{policy}
}};
controls {{ }};
logging {{ category default {{ default_stderr; }}; category lame-servers {{ null; }}; }};
zone "{ZONE}" {{ type primary; file "{root}/lab.zone"; }};
zone "{REVERSE_ZONE}" {{ type primary; file "{root}/reverse.zone"; }};
""")
    assert LAB_NETWORK.prefixlen == 24, "the reverse zone covers one /24"
    argv = ("/usr/sbin/named", "-f", "-4", "-u", "bind", "-c", str(conf))
    probes = (Probe("udp", 53, "dns"), Probe("tcp", 53))
    return [Daemon("named", argv, probes, setup.log("named"))]
