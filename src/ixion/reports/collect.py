"""Scan results from the messages a server sends during a scan.

This is the one place in ``reports`` that knows the wire: it maps TIME, PORT, HOLE/INFO/NOTE
(and OTP's LOG/DEBUG) and E002 to the events of :mod:`ixion.reports.results` and ignores
everything else (STATUS, FINISHED, BYE...), which no report shows (spec §3.4-§3.8, §9.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.ntp import HostsNotAllowed, Port, Report, ReportKind, Time, TimeKind
from ixion.reports.results import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ixion.ntp import Message

__all__ = ["ResultsCollector", "collect_results", "event_from_message"]

_SEVERITIES: Final = {
    ReportKind.HOLE: Severity.HOLE,
    ReportKind.INFO: Severity.WARNING,
    ReportKind.NOTE: Severity.NOTE,
    ReportKind.LOG: Severity.LOG,
    ReportKind.DEBUG: Severity.DEBUG,
}

_TIMESTAMP_KINDS: Final = {
    TimeKind.SCAN_START: TimestampKind.SCAN_START,
    TimeKind.HOST_START: TimestampKind.HOST_START,
    TimeKind.HOST_END: TimestampKind.HOST_END,
    TimeKind.HOST_INTERRUPTED: TimestampKind.HOST_INTERRUPTED,
    TimeKind.SCAN_END: TimestampKind.SCAN_END,
}


def event_from_message(msg: Message) -> Event | None:
    """The event a server message adds to the results, or None if it adds none."""
    match msg:
        case Time(kind=kind, when=when, host=host):
            return Timestamp(kind=_TIMESTAMP_KINDS[kind], when=when, host=host)
        case Port(host=host, port=port):
            return OpenPort(host=host, port=str(port))
        case Report(kind=kind, host=host, port=port, text=text, plugin_id=plugin_id):
            # nessusd's plugin id 0 means "no plugin", as an omitted id does (spec §3.5).
            plugin = None if plugin_id == "0" else plugin_id
            return Finding(
                host=host, port=str(port), severity=_SEVERITIES[kind], text=text, plugin_id=plugin
            )
        case HostsNotAllowed(hosts=hosts, truncated=truncated):
            return HostsRejected(hosts=hosts, truncated=truncated)
    return None


class ResultsCollector:
    """Gathers events while a scan runs.

    ``results`` is a snapshot that can be taken at any time: the reference client writes
    the partial report when it is stopped mid-scan (spec §9.1).
    """

    def __init__(self) -> None:
        self._events: list[Event] = []

    def add(self, msg: Message) -> bool:
        """Record the message's event; False when the message carries no result."""
        event = event_from_message(msg)
        if event is None:
            return False
        self._events.append(event)
        return True

    @property
    def results(self) -> ScanResults:
        return ScanResults(events=tuple(self._events))


def collect_results(messages: Iterable[Message]) -> ScanResults:
    """The results carried by a sequence of server messages."""
    collector = ResultsCollector()
    for msg in messages:
        collector.add(msg)
    return collector.results
