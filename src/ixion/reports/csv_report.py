"""CSV: one row per finding, for spreadsheets and quick ``grep``/``awk`` work.

Columns, always these and in this order (:data:`COLUMNS`): ``type`` (``finding``, or
``open_port`` for the optional open-port rows), host, the port field and its parts, severity,
plugin id, name and family (empty when the record does not know the plugin), qod and
qod_type, CVEs, BIDs and other references (each list joined with ``", "``, as the server
writes them), and the plugin's text without the appended lines. Rows follow the record's
order. RFC 4180 layout: comma-separated, CRLF between rows, a cell quoted when it holds a
comma, a quote or a line end; UTF-8 without a byte-order mark.

A report holds what scanned hosts chose to say, so every cell is defused before it is
written:

* Formula injection (OWASP's "CSV Injection"): a cell that a spreadsheet would take for a
  formula, one starting with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), TAB or
  a line end, also after leading spaces, gets a ``'`` in front, which spreadsheets read as
  "this is text" and do not show.
* Control characters: a line end inside a cell is written as LF (CRLF and a lone CR
  alike; quoted, so it stays inside its cell), TAB stays, and every other C0 control
  character and DEL becomes its visible Unicode "control picture" (NUL is ``␀``), so no
  byte that confuses a reader reaches the file. C1 controls and the stand-ins for bytes
  that were not UTF-8 become U+FFFD.

* Size: a cell longer than :data:`MAX_CELL` characters is cut there and says how much was
  cut. Spreadsheets hold at most 32,767 characters a cell (Excel, LibreOffice) and Python's
  ``csv`` reader refuses fields over 128 KiB, while a finding's text may be a whole
  downloaded page.

Those changes make the CSV a view, not a copy; JSON, JSON Lines and NBE are the lossless
formats.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Final

from ixion.reports.details import finding_details, port_details
from ixion.reports.results import Finding, OpenPort, ScanResults

__all__ = ["COLUMNS", "MAX_CELL", "defuse_cell", "write_csv"]

COLUMNS: Final = (
    "type",
    "host",
    "port",
    "service",
    "port_number",
    "protocol",
    "severity",
    "plugin_id",
    "plugin_name",
    "plugin_family",
    "qod",
    "qod_type",
    "cves",
    "bids",
    "references",
    "description",
)

#: The longest cell written, its note included: below the spreadsheets' 32,767, with room
#: for characters they count twice (outside the BMP, two UTF-16 units).
MAX_CELL: Final = 32_000

#: What makes a spreadsheet read a cell as a formula: OWASP's list, with the full-width
#: forms some spreadsheets also accept; OWASP's CR is a LF by the time this is checked.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LINE_ENDS: Final = re.compile(r"\r\n?")
#: C0 controls other than TAB and LF, and DEL.
_C0_AND_DEL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: C1 controls and lone surrogates (bytes that were not UTF-8).
_UNWRITABLE: Final = re.compile(r"[\x80-\x9f\ud800-\udfff]")
_CONTROL_PICTURES: Final = 0x2400  # U+2400 SYMBOL FOR NULL, then one per C0 code
_DEL_PICTURE: Final = "\u2421"


def write_csv(results: ScanResults, *, open_ports: bool = False) -> bytes:
    """The CSV report: a header row, then a row per finding (and per open port if asked)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in results.events:
        if isinstance(event, Finding):
            writer.writerow(defuse_cell(cell) for cell in _finding_row(event, results))
        elif isinstance(event, OpenPort) and open_ports:
            writer.writerow(defuse_cell(cell) for cell in _open_port_row(event))
    return buffer.getvalue().encode("utf-8")


def defuse_cell(cell: str) -> str:
    """A cell's text made safe to open in a spreadsheet (see the module's notes)."""
    text = _LINE_ENDS.sub("\n", cell)
    text = _C0_AND_DEL.sub(_picture, text)
    text = _UNWRITABLE.sub("\ufffd", text)
    if text.lstrip(" ").startswith(_FORMULA_STARTS):
        text = "'" + text
    if len(text) > MAX_CELL:
        # The note for cutting everything is at least as long as the real one.
        kept = MAX_CELL - len(_cut_note(len(text)))
        text = text[:kept] + _cut_note(len(text) - kept)
    return text


def _cut_note(count: int) -> str:
    return f" [... {count} characters cut]"


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return _DEL_PICTURE if code == 0x7F else chr(_CONTROL_PICTURES + code)


def _port_cells(port: str) -> list[str]:
    parts = port_details(port)
    number = "" if parts.number is None else str(parts.number)
    return [port, parts.service or "", number, parts.protocol or ""]


def _finding_row(finding: Finding, results: ScanResults) -> list[str]:
    details = finding_details(finding.text)
    facts = results.plugin(finding.plugin_id)
    return [
        "finding",
        finding.host,
        *_port_cells(finding.port),
        finding.severity.value,
        finding.plugin_id or "",
        facts.name if facts else "",
        facts.family if facts else "",
        "" if details.qod is None else str(details.qod),
        details.qod_type or "",
        ", ".join(details.cves),
        ", ".join(details.bids),
        ", ".join(details.references),
        details.description,
    ]


def _open_port_row(event: OpenPort) -> list[str]:
    cells = ["open_port", event.host, *_port_cells(event.port)]
    return cells + [""] * (len(COLUMNS) - len(cells))
