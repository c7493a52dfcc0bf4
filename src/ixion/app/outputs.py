"""Where ``ixion scan`` writes its reports: ``-o FILE`` (repeatable), or standard output.

A file's format comes from its extension (``.nbe``, ``.json``, ``.html``...; see
:mod:`ixion.reports.formats`); ``--format`` names it for a file whose extension names none
(without ``--format`` such a file is NSR, as nessus wrote it) and for standard output
(``-o -``, or no ``-o`` at all), where the default is the text report.

JSON Lines is written as the scan goes, one flushed line per result, so a pipeline can follow
the file (or standard output) while hosts are still being scanned, and a scan that is killed
leaves every line written before it. The other formats are written from the whole record at
the end, partial after Ctrl-C. Files are opened before the scan starts, so a path that
cannot be written is an error before a single packet is sent.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Final

from ixion.reports.formats import format_for_path, format_named, report_formats
from ixion.reports.jsonl_report import JsonLinesWriter

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ixion.reports.formats import ReportFormat
    from ixion.reports.results import Event, PluginFacts, ScanResults

__all__ = ["STDOUT", "STDOUT_FORMAT", "OutputError", "ReportOutput", "Reports", "plan_outputs"]

#: ``-o -``: standard output.
STDOUT: Final = "-"
#: The format of standard output when ``--format`` does not say.
STDOUT_FORMAT: Final = "txt"
#: The format that streams.
_STREAMED: Final = "jsonl"


class OutputError(OSError):
    """A report that cannot be written; the message names the file."""


@dataclass(frozen=True, slots=True)
class ReportOutput:
    """One report to write: where, and in which format."""

    path: str
    format: ReportFormat

    @property
    def to_stdout(self) -> bool:
        return self.path == STDOUT

    @property
    def streamed(self) -> bool:
        return self.format.name == _STREAMED


def plan_outputs(paths: Sequence[str], format_name: str | None) -> list[ReportOutput]:
    """The reports ``-o`` and ``--format`` ask for.

    Raises:
        UnknownFormatError: ``--format`` names no format, or an extension is one of a
            format not written yet.
        ValueError: standard output is asked for twice.
    """
    chosen = format_named(format_name) if format_name is not None else None
    if not paths:
        return [ReportOutput(STDOUT, chosen or format_named(STDOUT_FORMAT))]
    if list(paths).count(STDOUT) > 1:
        raise ValueError("-o - (standard output) can be given once")
    known = {f.extension for f in report_formats().values()}
    outputs = []
    for path in paths:
        if path == STDOUT:
            outputs.append(ReportOutput(path, chosen or format_named(STDOUT_FORMAT)))
        elif chosen is not None and PurePath(path).suffix.lower() not in known:
            outputs.append(ReportOutput(path, chosen))
        else:
            outputs.append(ReportOutput(path, format_for_path(path)))
    return outputs


class Reports:
    """The open reports of one scan: :meth:`add` streams, :meth:`finish` writes the rest."""

    def __init__(self, outputs: Sequence[ReportOutput], plugins: Iterable[PluginFacts]) -> None:
        """Open every file now (JSON Lines ones get their header line at once).

        Raises:
            OutputError: a file cannot be opened for writing.
        """
        self._outputs = list(outputs)
        self._streams: list[tuple[IO[bytes], JsonLinesWriter]] = []
        facts = list(plugins) if any(o.streamed for o in outputs) else []
        try:
            for output in self._outputs:
                stream = self._open(output)
                if output.streamed:
                    self._streams.append((stream, JsonLinesWriter(stream, facts)))
                elif not output.to_stdout:
                    stream.close()  # created now, to fail early; written at the end
        except OSError as exc:
            self.close()
            raise OutputError(str(exc)) from None

    @staticmethod
    def _open(output: ReportOutput) -> IO[bytes]:
        if output.to_stdout:
            return sys.stdout.buffer
        try:
            return Path(output.path).open("wb")
        except OSError as exc:
            raise OutputError(f"cannot write {output.path}: {exc.strerror}") from None

    def add(self, event: Event, facts: PluginFacts | None = None) -> None:
        """A result as it arrives: written to every JSON Lines report at once.

        ``facts``: what is known of the plugin it names, when the reports were opened
        without it (a server's plugin list arrives after the files are opened).
        """
        for _, writer in self._streams:
            if facts is not None:
                writer.learn(facts)
            writer.write(event)

    def finish(self, results: ScanResults) -> list[str]:
        """Write every report that is not streamed; the files written, in ``-o`` order.

        Raises:
            OutputError: a file cannot be written (those before it are).
        """
        self.close()
        written = []
        for output in self._outputs:
            if not output.streamed:
                data = output.format.write(results)
                if output.to_stdout:
                    sys.stdout.buffer.write(data)
                    sys.stdout.buffer.flush()
                else:
                    try:
                        Path(output.path).write_bytes(data)
                    except OSError as exc:
                        raise OutputError(f"cannot write {output.path}: {exc.strerror}") from None
            if not output.to_stdout:
                written.append(output.path)
        return written

    def close(self) -> None:
        """Close the streamed files (standard output stays open)."""
        for stream, _ in self._streams:
            if stream is not sys.stdout.buffer:
                stream.close()
            else:
                stream.flush()
        self._streams = []
