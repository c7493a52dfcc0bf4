"""What ``ixion scan`` was asked to do, checked and typed, and what it exits with.

:mod:`ixion.app.command` builds a :class:`ScanRequest` from the command line; the embedded
scan (:mod:`ixion.app.run`) or a scan through a server (:mod:`ixion.app.remote`) carries it
out and answers with an :class:`ExitStatus`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ixion.app.outputs import ReportOutput
    from ixion.app.setup import ScanChoices
    from ixion.reports.results import Severity

__all__ = ["ExitStatus", "RemoteServer", "ScanRequest"]


class ExitStatus(enum.IntEnum):
    """What ``ixion scan`` exits with; CI jobs rely on these."""

    #: The scan ran; nothing at or above ``--fail-on`` (or no ``--fail-on``).
    OK = 0
    #: The scan ran and found something at or above ``--fail-on``.
    FINDINGS = 1
    #: The command line is wrong (click's own status for usage errors).
    USAGE = 2
    #: The scan, a host's scan or a report could not be made.
    SCAN_ERROR = 3
    #: Stopped by Ctrl-C (SIGINT) or SIGTERM; what was found was written.
    INTERRUPTED = 130


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteServer:
    """``--server``: an ixiond or nessusd to run the scan, and the account to log in as."""

    host: str
    port: int
    #: False for a server in plain text (``ssl_version = NONE``).
    tls: bool
    user: str
    #: Read from a file or the environment, never from the command line.
    password: str = field(repr=False)
    #: The CA that signed the server's certificate (``--server-ca``); None: the system's.
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanRequest:
    """An ``ixion scan`` command line, checked and typed."""

    targets: str
    #: How many hosts the targets stand for (for progress).
    host_count: int
    choices: ScanChoices
    outputs: Sequence[ReportOutput]
    host_timeout: float | None = None
    #: The per-host rate cap (``--max-rate``); None: the scanners' own defaults.
    max_rate: int | None = None
    fail_on: Severity | None = None
    quiet: bool = False
    verbose: bool = False
    log_file: Path | None = None
    #: Preferences given with ``--set``, applied after everything else.
    extra: tuple[tuple[str, str], ...] = ()
    #: Scan through this server instead of the embedded engine.
    server: RemoteServer | None = None
