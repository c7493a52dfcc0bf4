"""The registry of report formats: names, extensions, and converting between them."""

from __future__ import annotations

import pytest

from ixion.reports import read_nbe
from ixion.reports.formats import (
    DEFAULT_FORMAT,
    UnknownFormatError,
    format_for_path,
    format_named,
    report_formats,
)
from tests.reports.hostile import HOSTILE_RESULTS
from tests.reports.samples import SCAN_NBE, SCAN_RESULTS

LOSSLESS = ("nbe", "json", "jsonl")


def test_every_format_writes_the_captured_scan_the_same_way_twice() -> None:
    for report_format in report_formats().values():
        data = report_format.write(SCAN_RESULTS)
        assert data, report_format.name
        assert data == report_format.write(SCAN_RESULTS), report_format.name


@pytest.mark.parametrize("name", LOSSLESS)
def test_nbe_converts_to_each_lossless_format_and_back_to_the_same_nbe(name: str) -> None:
    report_format = format_named(name)
    assert report_format.read is not None
    results = report_format.read(report_format.write(read_nbe(SCAN_NBE)))
    assert format_named("nbe").write(results) == SCAN_NBE


def test_nsr_keeps_the_open_ports_and_findings() -> None:
    nsr = format_named("nsr")
    assert nsr.read is not None
    results = nsr.read(nsr.write(SCAN_RESULTS))
    assert results.open_ports == SCAN_RESULTS.open_ports
    assert [(f.port, f.severity, f.plugin_id) for f in results.findings] == [
        (f.port, f.severity, f.plugin_id) for f in SCAN_RESULTS.findings
    ]


def test_only_the_formats_with_a_reader_can_be_converted_from() -> None:
    readable = sorted(f.name for f in report_formats().values() if f.read is not None)
    assert readable == ["json", "jsonl", "nbe", "nsr"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("scan.nbe", "nbe"),
        ("scan.nsr", "nsr"),
        ("scan.txt", "txt"),
        ("scan.xml", "xml"),
        ("scan.json", "json"),
        ("scan.jsonl", "jsonl"),
        ("scan.sarif", "sarif"),
        ("scan.csv", "csv"),
        ("scan.html", "html"),
        ("/tmp/Report.HTML", "html"),
        ("/tmp/dir.d/SCAN.JSON", "json"),
        ("scan", DEFAULT_FORMAT),
        ("scan.pdf", DEFAULT_FORMAT),
        ("-", DEFAULT_FORMAT),
        (".nbe", DEFAULT_FORMAT),  # a hidden file's name, not an extension
    ],
)
def test_the_extension_picks_the_format_and_nsr_is_the_default(path: str, name: str) -> None:
    assert format_for_path(path).name == name


def test_html_is_written_as_a_page_not_as_nsr() -> None:
    report_format = format_for_path("report.html")
    assert report_format is format_named("HTML")
    assert report_format.read is None
    assert report_format.write(SCAN_RESULTS).startswith(b"<!DOCTYPE html>\n")


@pytest.mark.parametrize(("name", "expected"), [("text", "txt"), ("TXT", "txt"), ("Json", "json")])
def test_names_and_aliases_ignore_case(name: str, expected: str) -> None:
    assert format_named(name).name == expected


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFormatError, match=r"unknown report format 'pdf' \(known: nbe, "):
        format_named("pdf")


def test_each_format_has_its_own_extension() -> None:
    extensions = [f.extension for f in report_formats().values()]
    assert len(set(extensions)) == len(extensions)
    assert all(format_for_path(f"x{ext}").extension == ext for ext in extensions)


def test_the_text_report_gives_back_bytes_that_were_not_utf8() -> None:
    data = format_named("txt").write(HOSTILE_RESULTS)
    assert b"h\xf4te" in data
