"""What every service module gives the lab: daemons to start and how to tell they are up.

A service module has ``prepare(setup) -> list[Daemon]``: it writes its configuration (and
initialises data, e.g. ``initdb``) under the host's state directory, and returns the
daemons to start inside the host's namespace. The lab starts them all, then waits for their
:class:`Probe` to answer.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tests.netlab._certs import ServerCert
    from tests.netlab._hosts import Host

__all__ = ["Daemon", "HostSetup", "Probe", "ProbeKind", "chown"]

#: ``connect``: a TCP connection; ``dns`` / ``snmp`` / ``memcached``: a UDP request that
#: must be answered; ``inside``: a TCP connection to 127.0.0.1 from inside the namespace
#: (for a service kept off the lab network on purpose).
ProbeKind = Literal["connect", "dns", "snmp", "memcached", "inside"]


@dataclass(frozen=True, slots=True)
class Probe:
    """How to tell a daemon answers on one port."""

    proto: Literal["tcp", "udp"]
    port: int
    kind: ProbeKind = "connect"
    #: The SNMP community to ask with (``snmp`` probes only).
    community: str = ""

    @property
    def place(self) -> str:
        """``tcp/80``; ``tcp/11211@lo`` for a port open only inside the namespace."""
        return f"{self.proto}/{self.port}" + ("@lo" if self.kind == "inside" else "")


@dataclass(frozen=True, slots=True)
class Daemon:
    """A process to run in the host's namespace, in the foreground, logging to ``log``."""

    service: str
    argv: tuple[str, ...]
    probes: tuple[Probe, ...]
    log: Path
    #: Run as this account (with its groups); None: as root (the daemon drops privileges).
    user: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    #: Other files worth showing when the daemon fails (its own error log).
    extra_logs: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class HostSetup:
    """A host's place in the state directory, its TLS files and the lab's secrets."""

    host: Host
    root: Path
    tls: ServerCert
    ca_file: Path
    secrets: Mapping[str, str]

    def dir(self, name: str, owner: str | None = None, mode: int = 0o755) -> Path:
        """``<root>/<name>``, created with this mode and owner (root when None)."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
        if owner is not None:
            chown(path, owner)
        return path

    def log(self, name: str) -> Path:
        """``<root>/logs/<name>.log``: the daemon's standard output and error."""
        return self.dir("logs") / f"{name}.log"


def chown(path: Path, owner: str) -> None:
    """Give ``path`` to an account and its primary group."""
    entry = pwd.getpwnam(owner)
    os.chown(path, entry.pw_uid, entry.pw_gid)
