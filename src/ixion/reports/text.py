"""The plain-text report (``-T text``, spec §9.5): a summary, the tested hosts, then details.

The layout follows the reference client's: SUMMARY (hosts alive, findings by severity),
TESTED HOSTS (each with its worst finding), DETAILS per host (open ports, then every finding
under its port), and a footer. It is meant to be read, not parsed; use NBE for that.

The same results always give the same text: hosts are sorted (IPv4 by address, then IPv6,
then names), ports keep their arrival order, findings on a port go from the most to the
least serious and then by arrival. Like the reference client, a host counts as alive when
it reported an open port or a finding. Finding texts are wrapped at 80 columns, their own
line breaks kept.
"""

from __future__ import annotations

import ipaddress
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.reports.results import (
    Finding,
    HostsRejected,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["text_report"]

WIDTH: Final = 80
_INDENT: Final = "    "

#: Most serious first; the order of the summary and of findings under a port.
_RANKED: Final = (Severity.HOLE, Severity.WARNING, Severity.NOTE, Severity.LOG, Severity.DEBUG)
#: Severities that mark a host or a port as having a problem.
_PROBLEMS: Final = (Severity.HOLE, Severity.WARNING, Severity.NOTE)
_SINGULAR: Final = {
    Severity.HOLE: "Security hole",
    Severity.WARNING: "Security warning",
    Severity.NOTE: "Security note",
    Severity.LOG: "Log message",
    Severity.DEBUG: "Debug message",
}
_PLURAL: Final = {severity: word.lower() + "s" for severity, word in _SINGULAR.items()}

_WRAPPER: Final = textwrap.TextWrapper(
    width=WIDTH,
    initial_indent=_INDENT,
    subsequent_indent=_INDENT,
    break_long_words=False,
    break_on_hyphens=False,
)


def text_report(results: ScanResults) -> str:
    """The report as text, ending with a newline."""
    hosts = sorted(_hosts(results), key=lambda h: _host_order(h.name))
    sections = [
        _title(results),
        _summary(results, len(hosts)),
        _tested_hosts(hosts),
        _details(hosts),
        _not_tested(results),
        _footer(),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


@dataclass(slots=True)
class _Host:
    """One reporting host's share of the results, gathered in a single pass."""

    name: str
    #: Each open port once, in arrival order (a dict as an ordered set).
    open_ports: dict[str, None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    times: list[Timestamp] = field(default_factory=list)


def _hosts(results: ScanResults) -> list[_Host]:
    hosts = {name: _Host(name) for name in results.reporting_hosts}
    for event in results.events:
        match event:
            case OpenPort(host=name, port=port) if name in hosts:
                hosts[name].open_ports[port] = None
            case Finding(host=name) if name in hosts:
                hosts[name].findings.append(event)
            case Timestamp(host=str() as name) if name in hosts:
                hosts[name].times.append(event)
    return list(hosts.values())


def _title(results: ScanResults) -> list[str]:
    lines = ["ixion scan report", "================="]
    scan_times = _times(t for t in results.timestamps if t.host is None)
    if scan_times:
        lines.append("")
        lines.extend(f"{label} : {when}" for label, when in scan_times)
    return lines


def _summary(results: ScanResults, alive: int) -> list[str]:
    lines = ["SUMMARY", "", f" - Hosts alive during the scan : {alive}"]
    for severity in _RANKED:
        count = results.count(severity)
        if count or severity in _PROBLEMS:
            lines.append(f" - {_PLURAL[severity].capitalize()} found : {count}")
    return lines


def _tested_hosts(hosts: list[_Host]) -> list[str]:
    lines = ["TESTED HOSTS", ""]
    for host in hosts:
        worst = _worst(host.findings)
        status = f"{_PLURAL[worst]} found" if worst else "no problem found"
        lines.append(f" {host.name} ({status})")
    if not hosts:
        lines.append(" (none)")
    return lines


def _details(hosts: list[_Host]) -> list[str]:
    if not hosts:
        return []
    lines = ["DETAILS"]
    for host in hosts:
        lines.append("")
        lines.extend(_host_details(host))
    return lines


def _host_details(host: _Host) -> Iterator[str]:
    yield f"+ {host.name} :"
    for label, when in _times(host.times):
        yield f" . {label} : {when}"
    if not host.open_ports:
        yield " . Open ports : none reported"
    else:
        yield " . Open ports :"
        for port in host.open_ports:
            worst = _worst(f for f in host.findings if f.port == port)
            yield f"   o {port} ({_PLURAL[worst]} found)" if worst else f"   o {port}"
    by_port: dict[str, list[Finding]] = {port: [] for port in host.open_ports}
    for finding in host.findings:
        by_port.setdefault(finding.port, []).append(finding)
    for on_port in by_port.values():
        for finding in sorted(on_port, key=lambda f: _RANKED.index(f.severity)):
            yield from _finding(finding)


def _finding(finding: Finding) -> Iterator[str]:
    plugin = f", plugin {finding.plugin_id}" if finding.plugin_id else ""
    yield ""
    yield f" . {_SINGULAR[finding.severity]} on {finding.port}{plugin} :"
    yield ""
    yield from _wrapped(finding.text)


def _wrapped(text: str) -> Iterator[str]:
    """The text indented and wrapped, its own line breaks kept, trailing blank lines not."""
    body = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    for line in body.split("\n"):
        yield from _WRAPPER.wrap(line) or [""]


def _not_tested(results: ScanResults) -> list[str]:
    rejected = results.rejected_hosts
    if not rejected:
        return []
    lines = ["HOSTS NOT TESTED", "", " The server's rules do not allow this user to test:"]
    lines.extend(f"   o {host}" for host in rejected)
    if any(isinstance(e, HostsRejected) and e.truncated for e in results.events):
        lines.append("   o ... (the server cut the list short)")
    return lines


def _footer() -> list[str]:
    return ["-" * WIDTH, "This report was generated by ixion."]


# --- helpers ---------------------------------------------------------------------------------

_TIME_LABELS: Final = {
    TimestampKind.SCAN_START: "Scan started",
    TimestampKind.SCAN_END: "Scan ended",
    TimestampKind.HOST_START: "Test started",
    TimestampKind.HOST_INTERRUPTED: "Test interrupted",
    TimestampKind.HOST_END: "Test ended",
}


def _times(timestamps: Iterable[Timestamp]) -> list[tuple[str, str]]:
    return [(_TIME_LABELS[t.kind], t.when) for t in timestamps]


def _worst(findings: Iterable[Finding]) -> Severity | None:
    present = {f.severity for f in findings}
    return next((s for s in _PROBLEMS if s in present), None)


def _host_order(host: str) -> tuple[int, int, str]:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (2, 0, host)
    return (0 if address.version == 4 else 1, int(address), host)
