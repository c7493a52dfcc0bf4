"""SARIF 2.1.0, the format code-scanning dashboards and CI pipelines read findings in.

SARIF was made for source code; a network scan maps onto it like this:

* one run, tool ``ixion``, one rule per plugin id that has findings (named, described and
  tagged with its family when the record knows the plugin), and a ``no-plugin`` rule for
  findings whose server named no plugin;
* one result per finding: level ``error`` for a hole, ``warning`` for a warning, ``note``
  for a note; log and debug messages are ``informational`` results with level ``none``;
  the message is the plugin's text without the lines the server appended;
* its location, since there is no file and line: a *logical* location naming the port as
  the server wrote it (``fullyQualifiedName`` ``<host>/<port>``, kind ``resource``), and
  for a port or ``general/<protocol>`` a *physical* one whose artifact is the service as a
  URI: ``tcp://10.0.0.5:22``, ``udp://[2001:db8::5]:161``, ``tcp://10.0.0.5``;
* the parts SARIF has no member for in the result's property bag: ``host``, ``port``,
  ``severity``, ``qod``, ``qodType``, ``cves``, ``bids``, ``references``;
* ``partialFingerprints`` from host, port and plugin, so a dashboard sees the same finding
  in tomorrow's scan as the same result;
* the invocation succeeded when the scan's end was recorded; the scan's times (the
  server's local ``ctime()``, of no known zone, so not SARIF's UTC times), the open ports
  and rejected targets are in its property bag.

Results follow the record's order, rules the order of their first result; the output is
the same bytes for the same record.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Final
from urllib.parse import quote

from ixion import __version__
from ixion.reports.details import finding_details, port_details
from ixion.reports.json_report import port_object
from ixion.reports.json_values import encode_json
from ixion.reports.results import Finding, PluginFacts, ScanResults, Severity, TimestampKind

__all__ = ["NO_PLUGIN_RULE", "SARIF_SCHEMA_URI", "SARIF_VERSION", "write_sarif"]

SARIF_VERSION: Final = "2.1.0"
#: Where OASIS publishes the schema of the version written (2.1.0 with its errata).
SARIF_SCHEMA_URI: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: The rule of findings whose server named no plugin (nessusd's plugin id 0).
NO_PLUGIN_RULE: Final = "no-plugin"

_LEVELS: Final = {
    Severity.HOLE: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "note",
    Severity.LOG: "none",
    Severity.DEBUG: "none",
}
#: A URI scheme (RFC 3986 §3.1); a protocol that is not one gets no physical location.
_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]*")
_FINGERPRINT: Final = "ixionFinding/v1"


def write_sarif(results: ScanResults) -> bytes:
    """The SARIF log of these results, indented, ending with a newline."""
    rule_index: dict[str, int] = {}
    rules: list[dict[str, object]] = []
    sarif_results: list[dict[str, object]] = []
    for finding in results.findings:
        rule_id = finding.plugin_id or NO_PLUGIN_RULE
        if rule_id not in rule_index:
            rule_index[rule_id] = len(rules)
            rules.append(_rule(rule_id, results.plugin(finding.plugin_id)))
        sarif_results.append(_result(finding, rule_id, rule_index[rule_id]))
    run = {
        "tool": {
            "driver": {
                "name": "ixion",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "invocations": [_invocation(results)],
        "results": sarif_results,
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return encode_json(log, indent=2) + b"\n"


def _rule(rule_id: str, facts: PluginFacts | None) -> dict[str, object]:
    tags = ["security"]
    if facts is None:
        return {"id": rule_id, "properties": {"tags": tags}}
    rule: dict[str, object] = {"id": rule_id, "name": facts.name}
    rule["shortDescription"] = {"text": facts.summary or facts.name}
    if facts.solution:
        rule["help"] = {"text": facts.solution}
    if facts.family:
        tags.append(facts.family)
    rule["properties"] = {
        "tags": tags,
        "family": facts.family,
        "category": facts.category,
        "cves": list(facts.cve),
        "bids": list(facts.bid),
        "references": list(facts.xrefs),
    }
    return rule


def _result(finding: Finding, rule_id: str, index: int) -> dict[str, object]:
    details = finding_details(finding.text)
    level = _LEVELS[finding.severity]
    # SARIF requires a message; a plugin that reported no text still found something.
    message = details.description if details.description.strip() else _fallback(finding)
    result: dict[str, object] = {"ruleId": rule_id, "ruleIndex": index}
    if level == "none":
        result["kind"] = "informational"
    result["level"] = level
    result["message"] = {"text": message}
    result["locations"] = [_location(finding.host, finding.port)]
    result["partialFingerprints"] = {_FINGERPRINT: _fingerprint(finding)}
    result["properties"] = {
        "host": finding.host,
        "port": port_object(finding.port),
        "severity": finding.severity.value,
        "qod": details.qod,
        "qodType": details.qod_type,
        "cves": list(details.cves),
        "bids": list(details.bids),
        "references": list(details.references),
    }
    return result


def _fallback(finding: Finding) -> str:
    return f"{finding.severity.value} on {finding.port} of {finding.host}"


def _location(host: str, port: str) -> dict[str, object]:
    location: dict[str, object] = {}
    uri = service_uri(host, port)
    if uri is not None:
        location["physicalLocation"] = {"artifactLocation": {"uri": uri}}
    location["logicalLocations"] = [
        {"name": port, "fullyQualifiedName": f"{host}/{port}", "kind": "resource"}
    ]
    return location


def service_uri(host: str, port: str) -> str | None:
    """``tcp://10.0.0.5:22`` for a port, ``tcp://10.0.0.5`` for ``general/tcp``; None when
    the port field is unreadable or its protocol is not a URI scheme."""
    parts = port_details(port)
    scheme = (parts.protocol or "").lower()
    if not _SCHEME.fullmatch(scheme):
        return None
    authority = _uri_host(host)
    if parts.number is not None and not parts.general:
        authority += f":{parts.number}"
    return f"{scheme}://{authority}"


def _uri_host(host: str) -> str:
    """The host as a URI's host: IPv6 in brackets, anything unusual percent-encoded."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Names are any word the server wrote, bytes that were not UTF-8 included.
        return quote(host, safe="", errors="surrogateescape")
    if address.version == 6:
        # A zone (``%eth0``) is written ``%25eth0`` (RFC 6874).
        return f"[{quote(host, safe=':')}]"
    return host


def _fingerprint(finding: Finding) -> str:
    """Stable across scans: what was found where, not how it was worded this time."""
    key = "\0".join((finding.host, finding.port, finding.plugin_id or ""))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _invocation(results: ScanResults) -> dict[str, object]:
    times = [{"kind": t.kind.value, "when": t.when} for t in results.timestamps if not t.host]
    ended = any(t.kind is TimestampKind.SCAN_END for t in results.timestamps)
    open_ports = [{"host": p.host, "port": p.port} for p in results.open_ports]
    return {
        "executionSuccessful": ended,
        "properties": {
            "scanTimes": times,
            "openPorts": open_ports,
            "rejectedHosts": list(results.rejected_hosts),
        },
    }
