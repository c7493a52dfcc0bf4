"""Redis, memcached, DNS, SNMP, PostgreSQL and MariaDB on both hosts answer as configured."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from tests.netlab._dns import ZONE_RECORDS
from tests.netlab._netns import netns_argv
from tests.netlab._probes import dns_query, memcached_udp_version
from tests.netlab.fixture import NetLab


def _tcp(address: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.sendall(request)
        return sock.recv(4096)


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False, env=env)


def test_redis_auth(netlab: NetLab) -> None:
    assert _tcp(netlab.weak, 6379, b"PING\r\n") == b"+PONG\r\n"
    assert _tcp(netlab.hardened, 6379, b"PING\r\n").startswith(b"-NOAUTH")
    password = netlab.secrets["redis_password"].encode()
    answer = _tcp(netlab.hardened, 6379, b"AUTH " + password + b"\r\nPING\r\n")
    assert answer.startswith(b"+OK\r\n")


def test_memcached_open_on_weak_tcp_and_udp(netlab: NetLab) -> None:
    assert _tcp(netlab.weak, 11211, b"version\r\n").startswith(b"VERSION ")
    assert memcached_udp_version(netlab.weak, timeout=2) is not None


def test_memcached_hardened_only_on_its_loopback(netlab: NetLab) -> None:
    with pytest.raises(ConnectionRefusedError):
        _tcp(netlab.hardened, 11211, b"version\r\n")
    with pytest.raises((ConnectionRefusedError, TimeoutError)):  # ICMP unreachable or silence
        memcached_udp_version(netlab.hardened, timeout=1)
    code = "import socket; s = socket.create_connection(('127.0.0.1', 11211), 2); s.close()"
    argv = netns_argv("ixlab-hardened", ["python3", "-c", code])
    assert subprocess.run(argv, capture_output=True, check=False).returncode == 0


def test_dns_axfr_only_on_weak(netlab: NetLab) -> None:
    weak = _run("dig", "+time=3", "+tries=1", f"@{netlab.weak}", "lab.test", "AXFR")
    for name in ZONE_RECORDS:
        assert f"{name}.lab.test." in weak.stdout
    hardened = _run("dig", "+time=3", "+tries=1", f"@{netlab.hardened}", "lab.test", "AXFR")
    assert "Transfer failed" in hardened.stdout
    assert "intranet" not in hardened.stdout


def test_dns_recursion_only_on_weak(netlab: NetLab) -> None:
    weak = dns_query(netlab.weak, "example.com", 1, recurse=True, timeout=5)
    hardened = dns_query(netlab.hardened, "example.com", 1, recurse=True, timeout=5)
    assert weak is not None
    assert hardened is not None
    assert weak[3] & 0x80  # RA: recursion available
    assert not hardened[3] & 0x80
    assert hardened[3] & 0x0F == 5  # REFUSED


def _snmpget(address: str, community: str) -> subprocess.CompletedProcess[str]:
    oid = "1.3.6.1.2.1.1.5.0"  # sysName
    return _run("snmpget", "-v2c", "-c", community, "-t", "1", "-r", "0", address, oid)


def test_snmp_communities(netlab: NetLab) -> None:
    assert "weak.lab.test" in _snmpget(netlab.weak, "public").stdout
    assert _snmpget(netlab.hardened, "public").returncode != 0
    secret = netlab.secrets["snmp_community"]
    assert "hardened.lab.test" in _snmpget(netlab.hardened, secret).stdout


def _psql(address: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PGCONNECT_TIMEOUT": "5"}
    if password is not None:
        env |= {"PGPASSWORD": password, "PGSSLMODE": "require"}
    argv = ["psql", "-h", address, "-U", "postgres", "-w", "-tAc", "select current_user"]
    return _run(*argv, env=env)


def test_postgresql_trust_on_weak_and_scram_on_hardened(netlab: NetLab) -> None:
    assert _psql(netlab.weak).stdout.strip() == "postgres"
    refused = _psql(netlab.hardened)
    assert refused.returncode != 0
    assert "password" in refused.stderr
    assert _psql(netlab.hardened, netlab.secrets["postgres_password"]).stdout.strip() == (
        "postgres"
    )


def _mysql(address: str) -> subprocess.CompletedProcess[str]:
    argv = ["mysql", "--no-defaults", "-h", address, "-u", "root", "--connect-timeout=5"]
    return _run(*argv, "-N", "-e", "select current_user()")


def test_mariadb_empty_root_password_on_weak_only(netlab: NetLab) -> None:
    assert _mysql(netlab.weak).stdout.strip() == "root@%"
    refused = _mysql(netlab.hardened)
    assert refused.returncode != 0
    assert "not allowed to connect" in refused.stderr
