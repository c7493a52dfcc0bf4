"""The JSON report: its schema, its layout, and the record it reads back."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.reports import (
    Event,
    ScanResults,
    read_nbe,
    write_nbe,
)
from ixion.reports.json_report import (
    JsonReportError,
    json_schema,
    named_plugins,
    read_json,
    write_json,
)
from tests.reports.hostile import HOSTILE_RESULTS, HOSTILE_TEXT, HUGE_TEXT, SCRIPT
from tests.reports.samples import SCAN_NBE, SCAN_RESULTS
from tests.reports.strategies import EVENTS

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def _valid(report: bytes) -> Any:
    document = json.loads(report)
    VALIDATOR.validate(document)
    return document


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_captured_scan_validates_and_reads_back_as_it_was() -> None:
    report = write_json(SCAN_RESULTS)
    _valid(report)
    assert read_json(report) == SCAN_RESULTS


def test_nbe_to_json_and_back_gives_the_reference_clients_nbe_file() -> None:
    assert write_nbe(read_json(write_json(read_nbe(SCAN_NBE)))) == SCAN_NBE


def test_the_layout_groups_by_host_and_numbers_every_event() -> None:
    document = _valid(write_json(SCAN_RESULTS))
    assert document["format"] == "ixion-report"
    assert document["schema_version"] == 1
    assert document["summary"] == {
        "hosts_alive": 1,
        "hosts_rejected": 0,
        "findings": {"hole": 1, "warning": 1, "note": 1, "log": 0, "debug": 0},
    }
    (host,) = document["hosts"]
    assert host["host"] == "127.0.0.1"
    assert host["alive"] is True
    assert [t["kind"] for t in host["times"]] == ["host_start", "host_end"]
    assert host["open_ports"] == [
        {
            "seq": 2,
            "port": {
                "text": "blackice-icecap (8081/tcp)",
                "service": "blackice-icecap",
                "number": 8081,
                "protocol": "tcp",
                "general": False,
            },
        }
    ]
    first = host["findings"][0]
    assert first["seq"] == 3
    assert first["severity"] == "note"
    assert first["plugin_id"] == "90002"
    assert first["plugin_name"] is None  # an NBE-born record knows no plugin names
    assert first["cves"] == ["CVE-1999-0001"]
    assert first["text"] == SCAN_RESULTS.findings[0].text
    seqs = [t["seq"] for t in document["scan"]["times"]]
    seqs += [e["seq"] for part in ("times", "open_ports", "findings") for e in host[part]]
    assert sorted(seqs) == list(range(len(SCAN_RESULTS.events)))


def test_the_same_record_always_gives_the_same_bytes() -> None:
    assert write_json(HOSTILE_RESULTS) == write_json(replace(HOSTILE_RESULTS))


# --- plugin facts ----------------------------------------------------------------------------


def test_findings_name_their_plugin_and_only_named_plugins_are_listed() -> None:
    document = _valid(write_json(HOSTILE_RESULTS))
    finding = document["hosts"][0]["findings"][0]
    assert (finding["plugin_name"], finding["plugin_family"]) == (
        f"Services {SCRIPT}",
        "=Service detection",
    )
    assert [p["id"] for p in document["plugins"]] == ["10330"]
    expected = replace(HOSTILE_RESULTS, plugins=named_plugins(HOSTILE_RESULTS))
    assert read_json(write_json(HOSTILE_RESULTS)) == expected


# --- hostile content -------------------------------------------------------------------------


def test_hostile_content_validates_and_survives_exactly() -> None:
    report = write_json(HOSTILE_RESULTS)
    document = _valid(report)
    findings = document["hosts"][0]["findings"]
    assert findings[0]["text"] == HOSTILE_TEXT
    assert findings[1]["text"] == HUGE_TEXT
    assert findings[0]["description"].startswith(SCRIPT)
    assert findings[0]["qod"] == 80
    assert read_json(report).events == HOSTILE_RESULTS.events


def test_the_file_is_utf8_with_no_raw_control_character_inside_a_string() -> None:
    report = write_json(HOSTILE_RESULTS)
    text = report.decode("utf-8")  # strict: the stand-ins for non-UTF-8 bytes are escaped
    assert "\\udcff" in text
    assert "\\u0000" in text
    assert not any(c < " " and c not in "\n" for c in text)
    # Every LF is the layout's: indented lines, never a text broken across lines. (U+2028
    # and NEL stay raw, as JSON allows: readers must split at LF only.)
    assert all(line.startswith(" ") or line in "{}" for line in text.split("\n") if line)
    assert "\u2028" in text
    assert "\x85" in text


def test_an_nbe_file_with_hostile_content_converts_and_comes_back() -> None:
    from_nbe = read_nbe(write_nbe(HOSTILE_RESULTS))
    assert read_json(write_json(from_nbe)) == from_nbe


# --- reading ---------------------------------------------------------------------------------


def _report(**changes: object) -> bytes:
    document = json.loads(write_json(SCAN_RESULTS))
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "report: not JSON"),
        (b"\xff{}", "report: not JSON"),
        (b"[NaN]", "report: not JSON: NaN is not JSON"),
        (b"[" * 100_000, "report: not JSON"),
        (b"[]", "report: expected an object, not an array"),
        (b'{"format": "nessus"}', "report: not an ixion-report"),
        (_report(schema_version=2), "report: schema version 2 is not one this reader knows"),
        (_report(schema_version="1"), "report.schema_version: expected an integer, not a string"),
        (_report(hosts={}), "report.hosts: expected an array, not an object"),
        (_report(plugins=[{"id": "1"}]), "report.plugins[0]: no 'name'"),
    ],
)
def test_what_is_not_a_report_is_refused_with_where_and_why(data: bytes, problem: str) -> None:
    with pytest.raises(JsonReportError, match="^" + problem.replace("[", r"\[")):
        read_json(data)


def _edited_finding(**changes: object) -> bytes:
    document = json.loads(write_json(SCAN_RESULTS))
    document["hosts"][0]["findings"][1].update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_edited_finding(severity="critical"), "'critical' is not a valid Severity"),
        (_edited_finding(seq=2), "seq 2 is also at report.hosts[0].open_ports[0]"),
        (_edited_finding(text=None), "text: expected a string, not null"),
        (_edited_finding(plugin_id="0"), "bad plugin id '0'"),
        (_edited_finding(port={"text": "a\nb"}), "port must be non-empty text on one line"),
    ],
)
def test_a_bad_finding_is_refused_with_its_place(data: bytes, problem: str) -> None:
    with pytest.raises(JsonReportError, match=r"^report\.hosts\[0\]\.findings\[1\]") as caught:
        read_json(data)
    assert problem in str(caught.value)


def test_a_host_timestamp_among_the_scans_is_refused() -> None:
    document = json.loads(write_json(SCAN_RESULTS))
    document["scan"]["times"][0]["kind"] = "host_start"
    with pytest.raises(JsonReportError, match=r"scan\.times\[0\]: host_start timestamp"):
        read_json(json.dumps(document).encode())


def test_derived_members_are_not_read() -> None:
    document = json.loads(write_json(SCAN_RESULTS))
    document["summary"]["hosts_alive"] = 99
    document["hosts"][0]["findings"][0]["description"] = "edited"
    document["hosts"][0]["findings"][0]["cves"] = []
    assert read_json(json.dumps(document).encode()) == SCAN_RESULTS


# --- every record ----------------------------------------------------------------------------


@settings(max_examples=60)
@given(st.lists(EVENTS, max_size=8))
def test_every_record_validates_and_reads_back_as_written(events: list[Event]) -> None:
    results = ScanResults(events=tuple(events))
    report = write_json(results)
    _valid(report)
    assert read_json(report) == results
