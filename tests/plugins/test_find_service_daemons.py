"""find_service against Debian's own servers, and ``nmap -sV`` against the same ports.

The fakes in ``test_find_service`` show each rule at work; these show that the rules fit what
the real programs say. Optional: a daemon that is not installed is skipped, and so is the
comparison when nmap is missing. Every daemon is ours, started on a free loopback port and
stopped by its PID; nmap is pointed at those ports alone.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from ixion.plugins import find_service
from tests.lab import LOOPBACK, RealDaemon

from .helpers import Outcome, run_plugins

#: Each daemon, and the name nmap -sV gives its service.
EXPECTED = {
    "redis": "redis",
    "memcached": "memcached",
    "nginx-http": "http",
    "nginx-https": "ssl/http",
    "postgresql": "postgresql",
    "mariadb": "mysql",
}
#: One port of nmap's grepable output: ``port/state/protocol/owner/service/rpc/version/``.
_GREPABLE_PORT = re.compile(r"(\d+)/open/tcp//([^/]*)/")


@pytest.fixture(scope="module")
def daemons() -> Iterator[dict[str, RealDaemon]]:
    with contextlib.ExitStack() as stack:
        started = {
            kind: stack.enter_context(RealDaemon(kind))
            for kind in EXPECTED
            if RealDaemon.missing(kind) is None
        }
        if not started:
            pytest.skip("none of the daemons is installed")
        yield started


@pytest.fixture(scope="module")
def ixion_names(daemons: dict[str, RealDaemon]) -> dict[str, object]:
    ports = {kind: daemon.port for kind, daemon in daemons.items()}
    scan: Outcome = run_plugins(ports.values(), ["tcp_scanner", "find_service"])
    return {
        kind: scan.get(find_service.SERVICE_NAME.format(port=port)) for kind, port in ports.items()
    }


@pytest.mark.parametrize("kind", EXPECTED)
def test_a_real_daemon_is_named_as_nmap_names_it(
    daemons: dict[str, RealDaemon], ixion_names: dict[str, object], kind: str
) -> None:
    if kind not in daemons:
        pytest.skip(str(RealDaemon.missing(kind)))
    assert ixion_names[kind] == EXPECTED[kind]


def test_nmap_names_every_port_as_ixion_does(
    daemons: dict[str, RealDaemon], ixion_names: dict[str, object]
) -> None:
    nmap = shutil.which("nmap")
    if nmap is None:
        pytest.skip("nmap is not installed")
    ports = ",".join(str(daemon.port) for daemon in daemons.values())
    done = subprocess.run(
        [nmap, "-sV", "-Pn", "-n", "-p", ports, "-oG", "-", LOOPBACK],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    # Grepable output writes "ssl|http" for what the normal output prints as "ssl/http".
    by_port = {
        int(port): name.replace("|", "/") for port, name in _GREPABLE_PORT.findall(done.stdout)
    }
    said = {kind: by_port.get(daemon.port) for kind, daemon in daemons.items()}
    assert said == ixion_names
