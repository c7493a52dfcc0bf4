"""The terminal view of a report: counts, order, plugin facts, and hostile text kept inert."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from ixion.client.report_view import (
    MAX_SHOWN_CHARS,
    MAX_SHOWN_LINES,
    make_console,
    printable,
    show_results,
)
from ixion.reports import Finding, OpenPort, PluginFacts, ScanResults, Severity, read_nbe
from tests.reports.hostile import CONTROLS, HOSTILE_RESULTS
from tests.transcripts import TRANSCRIPTS

#: Two hosts, every severity, out of order, one plugin known by name.
MIXED = ScanResults(
    events=(
        Finding(host="10.0.0.10", port="general/tcp", severity=Severity.NOTE, text="n\n"),
        OpenPort(host="10.0.0.9", port="ssh (22/tcp)"),
        Finding(host="10.0.0.10", port="www (80/tcp)", severity=Severity.LOG, text="l\n"),
        Finding(
            host="10.0.0.9",
            port="ssh (22/tcp)",
            severity=Severity.HOLE,
            text="Old sshd.\nCVE : CVE-2001-0001\nQuality of detection: 80% (remote_banner)\n",
            plugin_id="10330",
        ),
        Finding(host="10.0.0.10", port="www (80/tcp)", severity=Severity.WARNING, text="w\n"),
        Finding(host="10.0.0.9", port="www (80/tcp)", severity=Severity.HOLE, text="h2\n"),
    ),
    plugins=(
        PluginFacts(id="10330", name="SSH version", family="Misc.", solution="Upgrade.\nNow."),
    ),
)


def _plain(results: ScanResults, **options: bool) -> str:
    out = io.StringIO()
    show_results(results, make_console(out), title="scan.nbe", **options)
    return out.getvalue()


def test_printable_escapes_what_would_steer_a_terminal_and_keeps_lines_and_tabs() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[31mred\x00") == "\\x1b[31mred\\x00"
    assert printable("caf\udce9") == "caf\\xe9"  # a byte that was not UTF-8
    assert printable("\u202eevil\u200b") == "\\u202eevil\\u200b"
    escaped = printable(CONTROLS)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in escaped.replace("\t", ""))


def test_the_table_counts_each_hosts_findings_by_severity_and_its_open_ports() -> None:
    lines = _plain(MIXED).splitlines()
    assert lines[0] == (
        "scan.nbe: 2 hosts, 5 findings (2 holes, 1 warning, 1 note, 1 log), 1 open port"
    )
    assert lines[1].split() == ["Host", "hole", "warning", "note", "log", "open", "ports"]
    assert lines[2].split() == ["10.0.0.9", "2", "0", "0", "0", "1"]
    assert lines[3].split() == ["10.0.0.10", "0", "1", "1", "1", "0"]
    assert lines[4].split() == ["all", "hosts", "2", "1", "1", "1", "1"]


def test_findings_come_most_severe_first_then_by_host_and_port() -> None:
    heads = [line for line in _plain(MIXED).splitlines() if re.match(r"[A-Z]+  ", line)]
    assert heads == [
        "HOLE  10.0.0.9  ssh (22/tcp)  plugin 10330: SSH version (Misc.)",
        "HOLE  10.0.0.9  www (80/tcp)",
        "WARNING  10.0.0.10  www (80/tcp)",
        "NOTE  10.0.0.10  general/tcp",
        "LOG  10.0.0.10  www (80/tcp)",
    ]


def test_a_finding_shows_its_text_references_quality_and_the_plugins_solution() -> None:
    text = _plain(MIXED)
    block = text[text.index("HOLE  10.0.0.9  ssh") :].split("\n\n")[0].splitlines()
    assert block[1:] == [
        "    Old sshd.",
        "    CVE: CVE-2001-0001",
        "    Quality of detection: 80% (remote_banner)",
        "    Solution: Upgrade.",
        "              Now.",
    ]


def test_summary_only_stops_after_the_table() -> None:
    text = _plain(MIXED, summary_only=True)
    assert "all hosts" in text
    assert "Findings" not in text
    assert "Old sshd." not in text


def test_a_huge_text_is_cut_unless_full_is_asked_for() -> None:
    huge = "x" * (MAX_SHOWN_CHARS * 2) + "\n"
    many = "".join(f"line {i}\n" for i in range(MAX_SHOWN_LINES * 2))
    results = ScanResults(
        events=(
            Finding(host="h", port="general/tcp", severity=Severity.NOTE, text=huge),
            Finding(host="h", port="general/udp", severity=Severity.NOTE, text=many),
        )
    )
    cut = _plain(results)
    assert f"[... {MAX_SHOWN_CHARS} more characters: ixion report show --full]" in cut
    assert f"line {MAX_SHOWN_LINES - 1}\n" in cut
    assert f"line {MAX_SHOWN_LINES}\n" not in cut
    whole = _plain(results, full=True)
    assert "x" * (MAX_SHOWN_CHARS * 2) in whole
    assert f"line {MAX_SHOWN_LINES * 2 - 1}\n" in whole
    assert "more characters" not in whole


def test_hostile_content_reaches_the_output_escaped_never_raw() -> None:
    text = _plain(HOSTILE_RESULTS, full=True)
    assert "\x1b" not in text
    assert "\\x1b[31mred\\x1b[0m NUL:\\x00 end" in text
    assert "Not tested (the server's rules refused them): 10.0.0.9, <script>" in text
    assert "h\\xf4te" in text  # the host name with a byte that was not UTF-8
    assert "Services <script>alert('x')</script> (=Service detection)" in text


def test_a_plain_console_writes_no_rules_and_does_not_wrap() -> None:
    long = ScanResults(
        events=(Finding(host="h", port="general/tcp", severity=Severity.NOTE, text="y" * 300),)
    )
    text = _plain(long)
    assert "    " + "y" * 300 + "\n" in text
    assert not set(text) & set("┃━│─┏")


@pytest.mark.parametrize("no_color", [False, True])
def test_a_terminal_gets_rules_and_colour_unless_no_color(no_color: bool) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", no_color=no_color)
    results = read_nbe((TRANSCRIPTS / "nessus225-client_scan.nbe").read_bytes())
    show_results(results, console, title="scan.nbe")
    text = out.getvalue()
    assert "┏" in text
    colours = [
        code
        for params in re.findall(r"\x1b\[([0-9;]*)m", text)
        for code in params.split(";")
        if code and (30 <= int(code) <= 49 or 90 <= int(code) <= 107)
    ]
    assert bool(colours) is not no_color
