"""Report files named on the command line: which format a name asks for, reading, writing.

``ixion -q``, ``ixion -q -i IN -o OUT`` and ``ixion report`` share these rules, nessus 2.2.5's
where it had one (spec §9.1, and its ``cli.c`` and ``backend.c``):

* A format is asked for by name (``-T``, ``--to``, ``--from``) or else by the file's
  extension, which nessus read as the type's name: ``.txt`` and ``.text`` are text.
* Written, a name with no extension or one that no format claims is NSR, as nessus wrote.
  (nessus itself stopped at an extension it did not know; a dotted date in a file name
  is no reason to lose a scan.) ``-`` is standard output, in NBE (``ixion -q``'s documented
  choice; nessus wrote NSR there).
* The nessus types ixion does not write (LaTeX, the ``html_graph`` pie charts, also asked
  for by a result name ending in ``/``, and ``old-xml``) are refused before any scan starts,
  with the list of what can be written.
* Read, a file needs an extension of a format that can be read back (NBE, NSR, JSON,
  JSON Lines) or ``--from``: nessus refused the rest too, and reading one format as another
  would give a wrong report rather than an error. ``-`` is NBE on standard input, the one
  format nessus took from a pipe.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Final

from ixion.reports.formats import (
    UnknownFormatError,
    format_for_path,
    format_named,
    report_formats,
)

if TYPE_CHECKING:
    from ixion.reports.formats import ReportFormat
    from ixion.reports.results import ScanResults

__all__ = [
    "STANDARD_STREAM",
    "ReportFileError",
    "convert_report",
    "input_format",
    "output_format",
    "read_report",
    "write_report",
]

#: The file name that means standard input or output.
STANDARD_STREAM: Final = "-"
#: What ``-`` is read and written as.
_STREAM_FORMAT: Final = "nbe"

#: nessus report types ixion does not write, and what each was.
_NESSUS_ONLY: Final = {
    "tex": "LaTeX",
    "latex": "LaTeX",
    "html_graph": "HTML pages with pie charts",
    "html_pie": "HTML pages with pie charts",
    "old-xml": "nessus' first XML layout",
}


class ReportFileError(Exception):
    """A report file whose format cannot be told or is not supported, or that is broken."""


def _writable() -> str:
    return ", ".join(report_formats())


def _readable() -> str:
    return ", ".join(f.name for f in report_formats().values() if f.read is not None)


def _named(name: str) -> ReportFormat:
    """The format a name asks for (``-T``, ``--to``, ``--from``, an extension)."""
    refused = _NESSUS_ONLY.get(name.lower())
    if refused is not None:
        raise ReportFileError(
            f"ixion does not write nessus' {name} reports ({refused}); it writes {_writable()}"
        )
    try:
        return format_named(name)
    except UnknownFormatError as exc:
        raise ReportFileError(str(exc)) from None


def _extension(path: str) -> str:
    """The extension as a type name, without its dot and in lower case (``""`` for none)."""
    return PurePath(path).suffix.lower().removeprefix(".")


def _known_names() -> set[str]:
    return {name for f in report_formats().values() for name in (f.name, *f.aliases)}


def output_format(path: str, requested: str | None = None) -> ReportFormat:
    """The format to write ``path`` in: ``requested`` if given, else by its name.

    Raises:
        ReportFileError: the requested or implied format is one ixion does not write.
    """
    if requested is not None:
        return _named(requested)
    if path == STANDARD_STREAM:
        return format_named(_STREAM_FORMAT)
    if path.endswith("/"):
        # nessus wrote its html_graph pages into a directory so named (spec §9.1).
        return _named("html_graph")
    extension = _extension(path)
    if extension in _NESSUS_ONLY or extension in _known_names():
        return _named(extension)
    try:
        return format_for_path(path)
    except UnknownFormatError as exc:
        raise ReportFileError(f"{path}: {exc}") from None


def input_format(path: str, requested: str | None = None) -> ReportFormat:
    """The format to read ``path`` as: ``requested`` if given, else by its extension.

    Raises:
        ReportFileError: the format cannot be told, or ixion cannot read it back.
    """
    if requested is not None:
        found = _named(requested)
    elif path == STANDARD_STREAM:
        found = format_named(_STREAM_FORMAT)
    else:
        extension = _extension(path)
        if extension not in _known_names():
            raise ReportFileError(
                f"cannot tell the format of {path} from its name: "
                f"name one with --from ({_readable()})"
            )
        found = format_named(extension)
    if found.read is None:
        raise ReportFileError(
            f"{found.name} reports cannot be read back; ixion reads {_readable()}"
        )
    return found


def read_report(path: str, report_format: ReportFormat) -> ScanResults:
    """The results a report file holds (``-`` reads standard input).

    Raises:
        ReportFileError: the file cannot be read, or is not a valid file of that format.
    """
    if report_format.read is None:
        raise ReportFileError(f"{report_format.name} reports cannot be read back")
    try:
        data = sys.stdin.buffer.read() if path == STANDARD_STREAM else Path(path).read_bytes()
    except OSError as exc:
        raise ReportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return report_format.read(data)
    except ValueError as exc:  # each reader's own error, and bytes that are not UTF-8
        where = "standard input" if path == STANDARD_STREAM else path
        raise ReportFileError(
            f"{where} is not a valid {report_format.name} report: {exc}"
        ) from None


def write_report(results: ScanResults, report_format: ReportFormat, path: str) -> None:
    """Write the report, replacing any file by that name (``-`` writes standard output).

    Raises:
        ReportFileError: the file cannot be written.
    """
    report = report_format.write(results)
    if path == STANDARD_STREAM:
        sys.stdout.buffer.write(report)
        sys.stdout.flush()
        return
    try:
        Path(path).write_bytes(report)
    except OSError as exc:
        raise ReportFileError(f"cannot write {path}: {exc.strerror or exc}") from None


def convert_report(
    source: str,
    target: str,
    *,
    source_format: str | None = None,
    target_format: str | None = None,
) -> tuple[ReportFormat, ReportFormat]:
    """Read ``source`` and write it to ``target``; the formats used, read and written.

    Both formats are settled before anything is read, so a bad name costs no work.

    Raises:
        ReportFileError: as :func:`input_format`, :func:`output_format`,
            :func:`read_report` and :func:`write_report` do.
    """
    reading = input_format(source, source_format)
    writing = output_format(target, target_format)
    write_report(read_report(source, reading), writing, target)
    return reading, writing
