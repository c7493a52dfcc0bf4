"""The service checks end to end against the netlab's real Debian daemons (tests/netlab).

Each lab host is scanned once, the way a host's scan runs the plugins (TCP and UDP scanners,
service detection, then the checks) over the ports of the services these checks are about,
with ``default_credentials`` allowed. The weak host must show every weakness of the ground
truth these checks cover (matched by the truth's own regexes), at the right severity and
place, and nothing else; the hardened host must not get a single hole or warning from them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from ixion.engine.events import Severity
from ixion.engine.job import HostJob, ScanSettings
from ixion.plugin_api.ports import parse_port_range
from tests.netlab.fixture import netlab  # noqa: F401 (the session's lab)

from .helpers import FAST, Outcome, run_async

if TYPE_CHECKING:
    from tests.netlab.fixture import NetLab

CHECKS = (
    "smtp_relay",
    "smtp_vrfy",
    "ssh_auth",
    "ssh_default_credentials",
    "redis_noauth",
    "memcached_open",
    "memcached_udp",
    "postgres_trust",
    "mysql_empty_password",
    "dns_zone_transfer",
    "dns_recursion",
    "snmp_community",
)
OURS = range(90000040, 90000060)
PORTS = "T:22,25,53,3306,5432,6379,11211,U:53,161,11211"
FLAGS = (Severity.HOLE, Severity.WARNING)
#: What the weak host must get: (plugin id, severity, place), each once (AXFR: two zones).
EXPECTED = sorted(
    [
        (90000040, "hole", "tcp/25"),
        (90000041, "warning", "tcp/25"),
        (90000042, "warning", "tcp/22"),
        (90000044, "hole", "tcp/6379"),
        (90000045, "warning", "tcp/11211"),
        (90000046, "hole", "udp/11211"),
        (90000047, "hole", "tcp/5432"),
        (90000048, "hole", "tcp/3306"),
        (90000049, "warning", "tcp/53"),
        (90000049, "warning", "tcp/53"),
        (90000050, "warning", "udp/53"),
        (90000051, "warning", "udp/161"),
    ]
)
#: The ground truth's weaknesses these checks are about.
WEAKNESSES = (
    "smtp-open-relay",
    "smtp-vrfy",
    "ssh-password-auth",
    "redis-no-auth",
    "memcached-open-tcp",
    "memcached-udp-amplification",
    "dns-axfr",
    "dns-recursion",
    "snmp-public",
    "postgresql-trust",
    "mysql-empty-password",
)


def _scan(address: str) -> Outcome:
    job = HostJob(
        host=address,
        address=address,
        origins=(),
        enabled=frozenset(),
        settings=ScanSettings(port_range=parse_port_range(PORTS), read_timeout=5),
        preferences={**FAST, "default_credentials": "yes"},
    )
    return asyncio.run(run_async(job, ["tcp_scanner", "udp_scanner", "find_service", *CHECKS]))


@pytest.fixture(scope="module")
def weak(netlab: NetLab) -> Outcome:  # noqa: F811
    return _scan(netlab.weak)


@pytest.fixture(scope="module")
def hardened(netlab: NetLab) -> Outcome:  # noqa: F811
    return _scan(netlab.hardened)


def _flagged(outcome: Outcome) -> list[tuple[int, str, str]]:
    return sorted(
        (f.plugin_id, f.severity.value, f"{f.proto}/{f.port}")
        for f in outcome.findings()
        if f.plugin_id in OURS and f.severity in FLAGS
    )


def test_the_weak_host_gets_each_finding_once_and_nothing_else(weak: Outcome) -> None:
    assert _flagged(weak) == EXPECTED


@pytest.mark.parametrize("weakness", WEAKNESSES)
def test_each_weakness_of_the_ground_truth_is_found(
    weak: Outcome,
    netlab: NetLab,  # noqa: F811
    weakness: str,
) -> None:
    [check] = [c for c in netlab.host_truth("weak").weaknesses if c.id == weakness]
    found = [
        f
        for f in weak.findings()
        if f.plugin_id in OURS
        and f.severity in FLAGS
        and check.matches(f"{f.proto}/{f.port}", f.text, None)
    ]
    assert found, f"{weakness}: no finding matches {check.pattern.pattern!r}"


def test_the_hardened_host_gets_no_hole_and_no_warning(hardened: Outcome) -> None:
    assert _flagged(hardened) == []


def test_the_hardened_host_still_gets_notes_where_the_service_answered(hardened: Outcome) -> None:
    """The checks did reach the hardened services: what they saw is noted."""
    notes = {
        (f.plugin_id, f"{f.proto}/{f.port}")
        for f in hardened.findings(severity=Severity.NOTE)
        if f.plugin_id in OURS
    }
    assert (90000044, "tcp/6379") in notes  # Redis: NOAUTH
    assert (90000047, "tcp/5432") in notes  # PostgreSQL: SCRAM


def test_default_credentials_find_no_login_on_the_weak_host(weak: Outcome) -> None:
    """The lab's sshd admits no real account (AllowUsers names one that does not exist):
    every default password fails, and none is reported."""
    assert weak.findings(plugin_id=90000043) == []
    assert weak.get("SSH/22/password_auth") == 1
