"""``ixion scan``: the command line, read into a request; :mod:`ixion.app.run` runs it.

Everything a user can get wrong is checked here, before a plugin loads or a packet leaves:
the targets against the scope's limits (:mod:`ixion.app.scope`), the ports
(:mod:`ixion.app.ports`), the report formats, the credentials file. Each mistake is a usage
error (exit status 2) that names the option.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ixion.app.credentials import CredentialsError, read_credentials
from ixion.app.outputs import plan_outputs
from ixion.app.ports import (
    DEFAULT_PORTS,
    DEFAULT_TCP_PORTS,
    DEFAULT_UDP_PORTS,
    PortsError,
    nmap_ports,
)
from ixion.app.remote import LoginError, run_remote, server_from_options
from ixion.app.request import RemoteServer, ScanRequest
from ixion.app.run import run_request
from ixion.app.scope import DEFAULT_MAX_TARGETS, ScopeError, check_targets
from ixion.app.setup import DEFAULT_PLUGINS, ScanChoices
from ixion.plugin_api.ports import system_services
from ixion.reports.formats import UnknownFormatError, report_formats
from ixion.reports.results import Severity
from ixion.server.options import MAX_CHECKS_CAP

if TYPE_CHECKING:
    from ixion.app.outputs import ReportOutput

__all__ = ["scan"]

_DEFAULT_PORTS_TEXT: Final = "\n".join(
    textwrap.wrap(
        f"Default ports: TCP {', '.join(map(str, DEFAULT_TCP_PORTS))}; UDP "
        f"{', '.join(map(str, DEFAULT_UDP_PORTS))}. -p- scans every TCP port.",
        88,
        break_on_hyphens=False,
    )
)
_EPILOG: Final = f"""\b
Examples:
  ixion scan 192.0.2.10                       default ports, every safe check
  ixion scan 192.0.2.0/24 -p 22,80,443 -o lan.html -o lan.json
  ixion scan web1 web2 -p T:1-1024,U:53,161 --plugins 'family:Web Servers'
  ixion scan 10.0.0.5 -p- --plugins-dir /var/lib/openvas/plugins \\
      --credentials creds.toml -o host.nbe --fail-on hole
  ixion scan 192.0.2.10 -q --format sarif > scan.sarif

\b
{_DEFAULT_PORTS_TEXT}

\b
Safety: the targets are the whole scope. Checks that may harm a service do not run unless
--unsafe; addresses that are not one host (0.0.0.0/8, multicast, 240.0.0.0/4 and
255.255.255.255, ::, ff00::/8) are never scanned; more than {DEFAULT_MAX_TARGETS} hosts need
--max-targets. As with ixiond: at most {MAX_CHECKS_CAP} checks at once per host, findings
below --min-qod listed in one note per host, default passwords never tried.

\b
Exit status: 0 the scan ran (nothing at or above --fail-on); 1 something at or above
--fail-on was found; 2 usage error; 3 the scan, a host's scan or a report failed (the
reports are still written when they can be); 130 interrupted (Ctrl-C: the workers are
stopped and what was found is written; Ctrl-C again quits).
"""

_DURATION: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smh]?)")
_UNIT_SECONDS: Final = {"": 1, "s": 1, "m": 60, "h": 3600}
_EXTENSIONS: Final = ", ".join(f.extension for f in report_formats().values())
_FORMAT_NAMES: Final = ", ".join(report_formats())
_SEVERITIES: Final = {"hole": Severity.HOLE, "warning": Severity.WARNING, "note": Severity.NOTE}


class Duration(click.ParamType[float, object]):
    """Seconds, or with a unit: ``90``, ``90s``, ``5m``, ``1.5h``."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            seconds = float(value)
        else:
            match = _DURATION.fullmatch(str(value).strip().lower())
            if match is None:
                self.fail(f"{value!r} is not a duration like 90, 90s, 5m or 1.5h", param, ctx)
            seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
        if seconds < 1:
            self.fail("must be at least a second", param, ctx)
        return seconds


@click.command(
    "scan",
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("targets", nargs=-1, required=True)
@click.option(
    "-p",
    "--ports",
    metavar="PORTS",
    help=(
        "Ports, as nmap takes them: 22,80,443 or 1-1024 or - (all), T:/U: for TCP/UDP, service "
        "names. Default: see below."
    ),
)
@click.option(
    "--plugins",
    "plugin_terms",
    multiple=True,
    metavar="TERMS",
    help=(
        f"Checks to run: all, family:NAME, category:NAME, config:NAME, plugin ids, !TERM to leave "
        f"out; comma-separated or repeated. Default: {DEFAULT_PLUGINS}."
    ),
)
@click.option(
    "--plugins-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=(
        "A NASL feed (and trusted .py plugins) to load besides the built-in checks; descriptions "
        "are cached in $XDG_CACHE_HOME/ixion."
    ),
)
@click.option(
    "--safe/--unsafe",
    "safe",
    default=True,
    help="--unsafe lets checks that may crash or disturb a service run (safe_checks = no).",
)
@click.option(
    "--max-hosts",
    type=click.IntRange(1, 1024),
    help="Hosts scanned at once (ixiond's default: 30).",
)
@click.option(
    "--max-checks",
    type=click.IntRange(1, MAX_CHECKS_CAP),
    help="Checks run at once on one host (default 10).",
)
@click.option(
    "--max-rate",
    type=click.IntRange(1, 100_000),
    metavar="N",
    help=(
        "Per host: the UDP scanner sends at most N datagrams a second, the TCP scanner keeps at "
        "most N connection attempts in flight."
    ),
)
@click.option(
    "--timeout",
    "plugin_timeout",
    type=Duration(),
    help="Longest run of one check (default 320s; port scanners have none).",
)
@click.option(
    "--host-timeout",
    type=Duration(),
    help="Stop a host's scan after this long (its results so far are kept).",
)
@click.option(
    "--max-targets",
    type=click.IntRange(1),
    default=DEFAULT_MAX_TARGETS,
    show_default=True,
    help="Refuse targets that make more hosts than this.",
)
@click.option(
    "--credentials",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "A TOML file of accounts for authenticated checks ([ssh] user, password or private_key "
        "and passphrase) and plugin preferences ([preferences])."
    ),
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A plugin preference ('Plugin[type]:label=value') or an ixiond.conf key, applied last.",
)
@click.option(
    "--min-qod",
    type=click.IntRange(0, 100),
    default=70,
    show_default=True,
    help="Findings of a lower quality of detection are listed in one note per host.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help=(
        f"Write the report to FILE, its format by extension ({_EXTENSIONS}); repeatable; - is "
        "standard output. Default: the text report on standard output."
    ),
)
@click.option(
    "--format",
    "format_name",
    metavar="FORMAT",
    help=(
        "The format for standard output and for -o files without a known extension: "
        f"{_FORMAT_NAMES}."
    ),
)
@click.option(
    "--fail-on",
    type=click.Choice(list(_SEVERITIES)),
    help="Exit with status 1 if a finding of this severity or worse is reported (for CI).",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress: nothing but the report on standard output."
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Show the scan's warnings (plugins that failed, hosts that ended early).",
)
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scan's whole log (what ixiond would log) to this file.",
)
@click.option(
    "--server",
    metavar="URL",
    help=(
        "Run the scan on an ixiond or nessusd instead: [tls://|tcp://]HOST[:PORT] (default "
        "TLS, port 1241). The account comes from --credentials-file or IXION_USER and "
        "IXION_PASSWORD, never the command line."
    ),
)
@click.option(
    "--credentials-file",
    "login_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='With --server: a TOML file with user = "..." and password = "...".',
)
@click.option(
    "--server-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --server: the CA that signed the server's certificate.",
)
def scan(
    targets: tuple[str, ...],
    ports: str | None,
    plugin_terms: tuple[str, ...],
    plugins_dir: Path | None,
    safe: bool,
    max_hosts: int | None,
    max_checks: int | None,
    max_rate: int | None,
    plugin_timeout: float | None,
    host_timeout: float | None,
    max_targets: int,
    credentials: Path | None,
    settings: tuple[str, ...],
    min_qod: int,
    outputs: tuple[str, ...],
    format_name: str | None,
    fail_on: str | None,
    quiet: bool,
    verbose: bool,
    log_file: Path | None,
    server: str | None,
    login_file: Path | None,
    server_ca: Path | None,
) -> None:
    """Scan TARGETS now, on this machine: no daemon, no account, no set-up.

    TARGETS are addresses, names, CIDR networks (192.0.2.0/24), ranges (192.0.2.1-20) or
    octet patterns (192.0.2-3.1-254), as ixiond takes them. Progress goes to standard
    error: a live table on a terminal, plain lines otherwise.
    """
    joined = ",".join(targets)
    try:
        spec = check_targets(joined, max_targets=max_targets)
    except ScopeError as exc:
        raise click.BadParameter(str(exc), param_hint="TARGETS") from None
    terms = _terms(plugin_terms)
    preferences, files = _preferences(credentials)
    request = ScanRequest(
        targets=joined,
        host_count=spec.count(),
        choices=ScanChoices(
            port_range=_port_range(ports),
            plugin_terms=terms,
            plugins_dir=plugins_dir,
            safe_checks=safe,
            max_hosts=max_hosts,
            max_checks=max_checks,
            plugin_timeout=None if plugin_timeout is None else max(1, round(plugin_timeout)),
            max_targets=max_targets,
            min_qod=min_qod,
            preferences=preferences,
            files=files,
        ),
        outputs=_outputs(outputs, format_name),
        host_timeout=host_timeout,
        max_rate=max_rate,
        fail_on=_SEVERITIES[fail_on] if fail_on is not None else None,
        quiet=quiet,
        verbose=verbose,
        log_file=log_file,
        extra=tuple(_setting(text) for text in settings),
        server=_server(server, login_file, server_ca, host_timeout, plugins_dir),
    )
    if request.server is not None:
        sys.exit(int(run_remote(request, request.server)))
    sys.exit(int(run_request(request)))


def _server(
    url: str | None,
    login_file: Path | None,
    ca_file: Path | None,
    host_timeout: float | None,
    plugins_dir: Path | None,
) -> RemoteServer | None:
    """``--server`` and its account, or None for the embedded engine."""
    if url is None:
        if login_file is not None or ca_file is not None:
            raise click.UsageError("--credentials-file and --server-ca go with --server")
        return None
    if host_timeout is not None or plugins_dir is not None:
        raise click.UsageError("--host-timeout and --plugins-dir need the embedded engine")
    try:
        return server_from_options(url, login_file, ca_file)
    except LoginError as exc:
        raise click.BadParameter(str(exc), param_hint="--credentials-file") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--server") from None


def _port_range(ports: str | None) -> str:
    if ports is None:
        return DEFAULT_PORTS
    try:
        return nmap_ports(ports, system_services())
    except PortsError as exc:
        raise click.BadParameter(str(exc), param_hint="-p/--ports") from None


def _terms(given: tuple[str, ...]) -> tuple[str, ...]:
    """``--plugins`` values, each split at commas and semicolons; the default if none."""
    terms = tuple(t.strip() for value in given for t in re.split(r"[,;]", value) if t.strip())
    return terms or (DEFAULT_PLUGINS,)


def _preferences(path: Path | None) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
    if path is None:
        return (), {}
    try:
        found = read_credentials(path)
    except CredentialsError as exc:
        raise click.BadParameter(str(exc), param_hint="--credentials") from None
    return found.preferences, found.files


def _setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise click.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="--set")
    return name.strip(), value.strip()


def _outputs(paths: tuple[str, ...], format_name: str | None) -> list[ReportOutput]:
    try:
        return plan_outputs(paths, format_name)
    except UnknownFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--format") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-o") from None
