"""A scan's results read in a terminal: what ``ixion report show`` prints.

First a headline and a table of the hosts, each with its findings counted by severity and
its open ports; then every finding, most severe first, with its plugin's name and family
where the record knows them, its references and its quality of detection.

On a terminal this is drawn with rich, in colour unless ``NO_COLOR`` is set (rich reads it,
and ``TERM=dumb``); anywhere else (a pipe, a file) it is the same content as plain text with
no table rules and no line wrapping, for grep and diff.

Everything shown came from the scanned hosts, so it is shown, never obeyed: rich's markup is
off, and characters that would steer the terminal (escape sequences, other control
characters, bidi overrides, bytes that were not UTF-8) are shown as escapes such as ``\\x1b``.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import TYPE_CHECKING, Final

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ixion.reports.details import finding_details, port_details
from ixion.reports.results import Finding, OpenPort, Severity, Timestamp, TimestampKind

if TYPE_CHECKING:
    from typing import TextIO

    from ixion.reports.results import PluginFacts, ScanResults

__all__ = ["MAX_SHOWN_CHARS", "MAX_SHOWN_LINES", "make_console", "printable", "show_results"]

#: Most severe first: the order of the table's columns and of the findings.
_SEVERITIES: Final = (
    Severity.HOLE,
    Severity.WARNING,
    Severity.NOTE,
    Severity.LOG,
    Severity.DEBUG,
)
#: The three nessus had, always shown; log and debug only when there are some.
_ALWAYS_COUNTED: Final = (Severity.HOLE, Severity.WARNING, Severity.NOTE)
_STYLES: Final = {
    Severity.HOLE: "bold red",
    Severity.WARNING: "yellow",
    Severity.NOTE: "cyan",
    Severity.LOG: "dim",
    Severity.DEBUG: "dim",
}
#: How much of one finding's text is shown unless asked for all of it: plugin texts are a
#: few lines, but a banner can be a mebibyte, which would bury every other finding.
MAX_SHOWN_LINES: Final = 40
MAX_SHOWN_CHARS: Final = 4000
_INDENT: Final = "    "

#: C0 and C1 controls but LF and TAB; format characters that reorder or hide text (bidi
#: overrides and isolates, zero-width ones, the BOM, tags); line and paragraph separators;
#: lone surrogates, which stand for bytes that were not UTF-8.
_UNPRINTABLE: Final = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with everything that is not shown as itself written as an escape."""
    return _UNPRINTABLE.sub(_escape, text)


def make_console(file: TextIO | None = None) -> Console:
    """A console on ``file`` (standard output by default) that takes text as it is."""
    console = Console(file=file, highlight=False, markup=False, emoji=False)
    # Plain text elsewhere: a line is a line, whatever the width a terminal would have.
    console.soft_wrap = not console.is_terminal
    return console


def show_results(
    results: ScanResults,
    console: Console,
    *,
    title: str,
    summary_only: bool = False,
    full: bool = False,
) -> None:
    """Print the summary of ``results`` and, unless ``summary_only``, its findings."""
    counted = tuple(s for s in _SEVERITIES if s in _ALWAYS_COUNTED or results.count(s) > 0)
    console.print(_headline(results, title, counted))
    for line in _scan_times(results):
        console.print(line)
    console.print(_host_table(results, counted, plain=not console.is_terminal))
    if results.rejected_hosts:
        refused = ", ".join(printable(h) for h in results.rejected_hosts)
        console.print(Text(f"Not tested (the server's rules refused them): {refused}"))
    if summary_only:
        return
    findings = sorted(results.findings, key=_finding_order)
    if not findings:
        console.print(Text("No findings."))
        return
    console.print()
    console.print(Text("Findings, most severe first", style="bold underline"))
    for finding in findings:
        console.print()
        console.print(_finding(finding, results.plugin(finding.plugin_id), full=full))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _headline(results: ScanResults, title: str, counted: tuple[Severity, ...]) -> Text:
    hosts = _hosts(results)
    counts = ", ".join(_plural(results.count(s), s.value) for s in counted)
    line = Text(printable(title), style="bold")
    line.append(f": {_plural(len(hosts), 'host')}, ")
    line.append(f"{_plural(len(results.findings), 'finding')} ({counts}), ")
    line.append(_plural(len(results.open_ports), "open port"))
    return line


def _scan_times(results: ScanResults) -> list[Text]:
    labels = {TimestampKind.SCAN_START: "Scan started", TimestampKind.SCAN_END: "Scan ended"}
    return [
        Text(f"{labels[t.kind]}: {printable(t.when)}", style="dim")
        for t in results.timestamps
        if t.kind in labels
    ]


def _host_order(host: str) -> tuple[int, int, str]:
    """Addresses in numeric order, IPv4 first, then names."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (2, 0, host)
    return (0 if address.version == 4 else 1, int(address), host)


def _hosts(results: ScanResults) -> list[str]:
    """Every host the record names: those that reported, and those only timed."""
    seen = dict.fromkeys(
        e.host for e in results.events if isinstance(e, OpenPort | Finding | Timestamp) and e.host
    )
    return sorted(seen, key=_host_order)


def _host_table(results: ScanResults, counted: tuple[Severity, ...], *, plain: bool) -> Table:
    table = Table(box=None if plain else box.HEAVY_HEAD, show_footer=not plain, pad_edge=not plain)
    table.add_column("Host", footer="all hosts")
    findings = Counter((f.host, f.severity) for f in results.findings)
    ports = Counter(p.host for p in results.open_ports)
    for severity in counted:
        table.add_column(
            severity.value,
            justify="right",
            header_style=_STYLES[severity],
            footer=str(results.count(severity)),
        )
    table.add_column("open ports", justify="right", footer=str(len(results.open_ports)))
    for host in _hosts(results):
        row = [Text(printable(host))]
        for severity in counted:
            count = findings[host, severity]
            row.append(Text(str(count), style=_STYLES[severity] if count else "dim"))
        row.append(Text(str(ports[host])))
        table.add_row(*row)
    if plain:  # no footer row outside a terminal: the totals as a row of their own
        table.add_row(
            Text("all hosts"),
            *(Text(str(results.count(s))) for s in counted),
            Text(str(len(results.open_ports))),
        )
    return table


def _finding_order(finding: Finding) -> tuple[int, tuple[int, int, str], int, str]:
    port = port_details(finding.port)
    number = -1 if port.number is None else port.number
    return (_SEVERITIES.index(finding.severity), _host_order(finding.host), number, finding.port)


def _finding(finding: Finding, facts: PluginFacts | None, *, full: bool) -> Text:
    style = _STYLES[finding.severity]
    block = Text(finding.severity.value.upper(), style=style)
    block.append(f"  {printable(finding.host)}  {printable(finding.port)}", style="bold")
    if finding.plugin_id is not None:
        block.append(f"  plugin {printable(finding.plugin_id)}")
    if facts is not None:
        family = f" ({printable(facts.family)})" if facts.family else ""
        block.append(f": {printable(facts.name)}{family}", style="italic")
    details = finding_details(finding.text)
    if details.description:
        for line in _shown_lines(details.description, full=full):
            block.append(f"\n{_INDENT}{line}")
    references = (
        ("CVE", details.cves),
        ("BID", details.bids),
        ("Other references", details.references),
    )
    for label, values in references:
        if values:
            block.append(f"\n{_INDENT}{label}: {printable(', '.join(values))}", style="dim")
    if details.qod is not None:
        kind = f" ({details.qod_type})" if details.qod_type else ""
        block.append(f"\n{_INDENT}Quality of detection: {details.qod}%{kind}", style="dim")
    if facts is not None and facts.solution:
        for number, line in enumerate(facts.solution.splitlines()):
            label = "Solution: " if number == 0 else " " * len("Solution: ")
            block.append(f"\n{_INDENT}{label}{printable(line)}", style="green")
    return block


def _shown_lines(description: str, *, full: bool) -> list[str]:
    """The description's lines, printable, cut to the limits unless ``full``."""
    shown = description if full else description[:MAX_SHOWN_CHARS]
    lines = shown.split("\n")
    if not full:
        lines = lines[:MAX_SHOWN_LINES]
    kept = sum(map(len, lines)) + len(lines) - 1
    # A CR before a line's end is the line end of the host's protocol (HTTP, SMTP...).
    result = [printable(line.removesuffix("\r")) for line in lines]
    if kept < len(description):
        result.append(f"[... {len(description) - kept} more characters: ixion report show --full]")
    return result
