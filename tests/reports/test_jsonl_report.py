"""JSON Lines: streamed while a scan runs, and read back into the same record."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.reports import Event, ScanResults, event_from_message, read_nbe, write_nbe
from ixion.reports.json_report import JsonReportError
from ixion.reports.jsonl_report import JsonLinesWriter, read_jsonl, write_jsonl
from tests.reports.hostile import HOSTILE_RESULTS, HOSTILE_TEXT, HUGE_TEXT
from tests.reports.samples import SCAN_MESSAGES, SCAN_NBE, SCAN_RESULTS
from tests.reports.strategies import EVENTS


def _lines(data: bytes) -> list[Any]:
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data[:-1].split(b"\n")]


def test_the_captured_scans_messages_stream_to_a_file_one_flushed_line_each(
    tmp_path: Path,
) -> None:
    path = tmp_path / "scan.jsonl"
    with path.open("wb") as stream:
        writer = JsonLinesWriter(stream)
        assert _lines(path.read_bytes()) == [{"format": "ixion-events", "schema_version": 1}]
        written = 0
        for message in SCAN_MESSAGES:
            event = event_from_message(message)
            if event is None:
                continue
            writer.write(event)
            written += 1
            # Readable now, while the file is still open: a follower sees every event.
            assert len(_lines(path.read_bytes())) == 1 + written
    assert written == len(SCAN_RESULTS.events)
    assert read_jsonl(path.read_bytes()) == SCAN_RESULTS


def test_one_line_per_event_in_arrival_order() -> None:
    lines = _lines(write_jsonl(SCAN_RESULTS))
    assert [line.get("event") for line in lines[1:]] == [
        "timestamp",
        "timestamp",
        "open_port",
        "finding",
        "finding",
        "finding",
        "timestamp",
        "timestamp",
    ]
    assert lines[1] == {
        "event": "timestamp",
        "kind": "scan_start",
        "when": "Tue Nov 24 18:39:50 2026",
        "host": None,
    }
    assert lines[4]["host"] == "127.0.0.1"
    assert lines[4]["port"]["number"] == 8081
    assert lines[4]["cves"] == ["CVE-1999-0001"]


def test_nbe_to_json_lines_and_back_gives_the_reference_clients_nbe_file() -> None:
    assert write_nbe(read_jsonl(write_jsonl(read_nbe(SCAN_NBE)))) == SCAN_NBE


def test_a_plugin_line_comes_once_before_the_first_finding_that_names_it() -> None:
    lines = _lines(write_jsonl(HOSTILE_RESULTS))
    kinds = [line.get("event") for line in lines]
    assert kinds.count("plugin") == 1
    plugin_at = kinds.index("plugin")
    assert lines[plugin_at]["id"] == "10330"
    assert lines[plugin_at + 1]["plugin_id"] == "10330"
    assert lines[plugin_at + 1]["plugin_family"] == "=Service detection"
    expected = replace(HOSTILE_RESULTS, plugins=HOSTILE_RESULTS.plugins[:1])
    assert read_jsonl(write_jsonl(HOSTILE_RESULTS)) == expected


def test_hostile_content_stays_on_its_line_and_survives_exactly() -> None:
    data = write_jsonl(HOSTILE_RESULTS)
    data.decode("utf-8")
    # LF ends lines and nothing else: NEL, U+2028 and CR stay inside their strings.
    lines = _lines(data)
    assert len(lines) == 1 + 1 + len(HOSTILE_RESULTS.events)
    texts = [line["text"] for line in lines if line.get("event") == "finding"]
    assert texts[:2] == [HOSTILE_TEXT, HUGE_TEXT]
    assert not any(byte < 0x20 for byte in data.replace(b"\n", b""))
    assert read_jsonl(data).events == HOSTILE_RESULTS.events


def test_a_file_cut_mid_line_reads_up_to_its_last_whole_line() -> None:
    data = write_jsonl(SCAN_RESULTS)
    cut = data[: data.rindex(b"\n", 0, -1) + 10]
    assert read_jsonl(cut).events == SCAN_RESULTS.events[:-1]
    # A whole last line without its LF is still read.
    assert read_jsonl(data[:-1]) == SCAN_RESULTS


def test_crlf_and_blank_lines_are_tolerated() -> None:
    data = write_jsonl(SCAN_RESULTS).replace(b"\n", b"\r\n\n")
    assert read_jsonl(data) == SCAN_RESULTS


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "line 1: empty"),
        (b'{"format":"ixion-report","schema_version":1}\n', "line 1: not ixion-events"),
        (b'{"format":"ixion-events","schema_version":9}\n', "line 1: schema version 9"),
        (b'{"format":"ixion-events","schema_version":1}\n{"event":"x"}\n', "unknown event 'x'"),
        (
            b'{"format":"ixion-events","schema_version":1}\n\n{"event":"open_port","host":"h"}\n',
            "line 3: no 'port'",
        ),
        (
            b'{"format":"ixion-events","schema_version":1}\n{"event":"finding"}\n{}\n',
            "line 2: no 'host'",
        ),
        (b'{"format":"ixion-events","schema_version":1}\n[1\n{}\n', "line 2: not JSON"),
    ],
)
def test_what_is_not_an_event_stream_is_refused_with_its_line(data: bytes, problem: str) -> None:
    with pytest.raises(JsonReportError) as caught:
        read_jsonl(data)
    assert problem in str(caught.value)


@settings(max_examples=60)
@given(st.lists(EVENTS, max_size=8))
def test_every_record_reads_back_as_written(events: list[Event]) -> None:
    results = ScanResults(events=tuple(events))
    assert read_jsonl(write_jsonl(results)) == results
