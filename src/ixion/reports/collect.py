"""Scan results from the messages a server sends during a scan.

This is the one place in ``reports`` that knows the wire: it maps TIME, PORT, HOLE/INFO/NOTE
(and OTP's LOG/DEBUG) and E002 to the events of :mod:`ixion.reports.results` and ignores
everything else (STATUS, FINISHED, BYE...), which no report shows (spec §3.4-§3.8, §9.3).

Given the server's PLUGIN_LIST, it also keeps :class:`PluginFacts` for the plugins that
reported, so that reports can name them. A whole feed lists 136 k plugins and a scan hears
from a few hundred: the list is indexed once, on the first finding, and only the plugins
that reported are turned into facts. A client that keeps the list out of memory passes a
``find_plugin`` function instead, asked once per plugin that reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.ntp import HostsNotAllowed, Port, Report, ReportKind, Time, TimeKind
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

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from ixion.ntp import Message, PluginRecord

__all__ = ["ResultsCollector", "collect_results", "event_from_message", "plugin_facts"]

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


def plugin_facts(record: PluginRecord) -> PluginFacts | None:
    """What reports show of a PLUGIN_LIST entry; None for an entry a report cannot name
    (no name, or nessusd's plugin id ``0``)."""
    try:
        return PluginFacts(
            id=record.id,
            name=record.name,
            family=record.family,
            category=record.category.value,
            summary=record.summary,
            cve=record.cve,
            bid=record.bid,
            xrefs=record.xref,
            solution=_tag(record.tags, "solution"),
        )
    except ValueError:
        return None


def _tag(tags: str, name: str) -> str:
    """One value of OTP's ``name=value|name=value`` script tags (empty when absent)."""
    for tag in tags.split("|"):
        key, equals, value = tag.partition("=")
        if equals and key == name:
            return value
    return ""


class ResultsCollector:
    """Gathers events while a scan runs, and the facts about the plugins that reported.

    ``results`` is a snapshot that can be taken at any time: the reference client writes
    the partial report when it is stopped mid-scan (spec §9.1).
    """

    def __init__(
        self,
        plugins: Sequence[PluginRecord] = (),
        *,
        find_plugin: Callable[[str], PluginRecord | None] | None = None,
    ) -> None:
        """``plugins``: the server's PLUGIN_LIST, if the client has it; or ``find_plugin``,
        which gives the record of a plugin id (None if the list has no such plugin)."""
        self._events: list[Event] = []
        self._plugin_list = plugins
        self._plugin_index: dict[str, PluginRecord] | None = None
        self._find_plugin = find_plugin
        self._facts: dict[str, PluginFacts] = {}
        #: Ids no report can name (not listed, or listed without a name): asked about once.
        self._unknown: set[str] = set()

    def add(self, msg: Message) -> bool:
        """Record the message's event; False when the message carries no result."""
        event = event_from_message(msg)
        if event is None:
            return False
        self._events.append(event)
        if isinstance(event, Finding) and event.plugin_id is not None:
            self._learn(event.plugin_id)
        return True

    def _learn(self, plugin_id: str) -> None:
        if plugin_id in self._facts or plugin_id in self._unknown:
            return
        record = self._record(plugin_id)
        facts = None if record is None else plugin_facts(record)
        if facts is None:
            self._unknown.add(plugin_id)
        else:
            self._facts[plugin_id] = facts

    def _record(self, plugin_id: str) -> PluginRecord | None:
        if self._find_plugin is not None:
            return self._find_plugin(plugin_id)
        if not self._plugin_list:
            return None
        if self._plugin_index is None:
            self._plugin_index = {record.id: record for record in self._plugin_list}
        return self._plugin_index.get(plugin_id)

    @property
    def latest(self) -> tuple[Event, PluginFacts | None]:
        """The last event recorded, and the facts of the plugin it names (if known).

        For a client that streams results as they arrive (JSON Lines with plugin lines).
        """
        event = self._events[-1]
        plugin_id = event.plugin_id if isinstance(event, Finding) else None
        return event, None if plugin_id is None else self._facts.get(plugin_id)

    @property
    def results(self) -> ScanResults:
        return ScanResults(events=tuple(self._events), plugins=tuple(self._facts.values()))


def collect_results(
    messages: Iterable[Message], plugins: Sequence[PluginRecord] = ()
) -> ScanResults:
    """The results carried by a sequence of server messages (``plugins`` as for
    :class:`ResultsCollector`)."""
    collector = ResultsCollector(plugins)
    for msg in messages:
        collector.add(msg)
    return collector.results
