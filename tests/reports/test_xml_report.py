"""The NG XML report (spec §9.5): its layout, Greenbone's fields, and hostile report texts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.reports import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
    read_nbe,
)
from ixion.reports.results import PluginFacts
from ixion.reports.xml_report import write_xml
from tests.reports.samples import SCAN_RESULTS

WHEN = "Sun Nov  6 10:15:30 2005"
LATER = "Sun Nov  6 10:20:03 2005"
HOST = "192.0.2.5"
SSH_NOTE = Finding(
    host=HOST, port="ssh (22/tcp)", severity=Severity.NOTE, text="ssh\n", plugin_id="10330"
)
WORDS = {
    "Security Hole": Severity.HOLE,
    "Security Warning": Severity.WARNING,
    "Security Note": Severity.NOTE,
    "Log Message": Severity.LOG,
    "Debug Message": Severity.DEBUG,
}


def _report(*events: Event) -> ET.Element:
    return ET.fromstring(write_xml(ScanResults(events=events)))


def _information(report: ET.Element) -> list[ET.Element]:
    return report.findall("results/result/ports/port/information")


def _xml_char(c: str) -> bool:
    """XML 1.0's ``Char`` production (§2.2), written out here rather than imported."""
    code = ord(c)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or code >= 0x10000
    )


def _carried(text: str) -> str:
    return "".join(c if _xml_char(c) else "\ufffd" for c in text)


# --- layout ----------------------------------------------------------------------------------


def test_the_captured_scan_has_the_ng_layout() -> None:
    data = write_xml(SCAN_RESULTS)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<report version=\"1.4\">")
    assert data.endswith(b"</report>\n")
    report = ET.fromstring(data)
    assert [child.tag for child in report] == ["info", "config", "results"]
    assert report.findtext("info/date/start") == "Tue Nov 24 18:39:50 2026"
    assert report.findtext("info/date/end") == "Tue Nov 24 18:39:50 2026"
    (result,) = report.findall("results/result")
    assert result.find("host").attrib == {"name": "127.0.0.1", "ip": "127.0.0.1"}  # type: ignore[union-attr]
    assert result.findtext("date/start") == "Tue Nov 24 18:39:50 2026"
    (port,) = result.findall("ports/port")
    assert port.attrib == {"protocol": "tcp", "portid": "8081"}
    assert port.find("service").attrib == {  # type: ignore[union-attr]
        "name": "blackice-icecap",
        "method": "nessus",
        "conf": "3",
    }
    severities = [i.findtext("severity") for i in port.findall("information")]
    assert severities == ["Security Note", "Security Warning", "Security Hole"]
    assert [i.findtext("id") for i in port.findall("information")] == ["90002"] * 3
    assert [i.findtext("data") for i in port.findall("information")] == [
        f.text for f in SCAN_RESULTS.findings
    ]


def test_no_results_is_an_empty_report() -> None:
    report = _report()
    assert report.find("results") is not None
    assert len(report.find("results")) == 0  # type: ignore[arg-type]
    assert len(report.find("config")) == 0  # type: ignore[arg-type]
    assert len(report.find("info/date")) == 0  # type: ignore[arg-type]


def test_hosts_are_grouped_by_subnet_and_sorted_as_nessus_did() -> None:
    report = _report(
        OpenPort(host="www.example.org", port="www (80/tcp)"),
        OpenPort(host="10.0.0.9", port="ssh (22/tcp)"),
        OpenPort(host="10.0.1.1", port="ssh (22/tcp)"),
        replace(SSH_NOTE, host="10.0.0.10"),
        Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host="10.9.9.9"),
    )
    names = [host.get("name") for host in report.findall("results/result/host")]
    # Byte order within a subnet, as strcmp() sorted: "10.0.0.10" before "10.0.0.9".
    assert names == ["10.0.0.10", "10.0.0.9", "10.0.1.1", "www.example.org"]


def test_every_port_of_a_host_is_listed_in_byte_order_with_its_findings() -> None:
    report = _report(
        OpenPort(host=HOST, port="ssh (22/tcp)"),
        replace(SSH_NOTE, port="general/udp", plugin_id=None),
        OpenPort(host=HOST, port="http (80/tcp)"),
        SSH_NOTE,
    )
    ports = report.findall("results/result/ports/port")
    assert [p.attrib for p in ports] == [
        {"protocol": "udp"},
        {"protocol": "tcp", "portid": "80"},
        {"protocol": "tcp", "portid": "22"},
    ]
    assert [p.find("service").get("name") for p in ports] == [  # type: ignore[union-attr]
        "general/udp",
        "http",
        "ssh",
    ]
    assert [len(p.findall("information")) for p in ports] == [1, 0, 1]
    assert ports[0].findtext("information/id") == "0"


def test_a_port_field_in_neither_form_keeps_its_text_as_the_service() -> None:
    (port,) = _report(OpenPort(host=HOST, port="odd port")).findall("results/result/ports/port")
    assert port.attrib == {"protocol": ""}
    assert port.find("service").get("name") == "odd port"  # type: ignore[union-attr]


def test_host_dates_are_the_first_start_and_the_last_end() -> None:
    result = _report(
        Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host=HOST),
        SSH_NOTE,
        Timestamp(kind=TimestampKind.HOST_END, when=WHEN, host=HOST),
        Timestamp(kind=TimestampKind.HOST_START, when=LATER, host=HOST),
        Timestamp(kind=TimestampKind.HOST_END, when=LATER, host=HOST),
    ).find("results/result")
    assert result is not None
    assert result.findtext("date/start") == WHEN
    assert result.findtext("date/end") == LATER


def test_rejected_hosts_are_not_written() -> None:
    report = _report(HostsRejected(hosts=("10.9.9.9",)), SSH_NOTE)
    assert b"10.9.9.9" not in ET.tostring(report)


def test_preferences_fill_the_config_when_given() -> None:
    data = write_xml(
        ScanResults(),
        server_prefs={"max_hosts": "20", "odd": 'a"<b>&\x01'},
        plugin_prefs={"Ping the remote host[checkbox]:Do a TCP ping": "no"},
    )
    config = ET.fromstring(data).find("config")
    assert config is not None
    assert [(s.get("name"), s.get("value")) for s in config.findall("server/setting")] == [
        ("max_hosts", "20"),
        ("odd", 'a"<b>&\ufffd'),
    ]
    assert config.find("plugins/setting").attrib == {  # type: ignore[union-attr]
        "name": "Ping the remote host[checkbox]:Do a TCP ping",
        "value": "no",
    }


# --- Greenbone's fields ----------------------------------------------------------------------


def test_threat_qod_cvss_and_references_come_from_the_text() -> None:
    text = (
        "The remote FTP server is vulnerable.\nRisk factor : High\n"
        "CVSS Base Score : 7.5 (AV:N/AC:L/Au:N/C:P/I:P/A:P)\n\n"
        "CVE : CVE-2001-0550, CVE-2002-0001\nBID : 3581\n"
        "Other references : OSVDB:123, URL:https://example.org/a?b=1&c=2, IAVA:2003-A-0001\n"
        "Quality of detection: 80% (remote_banner)\n"
    )
    (information,) = _information(_report(replace(SSH_NOTE, severity=Severity.HOLE, text=text)))
    assert information.findtext("data") == text
    assert information.findtext("threat") == "High"
    assert information.findtext("cvss_base") == "7.5"
    assert information.findtext("qod/value") == "80"
    assert information.findtext("qod/type") == "remote_banner"
    assert [(r.get("type"), r.get("id")) for r in information.findall("refs/ref")] == [
        ("cve", "CVE-2001-0550"),
        ("cve", "CVE-2002-0001"),
        ("bid", "3581"),
        ("osvdb", "123"),
        ("url", "https://example.org/a?b=1&c=2"),
        ("iava", "2003-A-0001"),
    ]


def test_a_qod_without_a_type_has_an_empty_type() -> None:
    (information,) = _information(_report(replace(SSH_NOTE, text="x\nQuality of detection: 70%\n")))
    assert information.findtext("qod/value") == "70"
    assert information.findtext("qod/type") == ""


def test_a_text_without_those_lines_has_only_the_threat() -> None:
    text = "CVE : CVE-2001-0550 is mentioned in the middle\nand the text goes on\n"
    (information,) = _information(_report(replace(SSH_NOTE, text=text)))
    assert [child.tag for child in information] == ["severity", "id", "data", "threat"]


@pytest.mark.parametrize(
    ("severity", "threat"),
    [
        (Severity.HOLE, "High"),
        (Severity.WARNING, "Medium"),
        (Severity.NOTE, "Low"),
        (Severity.LOG, "Log"),
        (Severity.DEBUG, "Debug"),
    ],
)
def test_each_severity_has_greenbones_threat(severity: Severity, threat: str) -> None:
    (information,) = _information(_report(replace(SSH_NOTE, severity=severity)))
    assert information.findtext("threat") == threat
    assert WORDS[information.findtext("severity") or ""] is severity


# --- hostile content -------------------------------------------------------------------------

HOSTILE = (
    "<script>alert('x')</script>]]><![CDATA[ & &amp; &#0; <!-- -->\n"
    "NUL\x00 BEL\x07 ESC\x1b[31m DEL\x7f \x85 \ud800 \udcf4 \ufffe \uffff end\r\n"
    "\"quoted\" 'apostrophe' \U0001f600 \u202e\n"
)


def test_hostile_text_is_escaped_and_the_document_stays_well_formed() -> None:
    finding = replace(SSH_NOTE, host="<h>&\"'", port="x<y> (22/tcp)", text=HOSTILE)
    data = write_xml(ScanResults(events=(finding,)))
    assert b"<script>" not in data
    assert b"]]><" not in data
    assert b"\x00" not in data
    assert b"\r" not in data
    report = ET.fromstring(data)
    assert report.find("results/result/host").get("name") == "<h>&\"'"  # type: ignore[union-attr]
    assert report.find("results/result/ports/port/service").get("name") == "x<y>"  # type: ignore[union-attr]
    (information,) = _information(report)
    assert information.findtext("data") == _carried(HOSTILE)
    # Only the characters XML cannot carry were replaced; the CR came through as a CR.
    assert information.findtext("data", "").count("\ufffd") == 7
    assert "end\r\n" in information.findtext("data", "")


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    results = read_nbe(b"results|x|h\xf4te|general/tcp|10|Security Note|caf\xe9\\n\n")
    report = ET.fromstring(write_xml(results))
    assert report.find("results/result/host").get("name") == "h\ufffdte"  # type: ignore[union-attr]
    assert report.findtext("results/result/ports/port/information/data") == "caf\ufffd\n"


def test_a_text_of_a_megabyte_is_carried_whole() -> None:
    text = ("A&<>\r\n\x00" * (1024 * 1024 // 6)) + "\n"
    (information,) = _information(_report(replace(SSH_NOTE, text=text)))
    assert information.findtext("data") == _carried(text)


def test_lxml_reads_it_too() -> None:
    from lxml import etree

    finding = replace(SSH_NOTE, text=HOSTILE)
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    report = etree.fromstring(write_xml(ScanResults(events=(finding,))), parser)
    assert report.findtext("results/result/ports/port/information/data") == _carried(HOSTILE)


# --- any record ------------------------------------------------------------------------------

_ANY = st.characters(codec="utf-8") | st.sampled_from("\x00\x01\x1b\r\n\ud800\udfff\ufffe<>&]")
_WORDS = st.text(_ANY.filter(lambda c: not c.isspace()), min_size=1)
_LINE = st.text(_ANY.filter(lambda c: c not in "\r\n"), min_size=1)
_HOSTS = st.sampled_from(["127.0.0.1", "198.18.0.7", "www.example.com"]) | _WORDS
_PORTS = st.sampled_from(["ssh (22/tcp)", "general/tcp", "unknown (31337/udp)"]) | _LINE

_EVENTS: st.SearchStrategy[Event] = st.one_of(
    st.builds(OpenPort, host=_HOSTS, port=_PORTS),
    st.builds(
        Finding,
        host=_HOSTS,
        port=_PORTS,
        severity=st.sampled_from(Severity),
        text=st.text(_ANY),
        plugin_id=st.none() | _WORDS.filter(lambda w: w != "0"),
    ),
    st.builds(Timestamp, kind=st.just(TimestampKind.HOST_START), when=_LINE, host=_HOSTS),
)


@given(st.lists(_EVENTS, max_size=12))
def test_any_record_gives_a_document_with_every_finding_once(events: list[Event]) -> None:
    results = ScanResults(events=tuple(events))
    report = ET.fromstring(write_xml(results))
    information = _information(report)
    counted = Counter(WORDS[i.findtext("severity") or ""] for i in information)
    assert counted == Counter({s: results.count(s) for s in Severity if results.count(s)})
    assert Counter(i.findtext("data") for i in information) == Counter(
        _carried(f.text) for f in results.findings
    )
    hosts = [h.get("name", "") for h in report.findall("results/result/host")]
    assert sorted(hosts) == sorted(_carried(h) for h in results.reporting_hosts)


def test_the_plugins_that_reported_are_listed_when_the_record_knows_them() -> None:
    facts = PluginFacts(
        id="10330",
        name="Services <detect>",
        family="Service detection",
        category="scanner",
        summary="Find what is running",
        cve=("CVE-1999-0001", "CVE-1999-0002"),
        bid=("1",),
    )
    unused = PluginFacts(id="99999", name="Not run")
    results = ScanResults(
        events=(SSH_NOTE, replace(SSH_NOTE, plugin_id="424242"), SSH_NOTE),
        plugins=(unused, facts),
    )
    report = ET.fromstring(write_xml(results))
    assert [child.tag for child in report] == ["info", "config", "plugins", "results"]
    (plugin,) = report.findall("plugins/plugin")
    assert plugin.get("id") == "10330"
    assert [(child.tag, child.text) for child in plugin] == [
        ("name", "Services <detect>"),
        ("family", "Service detection"),
        ("cve_id", "CVE-1999-0001, CVE-1999-0002"),
        ("bugtraq_id", "1"),
        ("category", "scanner"),
        ("summary", "Find what is running"),
    ]


def test_without_facts_there_is_no_plugin_list() -> None:
    assert _report(SSH_NOTE).find("plugins") is None
