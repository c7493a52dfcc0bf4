"""The scan's progress on a terminal: a live table with a row per host, and a summary at the end.

``rich`` redraws the table a few times a second from :class:`~ixion.app.progress.ScanProgress`
(it polls; the scan never waits for the screen). Everything goes to standard error, so
standard output carries only the report. ``rich`` honours ``NO_COLOR`` (no colour, the
table stays) and ``TERM=dumb``; :mod:`ixion.app.plain` takes over when standard error is not
a terminal at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ixion.app.progress import COUNTED
from ixion.reports.results import Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType

    from ixion.app.progress import HostProgress, ScanProgress

__all__ = ["LiveDisplay", "clock", "summary_rows"]

#: Redraws a second: smooth enough to read, cheap enough for a 2-core machine that scans.
REFRESH_PER_SECOND: Final = 4
#: Rows shown while scanning: the running hosts first, then the last ones finished.
MAX_ROWS: Final = 20
_STYLES: Final = {Severity.HOLE: "bold red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


def clock(seconds: float | None) -> str:
    """``1:05:09``, ``4:07``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def summary_rows(progress: ScanProgress) -> list[tuple[str, ...]]:
    """Host, result, time, open ports, holes, warnings, notes: a row per host, then totals."""
    now = progress.now()
    rows = []
    for host in progress.hosts.values():
        counts = [str(host.findings[severity]) for severity in COUNTED]
        rows.append(
            (host.host, host.state, clock(host.duration(now)), str(host.open_ports), *counts)
        )
    totals = progress.totals()
    open_ports = sum(host.open_ports for host in progress.hosts.values())
    done = f"{progress.hosts_done} of {len(progress.hosts)} done"
    counts = [str(totals[severity]) for severity in COUNTED]
    rows.append(("total", done, clock(now - progress.started), str(open_ports), *counts))
    return rows


class LiveDisplay:
    """Progress drawn in place on a terminal (standard error)."""

    def __init__(
        self, progress: ScanProgress, header: Sequence[str], console: Console | None = None
    ) -> None:
        self._progress = progress
        self._header = list(header)
        self._console = console or Console(stderr=True)
        self._live = Live(
            console=self._console,
            get_renderable=self._render,
            refresh_per_second=REFRESH_PER_SECOND,
            transient=True,
        )

    def start(self) -> None:
        for line in self._header:
            self._console.print(Text(line, style="bold"))
        self._live.start()

    def tell(self, host: str, text: str) -> None:
        """Moments worth a line are in the table already."""

    def warn(self, text: str) -> None:
        self._console.print(Text(f"ixion: {text}", style="yellow"))

    def stop(self) -> None:
        self._live.stop()

    def summary(self, written: Sequence[str], *, interrupted: bool) -> None:
        table = Table(title="interrupted: partial results" if interrupted else "scan summary")
        for name in ("host", "result", "time", "open ports"):
            table.add_column(name)
        for severity in COUNTED:
            table.add_column(f"{severity.value}s", justify="right", style=_STYLES[severity])
        rows = summary_rows(self._progress)
        for row in rows[:-1]:
            table.add_row(*row)
        table.add_row(*rows[-1], style="bold", end_section=True)
        self._console.print(table)
        if self._progress.rejected:
            self.warn(f"not scanned (outside the scope): {' '.join(self._progress.rejected)}")
        for path in written:
            self._console.print(f"report: {path}")

    # --- the live table ----------------------------------------------------------------------

    def _render(self) -> RenderableType:
        progress = self._progress
        table = Table(expand=False, box=None, padding=(0, 1))
        for name in ("host", "ports", "checks", "holes", "warn", "notes", "running"):
            table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=48)
        hosts = sorted(progress.hosts.values(), key=lambda h: (h.done, -(h.ended or 0)))
        for host in hosts[:MAX_ROWS]:
            table.add_row(*self._row(host))
        if len(hosts) > MAX_ROWS:
            table.add_row(f"... {len(hosts) - MAX_ROWS} more", "", "", "", "", "", "")
        expected = max(progress.hosts_expected - len(progress.rejected), len(progress.hosts))
        footer = Text(
            f"{progress.hosts_done}/{expected} hosts done  ·  "
            f"{clock(progress.now() - progress.started)} elapsed  ·  "
            f"ETA {clock(progress.eta())}  ·  Ctrl-C stops and keeps what was found",
            style="dim",
        )
        return Group(table, footer)

    @staticmethod
    def _row(host: HostProgress) -> tuple[Text | str, ...]:
        ports = f"{host.open_ports} open"
        if host.ports_total and not host.done:
            ports += f", {host.ports_scanned}/{host.ports_total} scanned"
        checks = f"{host.plugins_done}/{host.plugins_total or '?'}"
        counts = (
            Text(str(host.findings[s]), style=_STYLES[s] if host.findings[s] else "dim")
            for s in COUNTED
        )
        running = host.state if host.done else host.current
        if not host.done and len(host.running) > 1:
            running += f" (+{len(host.running) - 1})"
        return (host.host, ports, checks, *counts, running)
