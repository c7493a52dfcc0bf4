"""``ixion scan --server URL``: the same command, run by an ixiond or a nessusd over NTP.

The batch client does the talking (:func:`~ixion.client.batch.run_batch_scan`, what ``ixion
-q`` runs): the options become the rc file it would have read, so the server gets the
PREFERENCES, the attached files and the LONG_ATTACK ``ixion -q`` sends. Plugin terms go as
rc entries (``config:full-and-fast = yes``), which ixion's client turns into the ids a
classic nessusd understands. The account comes from ``--credentials-file`` (TOML ``user`` and
``password``) or ``$IXION_USER`` / ``$IXION_PASSWORD``, never from the command line, where
any user of the machine could read it.

Each result is handed over the moment it arrives: the live display counts it, JSON Lines
reports get it at once (with a ``plugin`` line from the server's plugin list before a
plugin's first finding), and the other reports are written at the end, with the facts the
server's plugin list gives (family, CVEs, solution...). Progress is the server's STATUS
lines (its ``-V``). Ctrl-C ends the connection, which stops the scan on the server, and
still writes every report from the results received so far. ``--host-timeout`` needs the
embedded engine; checks and targets are the server's to refuse (its rules).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from typing import TYPE_CHECKING, Final

import click

from ixion.app.outputs import Reports
from ixion.app.plain import QuietDisplay
from ixion.app.progress import ScanProgress
from ixion.app.reporting import (
    HOST_FAILED,
    conclude,
    failed_host,
    make_display,
    scan_logging,
)
from ixion.app.request import ExitStatus, RemoteServer
from ixion.app.setup import rate_preferences
from ixion.client.batch import (
    HUNG_UP,
    BatchError,
    BatchScan,
    read_attachments,
    run_batch_scan,
)
from ixion.client.connection import ConnectionFailed
from ixion.client.rcfile import (
    PLUGIN_SET,
    PLUGINS_PREFS,
    SCANNER_SET,
    SERVER_PREFS,
    RcFile,
    RcSection,
)
from ixion.client.server_access import LoginError, parse_server, read_login
from ixion.engine.loader import builtin_origins, load_plugins
from ixion.reports.results import ScanResults
from ixion.server.options import OPTIONS_BY_NAME

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ixion.app.reporting import Display
    from ixion.app.request import ScanRequest
    from ixion.client.rcfile import RcValue
    from ixion.reports.results import Event, PluginFacts

__all__ = [
    "LoginError",
    "parse_server",
    "rc_for",
    "read_login",
    "run_remote",
    "server_from_options",
]

#: ``-V`` lines of the batch client: ``portscan|host|3|10``, ``attack|host|4|20``.
_STATUS: Final = re.compile(r"(portscan|attack)\|([^|]+)\|(-?[0-9]+)\|(-?[0-9]+)")


def rc_for(request: ScanRequest, server: RemoteServer) -> RcFile:
    """The rc file ``ixion -q`` would have read to run this scan."""
    choices = request.choices
    options: list[tuple[str, RcValue]] = []
    if not server.tls:
        options.append(("ssl_version", "NONE"))
    if server.ca_file is not None:
        options.append(("trusted_ca", str(server.ca_file)))
    prefs: list[tuple[str, RcValue]] = [
        ("port_range", choices.port_range),
        ("safe_checks", choices.safe_checks),
        ("min_qod", str(choices.min_qod)),
    ]
    optional = {
        "max_hosts": choices.max_hosts,
        "max_checks": choices.max_checks,
        "plugins_timeout": choices.plugin_timeout,
    }
    prefs += [(name, str(value)) for name, value in optional.items() if value is not None]
    plugin_prefs: list[tuple[str, RcValue]] = []
    if request.max_rate is not None:
        builtins = load_plugins(builtin_origins()).all
        plugin_prefs += rate_preferences(request.max_rate, (p.info for p in builtins))
    for name, value in (*choices.preferences, *request.extra):
        local = choices.files.get(value) if "[file]:" in name else None
        target = prefs if name in OPTIONS_BY_NAME else plugin_prefs
        target.append((name, local or value))
    terms: list[tuple[str, RcValue]] = [
        (term.removeprefix("!").strip(), not term.startswith("!")) for term in choices.plugin_terms
    ]
    sections = (
        RcSection(name=SERVER_PREFS, items=tuple(prefs)),
        RcSection(name=PLUGINS_PREFS, items=tuple(plugin_prefs)),
        RcSection(name=SCANNER_SET, items=tuple(terms)),
        RcSection(name=PLUGIN_SET, items=tuple(terms)),
    )
    return RcFile(options=tuple(options), sections=sections)


class _StatusLines(io.StringIO):
    """The batch client's ``-V`` lines, turned into progress as they are written."""

    def __init__(self, progress: ScanProgress) -> None:
        super().__init__()
        self._progress = progress

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if match := _STATUS.fullmatch(line.strip()):
                phase, host, current, total = match.groups()
                self._progress.server_status(host, phase, int(current), int(total))
        return len(text)


def run_remote(request: ScanRequest, server: RemoteServer) -> ExitStatus:
    """Run the scan on ``server`` and report it as the embedded scan would."""
    rc = rc_for(request, server)
    try:
        attachments = read_attachments(rc)
        reports = Reports(request.outputs, ())
    except (BatchError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    display: Display = QuietDisplay()
    progress = ScanProgress(
        hosts_expected=request.host_count,
        plugin_name=str,
        tell=lambda host, text: display.tell(host, text),
    )
    where = f"{'tls' if server.tls else 'tcp'}://{server.host}:{server.port}"
    display = make_display(request, progress, [f"scanning {request.targets} through {where}"])
    scan = BatchScan(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        targets=request.targets,
        rc=rc,
        attachments=attachments,
        verbose=True,
    )
    received = _Received(reports, progress)
    display.start()
    try:
        with scan_logging(request, display):
            results = asyncio.run(
                run_batch_scan(
                    scan,
                    progress=_StatusLines(progress),
                    observe=received.add,
                    trouble=received.trouble,
                )
            )
    except KeyboardInterrupt:
        display.stop()
        click.echo("ixion: interrupted; the server stops the scan as the connection ends", err=True)
        return conclude(request, reports, display, received.results, interrupted=True)
    except (BatchError, ConnectionFailed, OSError) as exc:
        reports.close()
        display.stop()
        click.echo(f"ixion: {where}: {exc}", err=True)
        return ExitStatus.SCAN_ERROR
    display.stop()
    return conclude(
        request, reports, display, results, interrupted=False, failures=received.failures
    )


class _Received:
    """The results as they arrive: counted, streamed, and kept for a report after Ctrl-C."""

    def __init__(self, reports: Reports, progress: ScanProgress) -> None:
        self._reports = reports
        self._progress = progress
        self._events: list[Event] = []
        self._facts: dict[str, PluginFacts] = {}
        #: Why the scan is not whole: hosts that failed, a server that hung up.
        self.failures: list[str] = []

    def add(self, event: Event, facts: PluginFacts | None) -> None:
        self._events.append(event)
        if facts is not None:
            self._facts.setdefault(facts.id, facts)
        self._reports.add(event, facts)
        self._progress.record(event)

    def trouble(self, text: str) -> None:
        """An ERROR from the server (already on standard error), or its hanging up."""
        failed = failed_host(text)
        if failed is not None:  # shown as the embedded scan shows it, in the host's row
            host, cause = failed
            self._progress.stopping(host, f"failed: {cause}")
        if text == HUNG_UP or text.startswith(HOST_FAILED):
            self.failures.append(text)

    @property
    def results(self) -> ScanResults:
        return ScanResults(events=tuple(self._events), plugins=tuple(self._facts.values()))


def server_from_options(
    url: str,
    login_file: Path | None,
    ca_file: Path | None,
    environ: Mapping[str, str] | None = None,
) -> RemoteServer:
    """``--server``, ``--credentials-file`` and ``--server-ca`` as one value.

    Raises:
        ValueError: the URL does not parse (:class:`LoginError`: no account).
    """
    host, port, tls = parse_server(url)
    user, password = read_login(login_file, os.environ if environ is None else environ)
    return RemoteServer(
        host=host, port=port, tls=tls, user=user, password=password, ca_file=ca_file
    )
