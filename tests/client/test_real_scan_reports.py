"""Reports of a real ixion scan, read by another program and converted on the command line.

ixiond scans two web servers on 127.0.0.1 (one with a hostile banner, :mod:`real_scan`) and
``ixion -q`` writes the report. Debian's ``libparse-nessus-nbe-perl`` (Parse::Nessus::NBE,
a Perl module written for nessus' own NBE files) must read ixion's NBE as ixion's record
says: the same hosts, ports and findings. The module is a dependency of ``scripts/test``; a
machine without it skips these tests, CI fails them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ixion.reports import (
    Finding,
    OpenPort,
    ScanResults,
    Severity,
    read_nbe,
    report_formats,
    write_nbe,
)
from ixion.reports.json_report import read_json
from tests.client.real_scan import HTTP_VERSION, PLAIN_SERVER, Scanner, scanning
from tests.server.test_daemon import BIN
from tests.transcripts import TRANSCRIPTS

#: Prints what Parse::Nessus::NBE makes of the NBE lines on standard input, a fact a line:
#: ``service|PORT|COUNT`` (nstatservices), ``port|NUMBER|HOST|PORT`` (nports for each port
#: number seen), ``vulns|LEVEL|PLUGIN|COUNT`` (nstatvulns, 1 hole, 2 warning, 3 note) and
#: ``plugin|PLUGIN|HOST|PORT|TEXT`` (nplugin for each plugin counted).
PERL_DRIVER = r"""
my @lines = <STDIN>;
chomp @lines;
my %numbers;
for (nstatservices(@lines)) {
    chomp(my $line = $_);
    print "service|$line\n";
    $numbers{$1} = 1 if $line =~ /\((\d+)\//;
}
for my $number (sort { $a <=> $b } keys %numbers) {
    print "port|$number|$_\n" for nports(@lines, $number);
}
my %plugins;
for my $level (1 .. 3) {
    for (nstatvulns(@lines, $level)) {
        chomp(my $line = $_);
        print "vulns|$level|$line\n";
        $plugins{(split /\|/, $line)[0]} = 1;
    }
}
for my $plugin (sort keys %plugins) {
    print "plugin|$plugin|$_\n" for nplugin(@lines, $plugin);
}
"""

_LEVELS = {1: Severity.HOLE, 2: Severity.WARNING, 3: Severity.NOTE}


def _perl_view(nbe: Path) -> list[str]:
    if (
        shutil.which("perl") is None
        or subprocess.run(
            ["perl", "-MParse::Nessus::NBE", "-e", "1"], capture_output=True, check=False
        ).returncode
    ):
        missing = "Parse::Nessus::NBE is not installed (apt-get install libparse-nessus-nbe-perl)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    done = subprocess.run(
        ["perl", "-MParse::Nessus::NBE=:all", "-e", PERL_DRIVER],
        input=nbe.read_bytes(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return sorted(done.stdout.decode("utf-8", "surrogateescape").splitlines())


def _nbe_escaped(text: str) -> str:
    """A text as NBE carries it (spec §9.3)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _expected_view(results: ScanResults) -> list[str]:
    """What the module's documented functions give for the events of ``results``.

    The module splits a line at every ``|`` (so a text ends at its first one), nplugin drops
    the first ``\\n`` of a text and matches plugin ids as patterns (so ``1`` would also find
    ``10330``), and the counts come in an order of Perl's hashes: the facts are compared as
    sorted lists. Plugin ids of five digits or more never match a timestamp line's time.
    """
    ports = Counter(p.port for p in results.open_ports)
    view = [f"service|{port}|{count}" for port, count in ports.items()]
    numbers = {int(m.group(1)) for port in ports if (m := re.search(r"\((\d+)/", port))}
    for number in numbers:
        view += [
            f"port|{number}|{p.host}|{p.port}"
            for p in results.open_ports
            if f"({number}/" in p.port
        ]
    plugins: set[str] = set()
    for level, severity in _LEVELS.items():
        counts = Counter(f.plugin_id for f in results.findings if f.severity is severity)
        view += [f"vulns|{level}|{plugin}|{count}" for plugin, count in counts.items()]
        plugins.update(p for p in counts if p is not None)
    assert all(len(plugin) >= 5 for plugin in plugins)
    for plugin in plugins:
        for f in results.findings:
            if f.plugin_id is not None and plugin in f.plugin_id:
                text = _nbe_escaped(f.text).split("|")[0].replace("\\n", "", 1)
                view.append(f"plugin|{plugin}|{f.host}|{f.port}|{text}")
    return sorted(view)


def _ixion(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([BIN / "ixion", *args], capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scanner, Path]]:
    """The scanner, and a directory with ``scan.json`` and ``scan.nbe`` of two scans."""
    tmp_path = tmp_path_factory.mktemp("scan")
    with scanning(tmp_path) as scanner:
        scanner.scan(tmp_path / "scan.json")
        scanner.scan(tmp_path / "scan.nbe")
        yield scanner, tmp_path


def test_parse_nessus_nbe_reads_nessus_own_nbe_file_as_the_model_of_it_says() -> None:
    """The check of the check: nessus 2.2.5's file, read by the module and by ixion."""
    captured = TRANSCRIPTS / "nessus225-client_scan.nbe"
    view = _perl_view(captured)
    assert view == _expected_view(read_nbe(captured.read_bytes()))
    assert "vulns|1|90002|1" in view


def test_parse_nessus_nbe_reads_the_same_hosts_ports_and_findings_as_ixion_recorded(
    scanned: tuple[Scanner, Path], tmp_path: Path
) -> None:
    _, reports = scanned
    record = read_json((reports / "scan.json").read_bytes())
    nbe = tmp_path / "converted.nbe"
    done = _ixion("-q", "-i", reports / "scan.json", "-o", nbe)
    assert done.returncode == 0, done.stderr
    view = _perl_view(nbe)
    assert view == _expected_view(record)
    banners = [line for line in view if line.startswith(f"plugin|{HTTP_VERSION}|127.0.0.1|")]
    assert len(banners) == 2
    assert any(PLAIN_SERVER in line for line in banners)
    assert any("<b>x</b>" in line for line in banners)  # cut at its "|" by the module


def test_parse_nessus_nbe_reads_the_nbe_the_batch_client_wrote(
    scanned: tuple[Scanner, Path],
) -> None:
    scanner, reports = scanned
    view = _perl_view(reports / "scan.nbe")
    assert view == _expected_view(read_nbe((reports / "scan.nbe").read_bytes()))
    assert {int(line.split("|")[1]) for line in view if line.startswith("port|")} == set(
        scanner.web_ports
    )


def test_the_report_names_each_plugin_that_reported_as_the_servers_plugin_list_does(
    scanned: tuple[Scanner, Path],
) -> None:
    scanner, reports = scanned
    record = read_json((reports / "scan.json").read_bytes())
    listed = {fields[0]: fields for fields in scanner.plugin_list()}
    reporting = {f.plugin_id for f in record.findings if f.plugin_id is not None}
    assert HTTP_VERSION in reporting
    assert {facts.id for facts in record.plugins} == reporting  # not the 100s that did not
    for plugin in reporting:
        facts = record.plugin(plugin)
        assert facts is not None
        _id, family, name, category, *_ = listed[plugin]
        assert (facts.name, facts.family, facts.category) == (name, family, category)


def test_the_real_scan_converts_to_every_readable_format_and_back_on_the_command_line(
    scanned: tuple[Scanner, Path], tmp_path: Path
) -> None:
    _, reports = scanned
    original = reports / "scan.nbe"
    record = read_nbe(original.read_bytes())
    # NSR keeps no timestamps and reads every ";" of a text as a line break (spec §9.4).
    through_nsr = write_nbe(
        ScanResults(
            events=tuple(
                replace(e, text=e.text.replace(";", "\n")) if isinstance(e, Finding) else e
                for e in record.events
                if isinstance(e, OpenPort | Finding)
            )
        )
    )
    readable = [f for f in report_formats().values() if f.read is not None]
    assert {f.name for f in readable} >= {"nbe", "nsr", "json", "jsonl"}
    for report_format in readable:
        converted = tmp_path / f"scan{report_format.extension}"
        back = tmp_path / f"{report_format.name}-back.nbe"
        for source, target in ((original, converted), (converted, back)):
            done = _ixion("report", "convert", source, target)
            assert done.returncode == 0, done.stderr
        expected = through_nsr if report_format.name == "nsr" else original.read_bytes()
        assert back.read_bytes() == expected, report_format.name
