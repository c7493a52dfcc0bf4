"""``up`` and ``down``: the whole lab, started in parallel and torn down by name.

``up`` first tears down whatever is there (a running lab or a killed run's leftovers), then
makes certificates and secrets, the network, and runs every service's ``prepare`` and start
in a thread pool (the slow parts, ``initdb`` and ``mariadb-install-db``, overlap), then
waits until every probe answers. Daemons are started in their own sessions with a clean
environment, so they outlive the command that started them.
"""

from __future__ import annotations

import datetime
import secrets
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tests.netlab._certs import make_ca, make_server_cert
from tests.netlab._daemon import Daemon, HostSetup
from tests.netlab._dns import prepare_named
from tests.netlab._ftp import prepare_vsftpd
from tests.netlab._hosts import HOSTS, Host
from tests.netlab._kv import prepare_memcached, prepare_redis
from tests.netlab._mail import prepare_postfix
from tests.netlab._manifest import MANIFEST, DaemonRecord, HostRecord, Manifest
from tests.netlab._netns import create_topology, destroy_topology, netns_argv
from tests.netlab._probes import answers
from tests.netlab._snmp import prepare_snmpd
from tests.netlab._sql import prepare_mariadb, prepare_postgres
from tests.netlab._ssh import prepare_sshd
from tests.netlab._web import prepare_apache, prepare_nginx

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["SERVICES", "LabStartError", "down", "up"]

SERVICES: Final[Mapping[str, Callable[[HostSetup], list[Daemon]]]] = {
    "nginx": prepare_nginx,
    "apache": prepare_apache,
    "vsftpd": prepare_vsftpd,
    "postfix": prepare_postfix,
    "sshd": prepare_sshd,
    "redis": prepare_redis,
    "memcached": prepare_memcached,
    "named": prepare_named,
    "snmpd": prepare_snmpd,
    "postgresql": prepare_postgres,
    "mariadb": prepare_mariadb,
}
#: How long every daemon together gets to answer.
READY_TIMEOUT: Final = 60.0
LOG_TAIL: Final = 25
_ENV: Final = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/"}


class LabStartError(RuntimeError):
    """A daemon failed to start or to answer; the message holds its log's tail."""


@dataclass(slots=True)
class _Started:
    host: Host
    daemon: Daemon
    process: subprocess.Popen[bytes]
    argv: list[str]
    ready_after: float | None = None


def down(state: Path) -> list[str]:
    """Stop and remove everything of the lab, then its state directory. Idempotent."""
    removed = destroy_topology()
    if state.exists():
        shutil.rmtree(state, ignore_errors=True)
        removed.append(f"state {state}")
    return removed


def up(state: Path, *, log: Callable[[str], None] = print) -> Manifest:
    """Bring the lab up from nothing and return its manifest.

    Raises:
        LabStartError: a daemon exited or did not answer in time (the lab is left as it is,
            for the caller to inspect or tear down).
    """
    begun = time.monotonic()
    removed = down(state)
    if removed:
        log(f"removed an earlier lab: {', '.join(removed)}")
    state.mkdir(mode=0o755, parents=True)
    tls = state / "tls"
    tls.mkdir(mode=0o755)
    ca = make_ca(tls)
    lab_secrets = {
        "redis_password": secrets.token_urlsafe(24),
        "snmp_community": secrets.token_urlsafe(24),
        "postgres_password": secrets.token_urlsafe(24),
    }
    setups = [
        HostSetup(
            host=host,
            root=state / host.name,
            tls=make_server_cert(host, tls, None if host.weak else ca),
            ca_file=tls / "ca.pem",
            secrets=lab_secrets,
        )
        for host in HOSTS
    ]
    create_topology(HOSTS)
    log(f"network ready after {time.monotonic() - begun:.1f} s")
    jobs = [(setup, name) for name in SERVICES for setup in setups]
    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(lambda job: _prepare_and_start(*job), jobs))
    started = [one for batch in batches for one in batch]
    _wait_ready(started, begun)
    seconds = time.monotonic() - begun
    manifest = _manifest(state, setups, started, lab_secrets, seconds)
    manifest.write(state / MANIFEST)
    return manifest


def _prepare_and_start(setup: HostSetup, service: str) -> list[_Started]:
    try:
        daemons = SERVICES[service](setup)
    except (OSError, subprocess.CalledProcessError) as exc:
        lines = [f"{setup.host.name}: preparing {service} failed: {exc}"]
        lines += _tail(setup.root / "logs" / f"{service}.log")
        raise LabStartError("\n".join(lines)) from exc
    return [_start(setup.host, daemon) for daemon in daemons]


def _start(host: Host, daemon: Daemon) -> _Started:
    argv = netns_argv(host.namespace, daemon.argv, daemon.user)
    with daemon.log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**_ENV, **daemon.env},
        )
    return _Started(host, daemon, process, argv)


def _wait_ready(started: list[_Started], begun: float) -> None:
    pending = {id(one): one for one in started}
    deadline = time.monotonic() + READY_TIMEOUT
    while pending:
        for key, one in list(pending.items()):
            if one.process.poll() is not None:
                raise LabStartError(_failure(one, f"exited with status {one.process.returncode}"))
            host = one.host
            if all(answers(p, host.address, host.namespace) for p in one.daemon.probes):
                one.ready_after = time.monotonic() - begun
                del pending[key]
        if pending and time.monotonic() > deadline:
            late = next(iter(pending.values()))
            raise LabStartError(_failure(late, f"did not answer within {READY_TIMEOUT:.0f} s"))
        if pending:
            time.sleep(0.1)


def _failure(one: _Started, what: str) -> str:
    ports = ", ".join(p.place for p in one.daemon.probes)
    lines = [
        f"{one.host.name}: {one.daemon.service} ({ports}) {what}",
        f"  argv: {' '.join(one.argv)}",
    ]
    for log in (one.daemon.log, *one.daemon.extra_logs):
        lines += _tail(log)
    return "\n".join(lines)


def _tail(log: Path) -> list[str]:
    try:
        tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL:]
    except OSError as exc:
        tail = [f"(cannot read: {exc})"]
    return [f"  --- {log} (last {len(tail)} lines)", *(f"  | {line}" for line in tail)]


def _manifest(
    state: Path,
    setups: list[HostSetup],
    started: list[_Started],
    lab_secrets: dict[str, str],
    seconds: float,
) -> Manifest:
    hosts = {
        setup.host.name: HostRecord(
            address=setup.host.address, namespace=setup.host.namespace, weak=setup.host.weak
        )
        for setup in setups
    }
    for one in started:
        hosts[one.host.name].daemons[one.daemon.service] = DaemonRecord(
            pid=one.process.pid,
            probes=list(one.daemon.probes),
            log=str(one.daemon.log),
            ready_after=round(one.ready_after or 0.0, 2),
        )
    return Manifest(
        state_dir=str(state),
        started=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        seconds=round(seconds, 2),
        ca_file=str(state / "tls" / "ca.pem"),
        secrets=lab_secrets,
        hosts=hosts,
    )
