"""Which format a report file's name asks for, and reading and writing one (spec §9.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ixion.client.report_files import (
    ReportFileError,
    convert_report,
    input_format,
    output_format,
    read_report,
    write_report,
)
from ixion.reports import read_nbe, report_formats
from tests.transcripts import TRANSCRIPTS

NESSUS_NBE = TRANSCRIPTS / "nessus225-client_scan.nbe"


@pytest.mark.parametrize(
    ("path", "requested", "expected"),
    [
        ("scan.nbe", None, "nbe"),
        ("scan.NBE", None, "nbe"),
        ("scan.txt", None, "txt"),
        ("scan.text", None, "txt"),  # nessus took the extension as the type's name
        ("scan.jsonl", None, "jsonl"),
        ("scan", None, "nsr"),
        ("scan.2026-11-24", None, "nsr"),
        ("reports.d/scan", None, "nsr"),  # a dot in a directory is no extension
        ("-", None, "nbe"),
        ("scan.nbe", "json", "json"),
        ("scan", "TEXT", "txt"),
        ("-", "sarif", "sarif"),
    ],
)
def test_the_output_format_comes_from_the_request_or_else_the_name(
    path: str, requested: str | None, expected: str
) -> None:
    assert output_format(path, requested).name == expected


def test_every_written_format_is_chosen_by_its_own_extension_and_name() -> None:
    for name, report_format in report_formats().items():
        assert output_format(f"scan{report_format.extension}").name == name
        assert output_format("scan", name).name == name


@pytest.mark.parametrize(
    ("path", "requested", "message"),
    [
        ("scan.tex", None, "does not write nessus' tex reports (LaTeX)"),
        ("scan.latex", None, "nessus' latex reports"),
        ("scan.nbe", "html_pie", "HTML pages with pie charts"),
        ("pages/", None, "html_graph"),
        ("scan.nbe", "old-xml", "nessus' first XML layout"),
        ("scan.nbe", "docx", "unknown report format 'docx'"),
    ],
)
def test_formats_ixion_does_not_write_are_refused_with_what_it_writes(
    path: str, requested: str | None, message: str
) -> None:
    with pytest.raises(ReportFileError) as refused:
        output_format(path, requested)
    assert message in str(refused.value)
    assert "nbe, nsr" in str(refused.value)


@pytest.mark.parametrize(
    ("path", "requested", "expected"),
    [
        ("scan.nbe", None, "nbe"),
        ("scan.nsr", None, "nsr"),
        ("scan.JSON", None, "json"),
        ("scan.jsonl", None, "jsonl"),
        ("-", None, "nbe"),
        ("scan", "nsr", "nsr"),
        ("scan.txt", "nbe", "nbe"),
    ],
)
def test_the_input_format_comes_from_the_request_or_else_the_extension(
    path: str, requested: str | None, expected: str
) -> None:
    assert input_format(path, requested).name == expected


@pytest.mark.parametrize(
    ("path", "requested", "message"),
    [
        ("scan", None, "cannot tell the format of scan from its name"),
        ("scan.2026", None, "name one with --from (nbe, nsr, json, jsonl)"),
        ("scan.csv", None, "csv reports cannot be read back; ixion reads nbe, nsr, json, jsonl"),
        ("scan.nbe", "sarif", "sarif reports cannot be read back"),
    ],
)
def test_an_input_ixion_cannot_read_is_refused(
    path: str, requested: str | None, message: str
) -> None:
    with pytest.raises(ReportFileError) as refused:
        input_format(path, requested)
    assert message in str(refused.value)


def test_a_file_read_with_the_wrong_format_is_an_error_naming_it(tmp_path: Path) -> None:
    json_file = tmp_path / "scan.json"
    json_file.write_bytes(NESSUS_NBE.read_bytes())
    with pytest.raises(ReportFileError, match=r"scan\.json is not a valid json report"):
        read_report(str(json_file), input_format(str(json_file)))
    with pytest.raises(ReportFileError, match=r"cannot read .*missing\.nbe: No such file"):
        read_report(str(tmp_path / "missing.nbe"), input_format("missing.nbe"))


def test_standard_output_gets_nbe(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    nbe = NESSUS_NBE.read_bytes()
    write_report(read_nbe(nbe), output_format("-"), "-")
    assert capsysbinary.readouterr().out == nbe


def test_a_conversion_settles_both_formats_before_reading(tmp_path: Path) -> None:
    target = tmp_path / "out.tex"
    with pytest.raises(ReportFileError, match="LaTeX"):
        convert_report(str(tmp_path / "missing.nbe"), str(target))
    assert not target.exists()
    reading, writing = convert_report(str(NESSUS_NBE), str(tmp_path / "out"))
    assert (reading.name, writing.name) == ("nbe", "nsr")
    assert (tmp_path / "out").read_bytes() == writing.write(read_nbe(NESSUS_NBE.read_bytes()))


def test_a_report_that_cannot_be_written_is_an_error(tmp_path: Path) -> None:
    results = read_nbe(NESSUS_NBE.read_bytes())
    with pytest.raises(ReportFileError, match=r"cannot write .*: No such file"):
        write_report(results, output_format("x.nbe"), str(tmp_path / "no" / "x.nbe"))
