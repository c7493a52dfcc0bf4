"""What runs now: the manifest's daemons, alive or not, and whether their ports answer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.netlab._hosts import HOSTS
from tests.netlab._netns import lab_namespaces, namespace_pids
from tests.netlab._probes import answers

if TYPE_CHECKING:
    from tests.netlab._manifest import Manifest

__all__ = ["alive", "health", "table"]


def alive(pid: int) -> bool:
    """A process that exists and has not exited (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def health(manifest: Manifest) -> list[tuple[str, str, str, int, bool, bool]]:
    """``(host, service, ports, pid, alive, answering)`` for every daemon of the manifest."""
    rows = []
    for name, host in manifest.hosts.items():
        for service, daemon in host.daemons.items():
            ok = all(answers(p, host.address, host.namespace) for p in daemon.probes)
            rows.append((name, service, daemon.ports, daemon.pid, alive(daemon.pid), ok))
    return rows


def table(manifest: Manifest | None) -> tuple[str, bool]:
    """A printable status and whether the lab is fully up."""
    namespaces = lab_namespaces()
    if manifest is None:
        if not namespaces:
            return "lab: down", False
        counts = ", ".join(f"{ns}: {len(namespace_pids(ns))} processes" for ns in namespaces)
        return f"lab: not up (no manifest), leftovers: {counts}", False
    lines = [f"lab: up since {manifest.started} (took {manifest.seconds:.1f} s)"]
    for host in HOSTS:
        record = manifest.hosts.get(host.name)
        if record is not None:
            lines.append(f"  {host.name:<9} {record.address:<13} namespace {record.namespace}")
    lines.append(f"  {'host':<9} {'service':<11} {'pid':>7}  {'state':<8} ports")
    healthy = True
    for name, service, ports, pid, is_alive, ok in health(manifest):
        state = "ok" if is_alive and ok else ("silent" if is_alive else "dead")
        healthy &= is_alive and ok
        lines.append(f"  {name:<9} {service:<11} {pid:>7}  {state:<8} {ports}")
    return "\n".join(lines), healthy
