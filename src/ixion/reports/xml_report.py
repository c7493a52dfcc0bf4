"""The XML report (``-T xml``): nessus 2.2.5's "NG" layout (spec §9.5), with Greenbone's fields.

The layout is the reference client's ``report_ng`` (version 1.4)::

    <report version="1.4">
      <info><date><start/><end/></date></info>
      <config><server><setting name= value=/></server><plugins><setting .../></plugins></config>
      <plugins><plugin id="11111"><name/><family/><cve_id/><bugtraq_id/>...</plugin></plugins>
      <results>
        <result>
          <host name="10.0.0.5" ip="10.0.0.5"/>
          <date><start/><end/></date>
          <ports>
            <port protocol="tcp" portid="22">
              <service name="ssh" method="nessus" conf="3"/>
              <information>
                <severity>Security Hole</severity><id>11111</id><data>...</data>
                <threat>High</threat><cvss_base>7.5</cvss_base>
                <qod><value>80</value><type>remote_banner</type></qod>
                <refs><ref type="cve" id="CVE-2001-0550"/></refs>
              </information>
            </port>
          </ports>
        </result>
      </results>
    </report>

As in nessus, results are grouped by subnet, hosts and ports are sorted (in code point
order, which is nessus' byte order for UTF-8 text), a ``general/<proto>`` port has no
``portid`` and its whole field as the service name, every port a host reported (open or with
findings) has a ``<port>``, and a finding without a plugin has id ``0``. ``<data>`` is the
finding's text exactly; nessus indented it, which changed it. After ``<data>`` come the
fields Greenbone's report gives a result, where the text holds them: ``<threat>`` (High,
Medium, Low, Log, Debug) always; ``<cvss_base>`` when the text states a CVSS base score;
``<qod>`` from the text's ``Quality of detection`` line; ``<refs>`` from its ``CVE``,
``BID`` and ``Other references`` lines (``OSVDB:123`` becomes type ``osvdb``, id ``123``),
read with :mod:`ixion.reports.details`.

What nessus also wrote and the record does not hold is left out: the server's version and
name under ``<info>``, the rc file's settings (``<config>`` holds only what the caller
passes), a plugin's version, risk and copyright. ``<plugins>`` lists only the plugins that
reported something and that the record has facts about (nessus listed every enabled one),
and is left out when there are none. Findings on a port keep the results' order (nessus
wrote the newest first, an accident of its report backend). Rejected hosts are not written:
NG has no place for them. The file is UTF-8 (nessus declared ISO-8859-1 whatever the bytes
were) and names no stylesheet (nessus named a ``nessus.xsl`` that is not shipped).

Every text goes through ElementTree, which escapes markup. Characters that XML 1.0 cannot
carry at all (control characters other than TAB, LF and CR; lone surrogates, which stand for
bytes that were not UTF-8; U+FFFE and U+FFFF) become U+FFFD, the replacement character, so
a hostile banner cannot make the document ill-formed. A CR in a text is written as ``&#13;``
because a parser reads a raw CR as a LF (XML 1.0 §2.11).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

from ixion.reports.details import FindingDetails, finding_details, port_details
from ixion.reports.nbe import SEVERITY_WORDS, subnet
from ixion.reports.results import Finding, OpenPort, ScanResults, Severity, TimestampKind

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["NG_VERSION", "THREATS", "write_xml", "xml_safe"]

#: The layout version nessus 2.2.5's writer put on ``<report>``.
NG_VERSION: Final = "1.4"

#: Greenbone's threat level for each severity (OTP: HOLE High, INFO Medium, NOTE Low).
THREATS: Final = {
    Severity.HOLE: "High",
    Severity.WARNING: "Medium",
    Severity.NOTE: "Low",
    Severity.LOG: "Log",
    Severity.DEBUG: "Debug",
}

#: Anything outside XML 1.0's ``Char`` production.
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REPLACEMENT: Final = "\ufffd"
#: nessus' attributes on every ``<service>``, borrowed from nmap's XML.
_SERVICE_SOURCE: Final = {"method": "nessus", "conf": "3"}
#: ``CVSS Base Score : 7.5`` (nessus plugins) or ``CVSS Base Score: 7.5 (AV:N/...)`` (ixion's
#: NASL descriptions).
_CVSS_RE: Final = re.compile(r"CVSS Base Score ?: ?(10(?:\.0)?|[0-9](?:\.[0-9])?)(?![0-9.])")


def write_xml(
    results: ScanResults,
    *,
    server_prefs: Mapping[str, str] | None = None,
    plugin_prefs: Mapping[str, str] | None = None,
) -> bytes:
    """The NG XML report for these results, UTF-8 with an XML declaration.

    ``server_prefs`` and ``plugin_prefs`` fill ``<config>`` when the caller knows what the
    scan ran with; the results record itself does not say.
    """
    report = ET.Element("report", version=NG_VERSION)
    report.append(_info(results))
    report.append(_config(server_prefs or {}, plugin_prefs or {}))
    if (plugins := _plugins(results)) is not None:
        report.append(plugins)
    report.append(_results(results))
    ET.indent(report, space="\t")
    document: bytes = ET.tostring(report, encoding="utf-8", xml_declaration=True)
    # ElementTree writes the CRs of a text raw; nothing else in its output contains one.
    return document.replace(b"\r", b"&#13;") + b"\n"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML_CHAR.sub(_REPLACEMENT, text)


def _child(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A new element under ``parent``; its text and attribute values made XML-safe."""
    element = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


# --- <info> and <config> ---------------------------------------------------------------------


def _info(results: ScanResults) -> ET.Element:
    info = ET.Element("info")
    starts = [t.when for t in results.timestamps if t.kind is TimestampKind.SCAN_START]
    ends = [t.when for t in results.timestamps if t.kind is TimestampKind.SCAN_END]
    _date(info, starts[0] if starts else None, ends[-1] if ends else None)
    return info


def _date(parent: ET.Element, start: str | None, end: str | None) -> None:
    """``<date>`` with the server's ``ctime()`` texts; a time not reported is left out."""
    date = _child(parent, "date")
    if start is not None:
        _child(date, "start", start)
    if end is not None:
        _child(date, "end", end)


def _config(server_prefs: Mapping[str, str], plugin_prefs: Mapping[str, str]) -> ET.Element:
    config = ET.Element("config")
    for tag, prefs in (("server", server_prefs), ("plugins", plugin_prefs)):
        if prefs:
            section = _child(config, tag)
            for name, value in prefs.items():
                _child(section, "setting", name=name, value=value)
    return config


def _plugins(results: ScanResults) -> ET.Element | None:
    """NG's ``<plugins>`` for the plugins that reported something and that the record
    knows about; None when there are none. nessus listed every enabled plugin, which for a
    whole feed would dwarf the results."""
    reported = dict.fromkeys(f.plugin_id for f in results.findings if f.plugin_id is not None)
    known = [facts for facts in map(results.plugin, reported) if facts is not None]
    if not known:
        return None
    element = ET.Element("plugins")
    for facts in known:
        plugin = _child(element, "plugin", id=facts.id)
        _child(plugin, "name", facts.name)
        _child(plugin, "family", facts.family)
        _child(plugin, "cve_id", ", ".join(facts.cve))
        _child(plugin, "bugtraq_id", ", ".join(facts.bid))
        _child(plugin, "category", facts.category)
        _child(plugin, "summary", facts.summary)
    return element


# --- <results> -------------------------------------------------------------------------------


def _results(results: ScanResults) -> ET.Element:
    # host -> port -> the findings there, each in arrival order.
    hosts: dict[str, dict[str, list[Finding]]] = {}
    for event in results.events:
        if isinstance(event, OpenPort | Finding):
            findings = hosts.setdefault(event.host, {}).setdefault(event.port, [])
            if isinstance(event, Finding):
                findings.append(event)
    host_times: dict[str, dict[TimestampKind, str]] = {}
    for stamp in results.timestamps:
        if stamp.host is not None:
            # The first start and the last end: a restored session may repeat them.
            times = host_times.setdefault(stamp.host, {})
            if stamp.kind is not TimestampKind.HOST_START or stamp.kind not in times:
                times[stamp.kind] = stamp.when
    element = ET.Element("results")
    # nessus sorted with strcmp(); code point order is the same for UTF-8 text, and unlike
    # bytes it also orders lone surrogates, which have no UTF-8 form.
    for host in sorted(hosts, key=lambda h: (subnet(h), h)):
        result = _child(element, "result")
        _child(result, "host", name=host, ip=host)
        times = host_times.get(host, {})
        _date(result, times.get(TimestampKind.HOST_START), times.get(TimestampKind.HOST_END))
        ports = _child(result, "ports")
        for port in sorted(hosts[host]):
            _port(ports, port, hosts[host][port])
    return element


def _port(parent: ET.Element, port: str, findings: list[Finding]) -> None:
    details = port_details(port)
    attributes = {"protocol": details.protocol or ""}
    if details.number is not None and not details.general:
        attributes["portid"] = str(details.number)
    element = _child(parent, "port", **attributes)
    _child(element, "service", name=details.service or port, **_SERVICE_SOURCE)
    for finding in findings:
        _information(element, finding)


def _information(parent: ET.Element, finding: Finding) -> None:
    information = _child(parent, "information")
    _child(information, "severity", SEVERITY_WORDS[finding.severity])
    _child(information, "id", finding.plugin_id or "0")
    _child(information, "data", finding.text)
    _child(information, "threat", THREATS[finding.severity])
    details = finding_details(finding.text)
    if score := _CVSS_RE.search(details.description):
        _child(information, "cvss_base", score.group(1))
    if details.qod is not None:
        qod = _child(information, "qod")
        _child(qod, "value", str(details.qod))
        _child(qod, "type", details.qod_type or "")
    _refs(information, details)


def _refs(parent: ET.Element, details: FindingDetails) -> None:
    """Greenbone's ``<refs>``: one ``<ref type= id=/>`` per CVE, BID and other reference."""
    refs = [("cve", cve) for cve in details.cves] + [("bid", bid) for bid in details.bids]
    for reference in details.references:
        kind, colon, value = reference.partition(":")
        refs.append((kind.lower(), value) if colon and kind else ("other", reference))
    if refs:
        element = _child(parent, "refs")
        for kind, value in refs:
            _child(element, "ref", type=kind, id=value)
