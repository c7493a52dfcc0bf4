"""postgres_trust and mysql_empty_password against a real PostgreSQL and a real MariaDB.

One server of each runs on a 127.0.0.1 port this module picked; each test sets the accounts
it needs (PostgreSQL: ``pg_hba.conf`` and a reload; MariaDB: SQL through the local socket),
so the weak configuration and the hardened ones are all checked against the same daemon.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.qod import QodType
from ixion.plugins.mysql_empty_password import handshake_response, parse_handshake
from ixion.plugins.postgres_trust import startup_message

from .daemons import OPENSSL_REQ, Running, daemon, free_port, owned_dir, tcp_answers
from .helpers import run_plugins

POSTGRES, MYSQL = 90000047, 90000048
PG_PASSWORD = "sql-lab-secret-91ab"


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        pytest.skip("no PostgreSQL server installed")
    return found[-1].parent


def _as_postgres(argv: list[str]) -> None:
    entry = pwd.getpwnam("postgres")
    subprocess.run(argv, check=True, capture_output=True, user=entry.pw_uid, group=entry.pw_gid)


@dataclass
class Postgres:
    port: int
    data: Path
    running: Running

    def use(self, hba: str) -> None:
        """Put ``hba`` in pg_hba.conf and have the server reload it (SIGHUP, as pg_ctl)."""
        (self.data / "pg_hba.conf").write_text(hba)
        os.kill(self.running.process.pid, signal.SIGHUP)
        time.sleep(0.5)  # the postmaster rereads the file between connections


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    bindir = _postgres_bin()
    with owned_dir("postgres") as root:
        data = root / "data"
        _as_postgres(
            [
                str(bindir / "initdb"),
                f"--pgdata={data}",
                "--username=postgres",
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
            ]
        )
        key, cert = data / "server.key", data / "server.crt"
        _as_postgres([*OPENSSL_REQ, "/CN=localhost", "-keyout", str(key), "-out", str(cert)])
        port = free_port()
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(root),
            "ssl": "on",
            "fsync": "off",
            "max_connections": "10",
            "shared_buffers": "16MB",
        }
        argv: list[str | Path] = [bindir / "postgres", "-D", data]
        for name, value in options.items():
            argv += ["-c", f"{name}={value}"]
        with daemon(argv, ready=tcp_answers(port), log=root / "log", user="postgres") as running:
            psql = [str(bindir / "psql"), "-h", str(root), "-p", str(port), "-U", "postgres"]
            _as_postgres([*psql, "-c", f"ALTER ROLE postgres PASSWORD '{PG_PASSWORD}'"])
            yield Postgres(port, data, running)


def _scan_postgres(port: int) -> list[tuple[Severity, str, str]]:
    kb = KnowledgeBase()
    kb.add("Services/postgresql", port)
    outcome = run_plugins([port], ["postgres_trust"], kb=kb)
    return [(f.severity, f.qod_type, f.text) for f in outcome.findings(plugin_id=POSTGRES)]


def test_postgres_trusting_the_network_is_a_hole(postgres: Postgres) -> None:
    postgres.use("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    [(severity, qod_type, text)] = _scan_postgres(postgres.port)
    assert severity is Severity.HOLE
    assert qod_type == QodType.EXPLOIT.value
    assert "let the superuser 'postgres' log in without a password" in text
    assert "Server version: 15." in text
    assert "Solution: in pg_hba.conf, replace 'trust'" in text


def test_postgres_trusting_tls_clients_only_is_found_over_tls(postgres: Postgres) -> None:
    postgres.use("local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
    [(severity, _, text)] = _scan_postgres(postgres.port)
    assert severity is Severity.HOLE
    assert "log in over TLS without a password" in text


def test_postgres_asking_for_scram_gets_a_note(postgres: Postgres) -> None:
    postgres.use("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
    [(severity, _, text)] = _scan_postgres(postgres.port)
    assert severity is Severity.NOTE
    assert "asks the user 'postgres' for SASL (SCRAM-SHA-256" in text


def test_postgres_asking_for_md5_gets_a_note(postgres: Postgres) -> None:
    postgres.use("local all all trust\nhost all all 127.0.0.1/32 md5\n")
    [(severity, _, text)] = _scan_postgres(postgres.port)
    assert severity is Severity.NOTE
    # With a SCRAM verifier stored, the md5 method runs SCRAM; either is a password.
    assert "asks the user 'postgres' for" in text


def test_postgres_refusing_the_address_is_not_reported(postgres: Postgres) -> None:
    postgres.use("local all all trust\nhost all all 127.0.0.1/32 reject\n")
    assert _scan_postgres(postgres.port) == []


def test_startup_message_is_length_prefixed_protocol_3() -> None:
    message = startup_message("postgres", "db")
    assert int.from_bytes(message[:4], "big") == len(message)
    assert message[4:8] == b"\x00\x03\x00\x00"
    assert message.endswith(b"database\0db\0application_name\0ixion\0\0")


# --- MariaDB -----------------------------------------------------------------------------------


@dataclass
class MariaDb:
    port: int
    socket: Path

    def sql(self, statements: str) -> None:
        """Run ``statements`` as root through the local socket (unix_socket login)."""
        subprocess.run(
            ["mariadb", "--no-defaults", "-S", str(self.socket), "-u", "root", "-e", statements],
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDb]:
    with owned_dir("mysql") as root:
        data = root / "data"
        sizes = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M"]
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                "--user=mysql",
                f"--datadir={data}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                *sizes,
            ],
            check=True,
            capture_output=True,
        )
        port, sock = free_port(), root / "mysqld.sock"
        argv = [
            "mariadbd",
            "--no-defaults",
            "--user=mysql",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--pid-file={root}/mysqld.pid",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            *sizes,
        ]
        with daemon(argv, ready=tcp_answers(port), log=root / "log"):
            yield MariaDb(port, sock)


def _scan_mysql(port: int) -> list[tuple[Severity, str, str]]:
    kb = KnowledgeBase()
    kb.add("Services/mysql", port)
    outcome = run_plugins([port], ["mysql_empty_password"], kb=kb)
    return [(f.severity, f.qod_type, f.text) for f in outcome.findings(plugin_id=MYSQL)]


def test_mariadb_root_with_an_empty_password_is_a_hole(mariadb: MariaDb) -> None:
    mariadb.sql("CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '';")
    [(severity, qod_type, text)] = _scan_mysql(mariadb.port)
    assert severity is Severity.HOLE
    assert qod_type == QodType.EXPLOIT.value
    assert "let 'root' log in with an empty password" in text
    assert "Server version: 10.11." in text


def test_mariadb_root_with_a_password_is_not_reported(mariadb: MariaDb) -> None:
    mariadb.sql("CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY 'sql-lab-pw';")
    assert _scan_mysql(mariadb.port) == []


def test_mariadb_without_a_remote_root_is_not_reported(mariadb: MariaDb) -> None:
    mariadb.sql("DROP USER IF EXISTS 'root'@'127.0.0.1';")
    assert _scan_mysql(mariadb.port) == []


def test_mariadb_switching_to_native_password_with_an_empty_one_is_a_hole(
    mariadb: MariaDb,
) -> None:
    """unix_socket cannot work over TCP, so the server switches the login to its second
    plugin with an AuthSwitchRequest, which is followed."""
    mariadb.sql(
        "CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED VIA unix_socket "
        "OR mysql_native_password USING PASSWORD('');"
    )
    try:
        found = _scan_mysql(mariadb.port)
    finally:
        mariadb.sql("DROP USER IF EXISTS 'root'@'127.0.0.1';")
    assert [severity for severity, _, _ in found] == [Severity.HOLE]


def test_mariadb_ed25519_is_not_answered(mariadb: MariaDb) -> None:
    """ed25519 signs with a key made from the password even when it is empty: not tried
    (a known blind spot), and certainly not reported as a login."""
    try:
        mariadb.sql("INSTALL SONAME 'auth_ed25519';")
    except subprocess.CalledProcessError:
        pytest.skip("MariaDB's ed25519 plugin is not installed")
    mariadb.sql(
        "CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('');"
    )
    try:
        assert _scan_mysql(mariadb.port) == []
    finally:
        mariadb.sql("DROP USER IF EXISTS 'root'@'127.0.0.1';")


def test_parse_handshake_reads_version_and_plugin() -> None:
    payload = (
        b"\x0a5.5.5-10.11.6-MariaDB\0"
        + b"\x01\0\0\0"
        + b"abcdefgh\0"
        + (0xF7FE).to_bytes(2, "little")
        + b"\x21\x02\0"
        + (0x81BF).to_bytes(2, "little")
        + b"\x15"
        + b"\0" * 10
        + b"ijklmnopqrst\0"
        + b"mysql_native_password\0"
    )
    handshake = parse_handshake(payload)
    assert handshake is not None
    assert handshake.version == "10.11.6-MariaDB"
    assert handshake.plugin == b"mysql_native_password"
    assert parse_handshake(b"\xffnope") is None


def test_handshake_response_names_root_with_an_empty_answer() -> None:
    response = handshake_response("root")
    assert response[32:] == b"root\0\0mysql_native_password\0"
