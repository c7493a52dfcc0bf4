"""``lab.json`` in the state directory: what ``up`` started, where, and the lab's secrets.

``status``, ``down`` and the pytest fixture read it; it is written last by ``up``, so its
presence means the lab came up completely (``down`` does not need it: it finds the lab's
processes by namespace).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

from tests.netlab._daemon import Probe

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MANIFEST", "DaemonRecord", "HostRecord", "Manifest", "read_manifest"]

MANIFEST: Final = "lab.json"


@dataclass(frozen=True, slots=True)
class DaemonRecord:
    pid: int
    probes: list[Probe]
    log: str
    #: Seconds from the start of ``up`` until its probes answered.
    ready_after: float

    @property
    def ports(self) -> str:
        """``tcp/80 tcp/443``: where the daemon answers."""
        return " ".join(probe.place for probe in self.probes)


@dataclass(frozen=True, slots=True)
class HostRecord:
    address: str
    namespace: str
    weak: bool
    daemons: dict[str, DaemonRecord] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Manifest:
    state_dir: str
    started: str
    seconds: float
    ca_file: str
    #: ``redis_password``, ``snmp_community``, ``postgres_password`` (hardened host).
    secrets: dict[str, str]
    hosts: dict[str, HostRecord]

    def write(self, path: Path) -> None:
        path.touch(mode=0o600)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


def read_manifest(state: Path) -> Manifest | None:
    """The manifest of a lab that came up, or None (never started, failed, torn down, or
    written by an older version of this code: such a lab is treated as not up)."""
    try:
        return _manifest(json.loads((state / MANIFEST).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _manifest(raw: dict[str, Any]) -> Manifest:
    hosts = {
        name: HostRecord(
            address=host["address"],
            namespace=host["namespace"],
            weak=host["weak"],
            daemons={k: _daemon(v) for k, v in host["daemons"].items()},
        )
        for name, host in raw["hosts"].items()
    }
    return Manifest(
        state_dir=raw["state_dir"],
        started=raw["started"],
        seconds=raw["seconds"],
        ca_file=raw["ca_file"],
        secrets=raw["secrets"],
        hosts=hosts,
    )


def _daemon(raw: dict[str, Any]) -> DaemonRecord:
    probes = [Probe(**probe) for probe in raw["probes"]]
    return DaemonRecord(raw["pid"], probes, raw["log"], raw["ready_after"])
