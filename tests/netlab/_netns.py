"""Network namespaces, the bridge and veth pairs, and the processes running in them.

Everything here goes through ``ip`` (iproute2). Teardown is by name prefix, so it also
removes what a killed earlier run left behind, and it is idempotent: each step ignores what
is already gone. The processes it kills are exactly those whose network namespace is one of
the lab's (``ip netns pids``): nothing outside the lab's namespaces is ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tests.netlab._hosts import (
    BRIDGE,
    BRIDGE_ADDRESS,
    NS_PREFIX,
    PREFIX_LENGTH,
    SAFE_RANGE,
    VETH_PREFIX,
    Host,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "ETC_NETNS",
    "LabNetworkError",
    "as_user",
    "create_topology",
    "destroy_topology",
    "ip_netns_available",
    "lab_namespaces",
    "namespace_pids",
    "netns_argv",
]

#: ``ip netns exec`` bind-mounts ``/etc/netns/<ns>/<file>`` over ``/etc/<file>``.
ETC_NETNS: Final = Path("/etc/netns")
#: How long daemons get to stop after SIGTERM before SIGKILL.
STOP_GRACE: Final = 6.0


class LabNetworkError(RuntimeError):
    """An ``ip`` command failed, or the lab's range is already in use in the root namespace."""


def _ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise LabNetworkError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def ip_netns_available() -> str | None:
    """None when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("ip") is None:
        return "no ip command (iproute2)"
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"ip netns unavailable: {done.stderr.strip()}"
    return None


def lab_namespaces() -> list[str]:
    """The lab's namespaces that exist now, this run's or a killed run's."""
    names = (line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip())
    return [name for name in names if name.startswith(NS_PREFIX)]


def namespace_pids(namespace: str) -> list[int]:
    """Every process whose network namespace is this one (zombies are not listed)."""
    out = _ip("netns", "pids", namespace, check=False)
    return [int(word) for word in out.split() if word.isdigit()]


def as_user(argv: Sequence[str], user: str | None) -> list[str]:
    """``argv`` run as ``user`` with its groups (``setpriv`` execs: same PID); None: as is."""
    if user is None:
        return list(argv)
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--", *argv]


def netns_argv(namespace: str, argv: Sequence[str], user: str | None = None) -> list[str]:
    """``argv`` run inside ``namespace``, as ``user`` when one is given.

    ``ip netns exec`` and ``setpriv`` both exec, so the process started is the daemon itself
    and its PID is the one to track.
    """
    return ["ip", "netns", "exec", namespace, *as_user(argv, user)]


def create_topology(hosts: Iterable[Host]) -> None:
    """Bridge, namespaces with ``lo`` up, veth pairs and addresses; IPv6 off throughout.

    No namespace gets a default route: a host can reach 198.18.0.0/24 and nothing else.

    Raises:
        LabNetworkError: the range is already used by an interface that is not the lab's, or
            an ``ip`` command fails.
    """
    in_use = _ip("-o", "-4", "addr", "show", "to", str(SAFE_RANGE)).strip()
    if in_use:
        raise LabNetworkError(f"{SAFE_RANGE} is already in use here:\n{in_use}")
    _ip("link", "add", BRIDGE, "type", "bridge")
    _disable_ipv6(BRIDGE)
    _ip("addr", "add", f"{BRIDGE_ADDRESS}/{PREFIX_LENGTH}", "dev", BRIDGE)
    _ip("link", "set", BRIDGE, "up")
    for host in hosts:
        ns = host.namespace
        _ip("netns", "add", ns)
        _in_ns(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
        _in_ns(ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _disable_ipv6(host.veth)
        _ip("link", "set", host.veth, "master", BRIDGE, "up")
        _ip("-n", ns, "addr", "add", f"{host.address}/{PREFIX_LENGTH}", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _write_etc(host)


def _disable_ipv6(interface: str) -> None:
    knob = Path(f"/proc/sys/net/ipv6/conf/{interface}/disable_ipv6")
    if knob.exists():
        knob.write_text("1\n")


def _in_ns(namespace: str, *argv: str) -> None:
    done = subprocess.run(netns_argv(namespace, argv), capture_output=True, text=True)
    if done.returncode != 0:
        raise LabNetworkError(f"in {namespace}: {' '.join(argv)}: {done.stderr.strip()}")


def _write_etc(host: Host) -> None:
    """The host's own resolver (its named) and names, seen only inside its namespace."""
    etc = ETC_NETNS / host.namespace
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "resolv.conf").write_text(
        f"nameserver {host.address}\nsearch lab.test\noptions timeout:1 attempts:1\n"
    )


def destroy_topology() -> list[str]:
    """Stop every process in the lab's namespaces, then remove namespaces, veths and bridge.

    Returns what was removed, for the caller to report. Safe to call when nothing is there.
    """
    removed: list[str] = []
    namespaces = lab_namespaces()
    _stop_processes(namespaces)
    for ns in namespaces:
        _ip("netns", "del", ns, check=False)
        removed.append(f"namespace {ns}")
    for link in _root_links():
        _ip("link", "del", link, check=False)
        removed.append(f"link {link}")
    if ETC_NETNS.is_dir():
        for etc in ETC_NETNS.glob(NS_PREFIX + "*"):
            shutil.rmtree(etc, ignore_errors=True)
    return removed


def _root_links() -> list[str]:
    """The lab's veth ends and bridge in the root namespace (veths before the bridge)."""
    links = []
    for line in _ip("-o", "link", "show").splitlines():
        parts = line.split(":", 2)
        if len(parts) < 3:
            continue
        name = parts[1].strip().split("@", 1)[0]
        if name.startswith(VETH_PREFIX):
            links.append(name)
    if _ip("link", "show", BRIDGE, check=False):
        links.append(BRIDGE)
    return links


def _stop_processes(namespaces: Sequence[str]) -> None:
    """Stop every process of these namespaces: the daemons first, then anything left.

    The top-level processes (whose parent is outside the lab) get SIGTERM first, so that
    each daemon shuts its own children down in order (postgres, for one, takes a child's
    unexpected death for a crash); then stragglers get SIGTERM, and then SIGKILL.
    """
    rounds = ((signal.SIGTERM, True, STOP_GRACE), (signal.SIGTERM, False, 1.0))
    for sig, top_only, grace in (*rounds, (signal.SIGKILL, False, 2.0)):
        pids = [pid for ns in namespaces for pid in namespace_pids(ns)]
        if not pids:
            return
        targets = [pid for pid in pids if _parent(pid) not in pids] if top_only else pids
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not any(namespace_pids(ns) for ns in namespaces):
                return
            time.sleep(0.05)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # ``pid (comm) state ppid ...``; comm may hold spaces and parentheses.
    return int(stat.rpartition(")")[2].split()[1])
