"""Scan reports: the results record, and the formats written from it (NBE, text).
It may use the protocol layer (results collected from NTP messages), never the server.

* :mod:`~ixion.reports.results` — :class:`ScanResults`, a scan's events as plain data; the
  only thing a writer reads.
* :mod:`~ixion.reports.collect` — builds it from the server's NTP messages.
* :mod:`~ixion.reports.nbe` — NBE out and back in (spec §9.3).
* :mod:`~ixion.reports.text` — the plain-text report (spec §9.5).
"""

from ixion.reports.collect import ResultsCollector, collect_results, event_from_message
from ixion.reports.nbe import NbeError, read_nbe, write_nbe
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
from ixion.reports.text import text_report

__all__ = [
    "Event",
    "Finding",
    "HostsRejected",
    "NbeError",
    "OpenPort",
    "ResultsCollector",
    "ScanResults",
    "Severity",
    "Timestamp",
    "TimestampKind",
    "collect_results",
    "event_from_message",
    "read_nbe",
    "text_report",
    "write_nbe",
]
