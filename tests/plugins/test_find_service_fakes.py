"""find_service against fakes of the protocols the lab has no server for, in clear and
through TLS, and against services that misbehave: each of those ends with a reason, in
bounded time, and the other ports are identified all the same."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ixion.plugins import find_service
from ixion.plugins._service_probes import Probe, recognise
from tests.lab import BannerService, Lab, NginxLikeHttpsService, ScriptedService, Service
from tests.lab import protocols as fake
from tests.lab import scripted as bad

from .find_service_kb import failure_of, name_of, note_of
from .helpers import Outcome, run_plugins

#: name: (service, KB name, nmap's name)
FAKES: dict[str, tuple[Service, str, str]] = {
    "redis": (ScriptedService(fake.redis), "redis", "redis"),
    "redis_locked": (ScriptedService(fake.redis_locked), "redis", "redis"),
    "memcached": (ScriptedService(fake.memcached), "memcached", "memcached"),
    "postgresql": (ScriptedService(fake.postgres), "postgresql", "postgresql"),
    "mysql": (BannerService(fake.MYSQL_GREETING), "mysql", "mysql"),
    "mysql_refused": (BannerService(fake.MYSQL_REFUSED), "mysql", "mysql"),
    "vnc": (BannerService(fake.VNC_GREETING), "vnc", "vnc"),
    "ldap": (ScriptedService(fake.ldap), "ldap", "ldap"),
    "rdp": (ScriptedService(fake.rdp), "ms-wbt-server", "ms-wbt-server"),
    "smb": (ScriptedService(fake.smb), "cifs", "microsoft-ds"),
    "dns": (ScriptedService(fake.dns), "domain", "domain"),
    "nginx_https": (NginxLikeHttpsService(), "www", "ssl/http"),
    "imaps": (
        ScriptedService(bad.greet(b"* OK [CAPABILITY IMAP4rev1] lab ready\r\n"), tls=True),
        "imap",
        "ssl/imap",
    ),
    "pop3s": (ScriptedService(bad.greet(b"+OK lab POP3 ready\r\n"), tls=True), "pop3", "ssl/pop3"),
    "smtps": (
        ScriptedService(bad.greet(b"220 lab.ixion.test ESMTP ready\r\n"), tls=True),
        "smtp",
        "ssl/smtp",
    ),
    "ftps": (
        ScriptedService(bad.greet(b"220 lab FTP server ready\r\n"), tls=True),
        "ftp",
        "ssl/ftp",
    ),
    "ldaps": (ScriptedService(fake.ldap, tls=True), "ldap", "ssl/ldap"),
    "slow_ssh": (ScriptedService(bad.drip(b"SSH-2.0-Drip_1.0\r\n", 0.05)), "ssh", "ssh"),
}
#: name: (service, what its recorded reason says)
MISBEHAVING: dict[str, tuple[Service, str]] = {
    "reset": (ScriptedService(bad.reset_after_connect), "null: ConnectionResetError"),
    "tls_reset": (ScriptedService(bad.reset_in_handshake), "ssl/null: ConnectionResetError"),
    "flood": (ScriptedService(bad.flood), "null: 4096 bytes or more, not recognised"),
    "babble": (ScriptedService(bad.babble), "get_http: 64 bytes, not recognised"),
    "echo": (ScriptedService(bad.echo), "all: 3 answers not recognised, no more probes"),
    "drip_forever": (ScriptedService(bad.drip(b".", 0.1, forever=True)), "bytes, not recognised"),
}


@dataclass
class FakeScan:
    lab: Lab
    outcome: Outcome
    seconds: float


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeScan]:
    services = {name: entry[0] for name, entry in (FAKES | MISBEHAVING).items()}
    with Lab(services) as lab:
        started = time.monotonic()
        outcome = run_plugins(lab.ports.values(), ["tcp_scanner", "find_service"], read_timeout=2)
        yield FakeScan(lab, outcome, time.monotonic() - started)


@pytest.mark.parametrize("name", FAKES)
def test_each_protocol_is_identified(fakes: FakeScan, name: str) -> None:
    _, key, nmap = FAKES[name]
    port, scan = fakes.lab.ports[name], fakes.outcome
    assert name_of(scan, port) == nmap
    assert scan.get(f"Known/tcp/{port}") == key
    assert port in scan.values(f"Services/{key}")
    assert (scan.get(f"Transports/TCP/{port}") == 1) == (not nmap.startswith("ssl/"))
    assert " is running on this port" in note_of(scan, port)


def test_https_that_answers_clear_http_with_a_400_is_https(fakes: FakeScan) -> None:
    port, scan = fakes.lab.ports["nginx_https"], fakes.outcome
    assert str(scan.get(f"www/banner/{port}")).startswith("HTTP/1.1 200 OK\r\nServer: nginx")
    assert note_of(scan, port).startswith("A web server is running on this port through TLSv1.3.")


def test_versions_are_quoted(fakes: FakeScan) -> None:
    scan, ports = fakes.outcome, fakes.lab.ports
    mysql = note_of(scan, ports["mysql"])
    assert mysql.endswith("Its banner:\n\n5.5.5-10.11.6-MariaDB-0+deb12u1\n")
    refused = note_of(scan, ports["mysql_refused"])
    assert refused.endswith(
        "\n\nHost '127.0.0.1' is not allowed to connect to this MariaDB server\n"
    )
    assert scan.get(f"SSH/banner/{ports['slow_ssh']}") == "SSH-2.0-Drip_1.0"


@pytest.mark.parametrize("name", MISBEHAVING)
def test_a_misbehaving_service_ends_with_a_reason(fakes: FakeScan, name: str) -> None:
    port, scan = fakes.lab.ports[name], fakes.outcome
    assert port in scan.values("Services/unknown")
    assert f"Known/tcp/{port}" not in scan.kb
    assert MISBEHAVING[name][1] in failure_of(scan, port)


def test_misbehaving_services_cost_bounded_time(fakes: FakeScan) -> None:
    # Banner wait 0.5 s: the slowest plan (a reset on each of ten connections, 0.2 s each,
    # after the greeting wait) takes about 3 s; without bounds the flood alone never ends.
    assert fakes.seconds < 15
    flood = fakes.lab.ports["flood"]
    assert note_of(fakes.outcome, flood).endswith(
        " [...]\n"
    )  # the report quotes 1 KiB of it, no more


def test_a_port_over_its_time_budget_ends_alone() -> None:
    services = {"silent": BannerService(b""), "vnc": BannerService(fake.VNC_GREETING)}
    budget = {"Services[entry]:Time per port (seconds)": "1"}
    with Lab(services) as lab:
        scan = run_plugins(lab.ports.values(), ["tcp_scanner", "find_service"], preferences=budget)
        silent, vnc = lab.ports["silent"], lab.ports["vnc"]
    assert failure_of(scan, silent).endswith("all: gave up after 1 s")
    assert silent in scan.values("Services/unknown")
    assert name_of(scan, vnc) == "vnc"


def test_a_surprise_in_one_port_leaves_the_others_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def picky(data: bytes, probe: Probe) -> str | None:
        if data.startswith(b"RFB"):
            raise RuntimeError("a bug in a rule")
        return recognise(data, probe)

    monkeypatch.setattr(find_service, "recognise", picky)
    services = {
        "vnc": BannerService(fake.VNC_GREETING),
        "mysql": BannerService(fake.MYSQL_GREETING),
    }
    with Lab(services) as lab:
        scan = run_plugins(lab.ports.values(), ["tcp_scanner", "find_service"])
        vnc, mysql = lab.ports["vnc"], lab.ports["mysql"]
    assert failure_of(scan, vnc) == "all: RuntimeError: a bug in a rule"
    assert name_of(scan, mysql) == "mysql"
    assert scan.get("ixion/find_service/done") == 1
