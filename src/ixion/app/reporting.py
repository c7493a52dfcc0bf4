"""What every ``ixion scan`` does around its scan, embedded or through a server: show its
progress, keep its log, and at the end write the reports, show the summary and choose the
exit status.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, Protocol

import click

from ixion.app.live import LiveDisplay
from ixion.app.outputs import OutputError
from ixion.app.plain import PlainDisplay, QuietDisplay
from ixion.app.request import ExitStatus
from ixion.reports.results import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from ixion.app.outputs import Reports
    from ixion.app.progress import ScanProgress
    from ixion.app.request import ScanRequest
    from ixion.reports.results import ScanResults

__all__ = [
    "HOST_FAILED",
    "Display",
    "conclude",
    "failed_host",
    "host_failures",
    "make_display",
    "scan_logging",
]

#: How ixiond's ERROR for a host it could not scan begins.
HOST_FAILED: Final = "E004 "
#: How bad each severity is, for ``--fail-on``; log and debug messages never fail a scan.
_RANK: Final = {Severity.HOLE: 3, Severity.WARNING: 2, Severity.NOTE: 1}


class Display(Protocol):
    """How progress is shown: :class:`LiveDisplay`, :class:`PlainDisplay`, :class:`QuietDisplay`."""

    def start(self) -> None: ...
    def tell(self, host: str, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def stop(self) -> None: ...
    def summary(self, written: Sequence[str], *, interrupted: bool) -> None: ...


def make_display(request: ScanRequest, progress: ScanProgress, header: list[str]) -> Display:
    """Quiet with ``-q``; a live table on a terminal; plain lines anywhere else."""
    if request.quiet:
        return QuietDisplay()
    if sys.stderr.isatty():
        return LiveDisplay(progress, header)
    return PlainDisplay(progress, header)


def conclude(
    request: ScanRequest,
    reports: Reports,
    display: Display,
    results: ScanResults,
    *,
    interrupted: bool,
    failures: Sequence[str] = (),
) -> ExitStatus:
    """Write every report, show the summary; the exit status the results call for.

    ``failures`` are what kept the scan from being whole (a host whose scan failed, a server
    that hung up): the reports are written all the same, but a scan that did not look at
    everything must not exit as if it had found nothing (unless it found enough to fail
    ``--fail-on`` anyway).
    """
    try:
        written = reports.finish(results)
    except OutputError as exc:
        click.echo(f"ixion: {exc}", err=True)
        return ExitStatus.SCAN_ERROR
    display.summary(written, interrupted=interrupted)
    if interrupted:
        return ExitStatus.INTERRUPTED
    if failures:
        click.echo(f"ixion: the scan is incomplete: {'; '.join(failures)}", err=True)
    if request.fail_on is not None:
        least = _RANK[request.fail_on]
        if any(_RANK.get(finding.severity, 0) >= least for finding in results.findings):
            return ExitStatus.FINDINGS
    return ExitStatus.SCAN_ERROR if failures else ExitStatus.OK


def host_failures(errors: Iterable[str]) -> list[str]:
    """The ERROR texts that say a host's scan failed (``E004 - Scan of HOST failed: ...``)."""
    return [text for text in errors if text.startswith(HOST_FAILED)]


def failed_host(error: str) -> tuple[str, str] | None:
    """The host and the cause an ``E004 - Scan of HOST failed: CAUSE`` ERROR names, or None."""
    prefix = f"{HOST_FAILED}- Scan of "
    host, sep, cause = error.removeprefix(prefix).partition(" failed: ")
    if not error.startswith(prefix) or not sep or not host or " " in host:
        return None
    return host, cause


class _DisplayHandler(logging.Handler):
    """``-v``: warnings from the scan's log, shown where progress is."""

    def __init__(self, display: Display) -> None:
        super().__init__(logging.WARNING)
        self._display = display

    def emit(self, record: logging.LogRecord) -> None:
        self._display.warn(self.format(record))


@contextmanager
def scan_logging(request: ScanRequest, display: Display) -> Iterator[None]:
    """The scan's log: to ``--log FILE`` (everything ixiond would log), warnings shown with
    ``-v``, else nowhere (Python would print warnings over the progress display)."""
    root = logging.getLogger()
    handlers: list[logging.Handler] = [logging.NullHandler()]
    if request.log_file is not None:
        file_handler = logging.FileHandler(request.log_file, encoding="utf-8")
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s ixion[%(process)d] %(levelname)s %(name)s: %(message)s")
        )
        handlers.append(file_handler)
    if request.verbose:
        handlers.append(_DisplayHandler(display))
    level = root.level
    root.setLevel(logging.INFO if request.log_file is not None else logging.WARNING)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
