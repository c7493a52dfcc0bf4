"""Which report each ``-o`` and ``--format`` asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from ixion.app.outputs import Reports, plan_outputs
from ixion.reports.formats import UnknownFormatError
from ixion.reports.jsonl_report import read_jsonl
from ixion.reports.results import OpenPort, ScanResults, Timestamp, TimestampKind


def _formats(paths: list[str], format_name: str | None = None) -> list[tuple[str, str]]:
    return [(o.path, o.format.name) for o in plan_outputs(paths, format_name)]


def test_extensions_choose_the_format_and_format_fills_in_the_rest() -> None:
    assert _formats([]) == [("-", "txt")]
    assert _formats([], "json") == [("-", "json")]
    assert _formats(["a.nbe", "b.JSON", "c.sarif", "-"]) == [
        ("a.nbe", "nbe"),
        ("b.JSON", "json"),
        ("c.sarif", "sarif"),
        ("-", "txt"),
    ]
    assert _formats(["report", "a.csv", "-"], "xml") == [
        ("report", "xml"),
        ("a.csv", "csv"),
        ("-", "xml"),
    ]
    assert _formats(["report"]) == [("report", "nsr")]  # as nessus wrote a name it could not read
    with pytest.raises(UnknownFormatError):
        plan_outputs(["a.txt"], "pdf")


def test_json_lines_are_written_as_results_arrive(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    reports = Reports(plan_outputs([str(path), str(tmp_path / "end.nbe")], None), ())
    start = Timestamp(kind=TimestampKind.SCAN_START, when="Mon Dec  7 10:00:00 2026")
    port = OpenPort(host="192.0.2.7", port="ssh (22/tcp)")
    reports.add(start)
    reports.add(port)
    assert read_jsonl(path.read_bytes()).events == (start, port)  # before the scan ends
    assert (tmp_path / "end.nbe").read_bytes() == b""  # created at once, written at the end
    written = reports.finish(ScanResults(events=(start, port)))
    assert written == [str(path), str(tmp_path / "end.nbe")]
    assert b"ssh (22/tcp)" in (tmp_path / "end.nbe").read_bytes()
