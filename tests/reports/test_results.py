"""The results record: what it accepts, and the views report writers use."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from ixion.reports import (
    Finding,
    HostsRejected,
    OpenPort,
    PluginFacts,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
)

WHEN = "Sun Nov  6 10:15:30 2005"


def _finding(host: str, severity: Severity, port: str = "ssh (22/tcp)") -> Finding:
    return Finding(host=host, port=port, severity=severity, text="text\n", plugin_id="10330")


def test_scan_timestamps_name_no_host_and_host_timestamps_name_one() -> None:
    Timestamp(kind=TimestampKind.SCAN_START, when=WHEN)
    Timestamp(kind=TimestampKind.HOST_END, when=WHEN, host="192.0.2.5")
    with pytest.raises(ValueError, match=r"scan_end timestamp with host '192\.0\.2\.5'"):
        Timestamp(kind=TimestampKind.SCAN_END, when=WHEN, host="192.0.2.5")
    with pytest.raises(ValueError, match="host_start timestamp with host None"):
        Timestamp(kind=TimestampKind.HOST_START, when=WHEN)


@pytest.mark.parametrize("host", ["", "two words", "tab\there"])
def test_a_host_is_one_non_empty_word(host: str) -> None:
    with pytest.raises(ValueError, match="host must be one non-empty word"):
        OpenPort(host=host, port="ssh (22/tcp)")


@pytest.mark.parametrize("port", ["", "ssh\n(22/tcp)", "ssh (22/tcp)\r"])
def test_a_port_is_non_empty_text_on_one_line(port: str) -> None:
    with pytest.raises(ValueError, match="port must be non-empty text on one line"):
        OpenPort(host="192.0.2.5", port=port)


def test_a_time_is_non_empty_text_on_one_line() -> None:
    with pytest.raises(ValueError, match="time must be non-empty text on one line"):
        Timestamp(kind=TimestampKind.SCAN_START, when="")


@pytest.mark.parametrize("plugin_id", ["0", "", "10 330"])
def test_plugin_id_zero_is_spelt_none(plugin_id: str) -> None:
    with pytest.raises(ValueError, match="bad plugin id"):
        Finding(host="h", port="general/tcp", severity=Severity.NOTE, text="", plugin_id=plugin_id)


def test_a_finding_text_may_hold_anything() -> None:
    text = "line\r\nwith | pipes \\ and \x00\n"
    assert Finding(host="h", port="general/tcp", severity=Severity.NOTE, text=text).text == text


def test_rejected_hosts_are_words() -> None:
    with pytest.raises(ValueError, match="host must be one non-empty word"):
        HostsRejected(hosts=("192.0.2.1", ""))


def test_views_keep_arrival_order() -> None:
    results = ScanResults(
        events=(
            Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
            Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host="198.18.0.9"),
            _finding("198.18.0.2", Severity.NOTE),
            OpenPort(host="198.18.0.9", port="ssh (22/tcp)"),
            HostsRejected(hosts=("192.0.2.1", "192.0.2.2")),
            _finding("198.18.0.9", Severity.HOLE),
            _finding("198.18.0.2", Severity.HOLE, port="general/tcp"),
            HostsRejected(hosts=("192.0.2.3",), truncated=True),
        )
    )
    assert results.reporting_hosts == ("198.18.0.2", "198.18.0.9")
    assert [f.host for f in results.findings] == ["198.18.0.2", "198.18.0.9", "198.18.0.2"]
    assert results.open_ports == (OpenPort(host="198.18.0.9", port="ssh (22/tcp)"),)
    assert [t.kind for t in results.timestamps] == [
        TimestampKind.SCAN_START,
        TimestampKind.HOST_START,
    ]
    assert results.rejected_hosts == ("192.0.2.1", "192.0.2.2", "192.0.2.3")
    assert results.count(Severity.HOLE) == 2
    assert results.count(Severity.WARNING) == 0


def test_a_host_with_only_timestamps_did_not_report() -> None:
    results = ScanResults(
        events=(Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host="198.18.0.9"),)
    )
    assert results.reporting_hosts == ()


# --- plugin facts ----------------------------------------------------------------------------


def test_a_record_has_no_plugin_facts_unless_given_and_looks_them_up_by_id() -> None:
    assert ScanResults().plugins == ()
    services = PluginFacts(id="10330", name="Services", family="Service detection")
    results = ScanResults(events=(_finding("h", Severity.NOTE),), plugins=(services,))
    assert results.plugin("10330") is services
    assert results.plugin("10331") is None
    assert results.plugin(None) is None


def test_records_with_the_same_events_and_facts_are_equal_and_hash_alike() -> None:
    facts = (PluginFacts(id="1", name="One"),)
    assert ScanResults(plugins=facts) == ScanResults(plugins=facts)
    assert hash(ScanResults(plugins=facts)) == hash(ScanResults(plugins=facts))
    assert ScanResults(plugins=facts) != ScanResults()
    assert replace(ScanResults(plugins=facts), plugins=()).plugin("1") is None


def test_a_plugin_id_is_listed_once() -> None:
    with pytest.raises(ValueError, match="two plugin facts have the same id"):
        ScanResults(plugins=(PluginFacts(id="1", name="a"), PluginFacts(id="1", name="b")))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": "0"}, "bad plugin id '0'"),
        ({"name": ""}, "plugin name must be non-empty text on one line"),
        ({"family": "a\nb"}, "plugin family must be on one line"),
        ({"category": "x\r"}, "plugin category must be on one line"),
    ],
)
def test_plugin_facts_are_checked(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        replace(PluginFacts(id="10330", name="Services"), **changes)
