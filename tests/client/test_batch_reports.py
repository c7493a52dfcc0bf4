"""``ixion -q``'s report types and nessus' ``-i IN -o OUT`` conversion (spec §9.1).

The scans replay nessusd 2.2.5's side of a captured scan (:mod:`tests.client.test_batch`), so
every run gets the same results: the report a type asks for must be exactly what that
format's writer makes of them, with the plugin's name and family from nessusd's
PLUGIN_LIST. Refused types must be refused before the client connects.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ixion.client.cli import batch
from ixion.reports import ScanResults, Timestamp, read_nbe, report_formats
from ixion.reports.json_report import read_json
from ixion.reports.nsr import read_nsr
from tests.client.test_batch import SCAN, _scan_files, replayed
from tests.server.test_daemon import BIN, free_port
from tests.transcripts import TRANSCRIPTS

NESSUS_NBE = TRANSCRIPTS / "nessus225-client_scan.nbe"


def _scan(tmp_path: Path, result: str, *options: str) -> tuple[Path, str]:
    """A replayed scan into ``tmp_path / result``; the file and what was printed on stderr."""
    rc, targets = _scan_files(tmp_path)
    report = tmp_path / result
    with replayed(SCAN) as server:
        args = ["-q", *options, "-c", str(rc), "127.0.0.1", str(server.port), "tester", "x"]
        done = CliRunner().invoke(batch, [*args, str(targets), str(report)])
    assert done.exit_code == 0, done.output
    return report, done.stderr


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> ScanResults:
    """The replayed scan's results, as its lossless JSON report holds them."""
    report, _ = _scan(tmp_path_factory.mktemp("json"), "scan.json")
    return read_json(report.read_bytes())


def test_the_record_names_the_plugin_from_nessusds_plugin_list(record: ScanResults) -> None:
    facts = record.plugin("90002")
    assert facts is not None
    assert (facts.name, facts.family, facts.category) == (
        "Peers HTTP banner check",
        "General",
        "infos",
    )
    assert (facts.summary, facts.cve, facts.bid) == (
        "HTTP banner grabber",
        ("CVE-1999-0001",),
        ("1",),
    )
    assert [p.id for p in record.plugins] == ["90002"]  # not 90001, which reported nothing
    assert record.events == read_nbe(NESSUS_NBE.read_bytes()).events


@pytest.mark.parametrize("name", list(report_formats()))
def test_every_format_is_chosen_by_its_extension_and_by_dash_t(
    name: str, record: ScanResults, tmp_path: Path
) -> None:
    report_format = report_formats()[name]
    expected = report_format.write(record)
    by_extension, _ = _scan(tmp_path, f"scan{report_format.extension}")
    by_type, _ = _scan(tmp_path, "scan.nbe", "-T", name)
    assert by_extension.read_bytes() == expected
    assert by_type.read_bytes() == expected


def test_a_result_file_without_extension_or_with_an_unknown_one_is_nsr(
    record: ScanResults, tmp_path: Path
) -> None:
    nsr = report_formats()["nsr"].write(record)
    for name in ("scan", "scan.2026-11-24"):
        report, _ = _scan(tmp_path, name)
        assert report.read_bytes() == nsr
    assert read_nsr(nsr).findings == record.findings


def test_dot_text_is_the_text_report_as_for_nessus(record: ScanResults, tmp_path: Path) -> None:
    report, _ = _scan(tmp_path, "scan.text")
    assert report.read_bytes() == report_formats()["txt"].write(record)


@pytest.mark.parametrize(
    ("options", "result", "message"),
    [
        (["-T", "tex"], "scan.nbe", "does not write nessus' tex reports (LaTeX)"),
        (["-T", "latex"], "scan.nbe", "does not write nessus' latex reports"),
        ([], "scan.tex", "does not write nessus' tex reports"),
        (["-T", "old-xml"], "scan", "nessus' first XML layout"),
        ([], "pages/", "html_graph reports (HTML pages with pie charts)"),
        (["-T", "pdf"], "scan.nbe", "unknown report format 'pdf'"),
    ],
)
def test_types_ixion_does_not_write_are_refused_before_connecting(
    options: list[str], result: str, message: str, tmp_path: Path
) -> None:
    rc, targets = _scan_files(tmp_path)
    login = ["127.0.0.1", str(free_port()), "tester", "x"]  # nothing listens there
    # A name ending in "/" asked nessus for its html_graph pages: a path keeps no such "/".
    args = ["-q", *options, "-c", str(rc), *login, str(targets), f"{tmp_path}/{result}"]
    done = CliRunner().invoke(batch, args)
    assert done.exit_code == 1
    assert message in done.stderr
    assert "it writes nbe, nsr, txt" in done.stderr or "known: nbe" in done.stderr
    assert "cannot connect" not in done.stderr


def _ixion(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [BIN / "ixion", *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_dash_i_dash_o_converts_with_or_without_dash_q(tmp_path: Path) -> None:
    nbe = NESSUS_NBE.read_bytes()
    record = read_nbe(nbe)
    done = _ixion("-i", NESSUS_NBE, "-o", tmp_path / "scan.json")
    assert done.returncode == 0, done.stderr
    assert read_json((tmp_path / "scan.json").read_bytes()) == record
    done = _ixion("-q", "-T", "xml", "-i", tmp_path / "scan.json", "-o", tmp_path / "scan")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "scan").read_bytes() == report_formats()["xml"].write(record)
    done = _ixion("-q", "-i", tmp_path / "scan.json", "-o", tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == report_formats()["nsr"].write(record)
    # "-" is NBE both ways, the one format nessus piped.
    done = _ixion("-i", "-", "-o", "-", stdin=nbe)
    assert (done.returncode, done.stdout) == (0, nbe)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "x.nbe"], "-i and -o go together"),
        (["-q", "-o", "x.nbe"], "-i and -o go together"),
        (["-q", "-i", "in.nbe", "-o", "out.nbe", "extra"], "take no other arguments"),
        (["-i", "scan", "-o", "out.nbe"], "cannot tell the format of scan"),
        (["-i", "scan.sarif", "-o", "out.nbe"], "sarif reports cannot be read back"),
        (["-i", "missing.nbe", "-o", "out.nbe"], "cannot read missing.nbe"),
    ],
)
def test_dash_i_dash_o_mistakes_are_explained(
    args: list[str], message: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [BIN / "ixion", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert message in done.stderr
    assert not (tmp_path / "out.nbe").exists()


def test_a_broken_input_names_the_file_and_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.nbe"
    broken.write_bytes(NESSUS_NBE.read_bytes() + b"results|only-three|fields\n")
    done = _ixion("-i", broken, "-o", tmp_path / "out.json")
    assert done.returncode == 1
    assert f"{broken} is not a valid nbe report: NBE line 9" in done.stderr.decode()


def test_a_scan_without_dash_q_is_refused(tmp_path: Path) -> None:
    done = CliRunner().invoke(batch, ["127.0.0.1", "1241", "u", "p", "t", "r.nbe"])
    assert done.exit_code == 1
    assert "a scan needs -q" in done.stderr


def test_timestamps_survive_a_conversion_to_json_and_back(tmp_path: Path) -> None:
    _ixion("-i", NESSUS_NBE, "-o", tmp_path / "scan.jsonl")
    done = _ixion("-i", tmp_path / "scan.jsonl", "-o", tmp_path / "back.nbe")
    assert done.returncode == 0, done.stderr
    back = read_nbe((tmp_path / "back.nbe").read_bytes())
    assert sum(isinstance(e, Timestamp) for e in back.events) == 4
    assert (tmp_path / "back.nbe").read_bytes() == NESSUS_NBE.read_bytes()
