"""The scan's progress as plain lines, for logs, CI jobs and pipes; and no progress at all.

When standard error is not a terminal, redrawing a table would fill a CI log with escape
codes, so each moment worth knowing is one line (``ixion: 127.0.0.1: open port ssh
(22/tcp)``), written when it happens and flushed, and the summary is a plain table. With
``-q`` nothing is written but errors.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from ixion.app.live import summary_rows
from ixion.app.progress import COUNTED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.app.progress import ScanProgress

__all__ = ["PlainDisplay", "QuietDisplay"]


class PlainDisplay:
    """A line per moment worth knowing, on standard error."""

    def __init__(
        self, progress: ScanProgress, header: Sequence[str], out: TextIO | None = None
    ) -> None:
        self._progress = progress
        self._header = list(header)
        self._out = out or sys.stderr

    def _line(self, text: str) -> None:
        print(f"ixion: {text}", file=self._out, flush=True)

    def start(self) -> None:
        for line in self._header:
            self._line(line)

    def tell(self, host: str, text: str) -> None:
        self._line(f"{host}: {text}")

    def warn(self, text: str) -> None:
        self._line(text)

    def stop(self) -> None:
        """Nothing is drawn in place, so nothing is to be taken down."""

    def summary(self, written: Sequence[str], *, interrupted: bool) -> None:
        self._line("interrupted: partial results" if interrupted else "scan summary")
        titles = ("host", "result", "time", "open ports", *(f"{s.value}s" for s in COUNTED))
        rows = [titles, *summary_rows(self._progress)]
        widths = [max(len(row[column]) for row in rows) for column in range(len(titles))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            print("  " + "  ".join(cells).rstrip(), file=self._out)
        if self._progress.rejected:
            self._line(f"not scanned (outside the scope): {' '.join(self._progress.rejected)}")
        for path in written:
            self._line(f"report: {path}")
        self._out.flush()


class QuietDisplay:
    """``-q``: nothing but the report (errors still reach standard error)."""

    def start(self) -> None:
        """Quiet."""

    def tell(self, host: str, text: str) -> None:
        """Quiet."""

    def warn(self, text: str) -> None:
        """Quiet: what went wrong is in the exit status and, with ``--log``, the log."""

    def stop(self) -> None:
        """Quiet."""

    def summary(self, written: Sequence[str], *, interrupted: bool) -> None:
        """Quiet."""
