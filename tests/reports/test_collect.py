"""Results from the server's messages: which ones count, and what they become."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ixion.ntp import (
    Bye,
    Category,
    Features,
    Finished,
    HostsNotAllowed,
    Message,
    PluginList,
    PluginRecord,
    Port,
    PortRef,
    Report,
    ReportKind,
    Status,
    StatusAction,
    Time,
    TimeKind,
)
from ixion.reports import (
    Finding,
    HostsRejected,
    OpenPort,
    PluginFacts,
    ResultsCollector,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
    collect_results,
    event_from_message,
)
from ixion.reports.collect import plugin_facts
from tests.reports.samples import SCAN_MESSAGES, SCAN_RESULTS, server_messages

SSH = PortRef(service="ssh", number=22)
WHEN = "Tue Nov 24 18:39:50 2026"


def test_the_captured_scan_gives_its_events_in_arrival_order() -> None:
    banner = "The remote web server banner is :\nServer: SimpleHTTP/0.6 Python/3.11.7\n"
    refs = "CVE : CVE-1999-0001\nBID : 1\n"
    port = "blackice-icecap (8081/tcp)"
    host = "127.0.0.1"
    assert SCAN_RESULTS.events == (
        Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
        Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host=host),
        OpenPort(host=host, port=port),
        Finding(
            host=host, port=port, severity=Severity.NOTE, text=banner + refs, plugin_id="90002"
        ),
        Finding(
            host=host,
            port=port,
            severity=Severity.WARNING,
            text="Test finding: a Python SimpleHTTP server answers here.\\nRisk factor : Medium\n"
            + refs,
            plugin_id="90002",
        ),
        Finding(
            host=host,
            port=port,
            severity=Severity.HOLE,
            text="Test hole on 127.0.0.1\nRisk factor : High\n" + refs,
            plugin_id="90002",
        ),
        Timestamp(kind=TimestampKind.HOST_END, when=WHEN, host=host),
        Timestamp(kind=TimestampKind.SCAN_END, when=WHEN),
    )


def test_hosts_refused_by_the_rules_are_collected() -> None:
    messages = server_messages("scripted-client_vs_nessusd225_plain_rules", Features())
    assert collect_results(messages).events == (HostsRejected(hosts=("127.0.0.1", "127.0.0.2")),)


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        (ReportKind.HOLE, Severity.HOLE),
        (ReportKind.INFO, Severity.WARNING),
        (ReportKind.NOTE, Severity.NOTE),
        (ReportKind.LOG, Severity.LOG),
        (ReportKind.DEBUG, Severity.DEBUG),
    ],
)
def test_each_report_kind_has_its_severity(kind: ReportKind, severity: Severity) -> None:
    msg = Report(kind=kind, host="192.0.2.5", port=SSH, text="x\n", plugin_id="10330")
    assert event_from_message(msg) == Finding(
        host="192.0.2.5", port="ssh (22/tcp)", severity=severity, text="x\n", plugin_id="10330"
    )


@pytest.mark.parametrize("plugin_id", [None, "0"])
def test_a_report_without_a_plugin_has_no_plugin_id(plugin_id: str | None) -> None:
    msg = Report(
        kind=ReportKind.NOTE, host="h", port=PortRef.general("udp"), text="x", plugin_id=plugin_id
    )
    assert event_from_message(msg) == Finding(
        host="h", port="general/udp", severity=Severity.NOTE, text="x"
    )


def test_ports_keep_their_wire_text() -> None:
    unnamed = Port(host="h", port=PortRef(service=None, number=31337))
    assert event_from_message(unnamed) == OpenPort(host="h", port="unknown (31337/tcp)")


def test_an_interrupted_host_is_a_timestamp() -> None:
    msg = Time(kind=TimeKind.HOST_INTERRUPTED, when=WHEN, host="h")
    assert event_from_message(msg) == Timestamp(
        kind=TimestampKind.HOST_INTERRUPTED, when=WHEN, host="h"
    )


def test_a_truncated_rejection_list_stays_truncated() -> None:
    msg = HostsNotAllowed(hosts=("192.0.2.1",), truncated=True)
    assert event_from_message(msg) == HostsRejected(hosts=("192.0.2.1",), truncated=True)


@pytest.mark.parametrize(
    "msg",
    [
        Status(host="h", action=StatusAction.ATTACK, current=1, total=2),
        Finished(host="h"),
        Bye(),
    ],
)
def test_progress_and_session_messages_add_nothing(msg: Message) -> None:
    collector = ResultsCollector()
    assert collector.add(msg) is False
    assert collector.results == ScanResults()


def test_a_collector_gives_a_snapshot_at_any_time() -> None:
    collector = ResultsCollector()
    assert collector.add(Port(host="h", port=SSH)) is True
    partial = collector.results
    collector.add(Time(kind=TimeKind.SCAN_END, when=WHEN))
    assert partial.events == (OpenPort(host="h", port="ssh (22/tcp)"),)
    assert len(collector.results.events) == 2


class _CountedPlugins(tuple[PluginRecord, ...]):
    """A PLUGIN_LIST that counts how often it is walked through."""

    walks = 0

    def __iter__(self) -> Iterator[PluginRecord]:
        type(self).walks += 1
        return super().__iter__()


def _record(plugin_id: str, name: str | None = None, tags: str = "") -> PluginRecord:
    return PluginRecord(
        id=plugin_id,
        name=f"Plugin {plugin_id}" if name is None else name,
        category=Category.ATTACK,
        copyright="",
        description="",
        summary="",
        family="General",
        tags=tags,
    )


def test_the_plugins_that_reported_are_named_from_the_servers_plugin_list() -> None:
    (plugin_list,) = [m for m in SCAN_MESSAGES if isinstance(m, PluginList)]
    assert len(plugin_list.plugins) == 2
    results = collect_results(SCAN_MESSAGES, plugin_list.plugins)
    assert results.events == SCAN_RESULTS.events
    assert results.plugins == (
        PluginFacts(
            id="90002",
            name="Peers HTTP banner check",
            family="General",
            category="infos",
            summary="HTTP banner grabber",
            cve=("CVE-1999-0001",),
            bid=("1",),
        ),
    )


def test_otp_tags_give_the_solution_and_a_nameless_plugin_gives_no_facts() -> None:
    tagged = _record("10001", tags="cvss_base=5.0|solution=Upgrade to 2.0.|qod_type=package")
    nameless = _record("10002", name="")
    assert plugin_facts(tagged) == PluginFacts(
        id="10001",
        name="Plugin 10001",
        family="General",
        category="attack",
        solution="Upgrade to 2.0.",
    )
    assert plugin_facts(nameless) is None


def test_a_whole_feed_is_indexed_once_however_many_findings_arrive() -> None:
    feed = _CountedPlugins(_record(str(100_000 + i)) for i in range(136_000))
    _CountedPlugins.walks = 0
    collector = ResultsCollector(feed)
    collector.add(Port(host="h", port=SSH))
    assert _CountedPlugins.walks == 0  # no finding yet, no index
    for i in range(5_000):
        report = Report(kind=ReportKind.NOTE, host="h", port=SSH, text="x\n", plugin_id=str(i))
        collector.add(report)
        collector.add(replace(report, plugin_id=str(100_000 + i % 300)))
    assert _CountedPlugins.walks == 1
    results = collector.results
    assert len(results.findings) == 10_000
    assert sorted(p.id for p in results.plugins) == [str(100_000 + i) for i in range(300)]
