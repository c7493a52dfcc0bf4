"""Report formats by name and by file extension: what ``-T``, ``-o FILE`` and
``ixion report convert IN OUT`` choose from.

Every writer takes the results record and returns the file's bytes; the formats that can be
read back (NBE, NSR, JSON, JSON Lines) also have a reader. A file name's extension picks
the format as in nessus (spec §9.1): a name with no extension, or one no format claims, is
written as NSR.

The NSR, XML and HTML writers live in modules of their own and are imported when first used
(the HTML one brings in its template engine).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.reports.csv_report import write_csv
from ixion.reports.json_report import read_json, write_json
from ixion.reports.jsonl_report import read_jsonl, write_jsonl
from ixion.reports.nbe import read_nbe, write_nbe
from ixion.reports.sarif import write_sarif
from ixion.reports.text import text_report

if TYPE_CHECKING:
    from collections.abc import Callable
    from os import PathLike

    from ixion.reports.results import ScanResults

__all__ = [
    "DEFAULT_FORMAT",
    "ReportFormat",
    "UnknownFormatError",
    "format_for_path",
    "format_named",
    "report_formats",
]

Writer: TypeAlias = "Callable[[ScanResults], bytes]"
Reader: TypeAlias = "Callable[[bytes], ScanResults]"

#: What nessus wrote when the result file's name said nothing (spec §9.1).
DEFAULT_FORMAT: Final = "nsr"


class UnknownFormatError(ValueError):
    """A format name no writer has."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportFormat:
    """A report format: its name, the extension that selects it, and how to write it."""

    name: str
    #: The extension it is chosen by and written with, dot included.
    extension: str
    #: One line for ``--help`` and error messages.
    description: str
    write: Writer
    #: None for formats that are only written (text, SARIF, CSV, XML, HTML).
    read: Reader | None = None
    #: Other names ``-T`` accepts for it.
    aliases: tuple[str, ...] = ()


def _write_text(results: ScanResults) -> bytes:
    # Lone surrogates are bytes that were not UTF-8 in the input: give them back as such.
    return text_report(results).encode("utf-8", "surrogateescape")


def _lazy_writer(module: str, function: str) -> Writer:
    """A writer of another module, imported when first used (see the module's notes)."""

    def write(results: ScanResults) -> bytes:
        writer: Writer = getattr(importlib.import_module(module), function)
        return writer(results)

    return write


def _lazy_reader(module: str, function: str) -> Reader:
    """A reader of another module, imported when first used."""

    def read(data: bytes) -> ScanResults:
        reader: Reader = getattr(importlib.import_module(module), function)
        return reader(data)

    return read


def report_formats() -> dict[str, ReportFormat]:
    """Every format ixion writes, by name, in the order ``--help`` lists them."""
    formats = (
        ReportFormat(
            name="nbe",
            extension=".nbe",
            description="NBE, nessus' line-per-result format (lossless)",
            write=write_nbe,
            read=read_nbe,
        ),
        ReportFormat(
            name="nsr",
            extension=".nsr",
            description="NSR, nessus' older line-per-result format",
            write=_lazy_writer("ixion.reports.nsr", "write_nsr"),
            read=_lazy_reader("ixion.reports.nsr", "read_nsr"),
        ),
        ReportFormat(
            name="txt",
            extension=".txt",
            description="a plain-text report to read",
            write=_write_text,
            aliases=("text",),
        ),
        ReportFormat(
            name="xml",
            extension=".xml",
            description="XML in nessus' NG layout, with QoD and references",
            write=_lazy_writer("ixion.reports.xml_report", "write_xml"),
        ),
        ReportFormat(
            name="json",
            extension=".json",
            description="JSON with a versioned schema (lossless)",
            write=write_json,
            read=read_json,
        ),
        ReportFormat(
            name="jsonl",
            extension=".jsonl",
            description="JSON Lines, one event a line, streamed while scanning (lossless)",
            write=write_jsonl,
            read=read_jsonl,
        ),
        ReportFormat(
            name="sarif",
            extension=".sarif",
            description="SARIF 2.1.0 for code-scanning dashboards and CI",
            write=write_sarif,
        ),
        ReportFormat(
            name="csv",
            extension=".csv",
            description="CSV, a row per finding, safe to open in a spreadsheet",
            write=write_csv,
        ),
        ReportFormat(
            name="html",
            extension=".html",
            description="HTML, one self-contained page to read, filter and print",
            write=_lazy_writer("ixion.reports.html_report", "write_html"),
        ),
    )
    return {f.name: f for f in formats}


_FORMATS: Final = report_formats()
_BY_NAME: Final = {name: f for f in _FORMATS.values() for name in (f.name, *f.aliases)}
_BY_EXTENSION: Final = {f.extension: f for f in _FORMATS.values()}


def format_named(name: str) -> ReportFormat:
    """The format ``-T``/``--format`` names (case does not matter).

    Raises:
        UnknownFormatError: no format has that name.
    """
    found = _BY_NAME.get(name.lower())
    if found is not None:
        return found
    known = ", ".join(_FORMATS)
    raise UnknownFormatError(f"unknown report format {name!r} (known: {known})")


def format_for_path(path: str | PathLike[str]) -> ReportFormat:
    """The format a result file's name asks for: by extension, else NSR."""
    extension = PurePath(path).suffix.lower()
    return _BY_EXTENSION.get(extension) or _FORMATS[DEFAULT_FORMAT]
