"""Scan reports: the results record, and the formats written from it.
It may use the protocol layer (results collected from NTP messages), never the server.

* :mod:`~ixion.reports.results` — :class:`ScanResults`, a scan's events as plain data, and
  what is known of their plugins (:class:`PluginFacts`); the only thing a writer reads.
* :mod:`~ixion.reports.collect` — builds it from the server's NTP messages.
* :mod:`~ixion.reports.details` — a finding's text and port field taken apart
  (description, CVEs, BIDs, references, quality of detection; service, number, protocol).
* :mod:`~ixion.reports.formats` — every format by name and file extension, with its writer
  and, where the format is lossless or nearly, its reader (``-T``, ``-o``, converting).
* :mod:`~ixion.reports.nbe` — NBE out and back in (spec §9.3).
* :mod:`~ixion.reports.nsr` — NSR out and back in (spec §9.4).
* :mod:`~ixion.reports.text` — the plain-text report (spec §9.5).
* :mod:`~ixion.reports.xml_report` — XML in nessus' NG layout, with Greenbone's fields.
* :mod:`~ixion.reports.json_report` — JSON with a versioned schema shipped in
  ``schemas/``, and back in; :mod:`~ixion.reports.json_values` its encoding and checked
  reading.
* :mod:`~ixion.reports.jsonl_report` — JSON Lines, an event a line, streamed while
  scanning, and back in.
* :mod:`~ixion.reports.sarif` — SARIF 2.1.0 for code-scanning dashboards.
* :mod:`~ixion.reports.csv_report` — CSV, a row per finding, defused for spreadsheets.
"""

from ixion.reports.collect import ResultsCollector, collect_results, event_from_message
from ixion.reports.formats import (
    ReportFormat,
    UnknownFormatError,
    format_for_path,
    format_named,
    report_formats,
)
from ixion.reports.jsonl_report import JsonLinesWriter
from ixion.reports.nbe import NbeError, read_nbe, write_nbe
from ixion.reports.results import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    PluginFacts,
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
    "JsonLinesWriter",
    "NbeError",
    "OpenPort",
    "PluginFacts",
    "ReportFormat",
    "ResultsCollector",
    "ScanResults",
    "Severity",
    "Timestamp",
    "TimestampKind",
    "UnknownFormatError",
    "collect_results",
    "event_from_message",
    "format_for_path",
    "format_named",
    "read_nbe",
    "report_formats",
    "text_report",
    "write_nbe",
]
