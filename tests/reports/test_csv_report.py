"""CSV: a row per finding that a CSV reader parses back, and no cell a spreadsheet runs."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.reports import Event, Finding, OpenPort, ScanResults
from ixion.reports.csv_report import COLUMNS, MAX_CELL, defuse_cell, write_csv
from tests.reports.hostile import HOSTILE_RESULTS, HUGE_TEXT, SCRIPT
from tests.reports.samples import SCAN_RESULTS
from tests.reports.strategies import EVENTS

#: What a spreadsheet takes for a formula when a cell starts with it (after spaces).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _rows(data: bytes) -> list[dict[str, str]]:
    # newline="" as the csv module asks: line ends inside quoted cells are data.
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_the_captured_scan_is_a_row_per_finding() -> None:
    data = write_csv(SCAN_RESULTS)
    assert data.startswith(b"type,host,port,service,port_number,protocol,severity,plugin_id,")
    assert data.endswith(b"\r\n")
    rows = _rows(data)
    assert [(r["type"], r["severity"], r["plugin_id"]) for r in rows] == [
        ("finding", "note", "90002"),
        ("finding", "warning", "90002"),
        ("finding", "hole", "90002"),
    ]
    assert rows[0] | {"description": ""} == {
        "type": "finding",
        "host": "127.0.0.1",
        "port": "blackice-icecap (8081/tcp)",
        "service": "blackice-icecap",
        "port_number": "8081",
        "protocol": "tcp",
        "severity": "note",
        "plugin_id": "90002",
        "plugin_name": "",
        "plugin_family": "",
        "qod": "",
        "qod_type": "",
        "cves": "CVE-1999-0001",
        "bids": "1",
        "references": "",
        "description": "",
    }
    assert rows[0]["description"] == (
        "The remote web server banner is :\nServer: SimpleHTTP/0.6 Python/3.11.7"
    )


def test_open_ports_are_rows_when_asked_for() -> None:
    rows = _rows(write_csv(SCAN_RESULTS, open_ports=True))
    assert [r["type"] for r in rows] == ["open_port", "finding", "finding", "finding"]
    assert rows[0]["port_number"] == "8081"
    assert rows[0]["severity"] == ""


def test_hostile_content_parses_back_into_the_same_rows_and_cells() -> None:
    records = [e for e in HOSTILE_RESULTS.events if isinstance(e, Finding | OpenPort)]
    rows = _rows(write_csv(HOSTILE_RESULTS, open_ports=True))
    assert len(rows) == len(records)
    assert [r["host"] for r in rows] == [defuse_cell(e.host) for e in records]
    assert rows[1]["plugin_name"] == f"Services {SCRIPT}"
    assert rows[1]["plugin_family"] == "'=Service detection"
    assert rows[1]["qod"] == "80"
    assert rows[1]["cves"] == "CVE-2024-0001, CVE-2024-0002"
    huge = rows[2]["description"]
    assert len(huge) <= MAX_CELL
    assert huge.startswith(defuse_cell(HUGE_TEXT[:1000]))
    assert huge.endswith(" characters cut]")
    assert rows[3]["host"] == "'=cmd"
    assert rows[3]["port"] == "'=SUM(A1:A9) (1/tcp)"
    assert rows[3]["plugin_id"] == "'@import"
    assert rows[3]["description"] == "'-2+3 caf\ufffd \ufffd"


@pytest.mark.parametrize(
    ("cell", "defused"),
    [
        ("=1+1", "'=1+1"),
        ("  =1+1", "'  =1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\nx"),
        ("\uff1d1", "'\uff1d1"),
        ("a=1", "a=1"),
        ("NUL\x00 ESC\x1b DEL\x7f", "NUL\u2400 ESC\u241b DEL\u2421"),
        ("a\r\nb\rc\nd", "a\nb\nc\nd"),
        ("C1\x85\x9b and \udcff", "C1\ufffd\ufffd and \ufffd"),
        ("tab\tstays", "tab\tstays"),
    ],
)
def test_cells_are_defused(cell: str, defused: str) -> None:
    assert defuse_cell(cell) == defused


@settings(max_examples=60)
@given(st.lists(EVENTS, max_size=8))
def test_no_cell_of_any_record_is_a_formula_or_holds_a_control_character(
    events: list[Event],
) -> None:
    results = ScanResults(events=tuple(events))
    rows = _rows(write_csv(results, open_ports=True))
    assert len(rows) == sum(isinstance(e, Finding | OpenPort) for e in events)
    for row in rows:
        for cell in row.values():
            assert not cell.lstrip(" ").startswith(FORMULA_STARTS)
            assert not any(
                (ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in cell
            )


def test_a_cell_too_long_for_a_spreadsheet_is_cut_and_says_how_much() -> None:
    cell = defuse_cell("x" * 100_000)
    kept = cell.index(" ")
    assert cell == "x" * kept + f" [... {100_000 - kept} characters cut]"
    assert len(cell) <= MAX_CELL
    assert defuse_cell("x" * MAX_CELL) == "x" * MAX_CELL


@settings(max_examples=60)
@given(st.text())
def test_defusing_keeps_every_printable_character(text: str) -> None:
    kept = defuse_cell(text).removeprefix("'")
    printable = [c for c in text if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF]
    assert all(c in kept for c in printable)
