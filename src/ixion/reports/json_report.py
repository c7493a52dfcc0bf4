"""The JSON report: the results grouped by host, for tools and dashboards, and back again.

Its layout is ``ixion-report`` version 1, described by the JSON Schema shipped beside this
module (``schemas/ixion-report-1.schema.json``, :func:`json_schema`)::

    {"format": "ixion-report", "schema_version": 1,
     "scan": {"start": ctime|null, "end": ctime|null, "times": [time...]},
     "summary": {"hosts_alive": n, "hosts_rejected": n, "findings": {"hole": n, ...}},
     "hosts": [{"host": "10.0.0.5", "alive": true, "start": ..., "end": ...,
                "times": [time...], "open_ports": [{"seq": n, "port": port}...],
                "findings": [finding...]}...],
     "rejected": [{"seq": n, "hosts": [...], "truncated": false}...],
     "plugins": [{"id": "10330", "name": ..., "family": ..., ...}...]}

A port is ``{"text": "ssh (22/tcp)", "service": "ssh", "number": 22, "protocol": "tcp",
"general": false}`` (:mod:`ixion.reports.details`). A finding holds its port, severity,
plugin id (and name and family when the record knows the plugin), the parts of its text
(description, cves, bids, references, qod, qod_type) and the raw ``text``.

Grouping by host loses the order in which things arrived, which NBE keeps; so every event
carries ``seq``, its place in that order, and :func:`read_json` puts the record back
together exactly: NBE to JSON and back gives the same NBE. The summary, the parts of a text
and the convenience times are derived and ignored when reading. Hosts are listed in the
order they first appear; ``plugins`` holds the facts for the plugins the findings name.

``schema_version`` changes with any change to the layout, additions included, so that
the schema can be exact; a reader refuses versions it does not know.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

from ixion.reports.details import finding_details, port_details
from ixion.reports.json_values import JsonReportError, JsonValues, decode_json, encode_json
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

__all__ = [
    "FORMAT_NAME",
    "SCHEMA_VERSION",
    "JsonReportError",
    "finding_from_object",
    "finding_object",
    "json_schema",
    "named_plugins",
    "plugin_from_object",
    "plugin_object",
    "port_object",
    "read_json",
    "write_json",
]

FORMAT_NAME: Final = "ixion-report"
SCHEMA_VERSION: Final = 1
_SCHEMA_FILE: Final = f"{FORMAT_NAME}-{SCHEMA_VERSION}.schema.json"


def json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the reports :func:`write_json` writes."""
    text = resources.files(__package__ or "ixion.reports").joinpath("schemas", _SCHEMA_FILE)
    schema: dict[str, object] = json.loads(text.read_text(encoding="utf-8"))
    return schema


# --- the pieces, shared with JSON Lines ----------------------------------------------------


def port_object(port: str) -> dict[str, object]:
    """A port field and its parts."""
    parts = port_details(port)
    return {
        "text": port,
        "service": parts.service,
        "number": parts.number,
        "protocol": parts.protocol,
        "general": parts.general,
    }


def finding_object(finding: Finding, facts: PluginFacts | None) -> dict[str, object]:
    """A finding with its text taken apart and its plugin named when known."""
    details = finding_details(finding.text)
    return {
        "port": port_object(finding.port),
        "severity": finding.severity.value,
        "plugin_id": finding.plugin_id,
        "plugin_name": facts.name if facts else None,
        "plugin_family": (facts.family or None) if facts else None,
        "description": details.description,
        "cves": list(details.cves),
        "bids": list(details.bids),
        "references": list(details.references),
        "qod": details.qod,
        "qod_type": details.qod_type,
        "text": finding.text,
    }


def finding_from_object(values: JsonValues, host: str) -> Finding:
    """The finding a :func:`finding_object` came from; derived members are not read."""
    plugin_id = values.optional("plugin_id")
    return values.build(
        lambda: Finding(
            host=host,
            port=values.get("port").get("text").string(),
            severity=Severity(values.get("severity").string()),
            text=values.get("text").string(),
            plugin_id=plugin_id.string() if plugin_id else None,
        )
    )


def plugin_object(facts: PluginFacts) -> dict[str, object]:
    return {
        "id": facts.id,
        "name": facts.name,
        "family": facts.family,
        "category": facts.category,
        "summary": facts.summary,
        "cve": list(facts.cve),
        "bid": list(facts.bid),
        "xrefs": list(facts.xrefs),
        "solution": facts.solution,
    }


def plugin_from_object(values: JsonValues) -> PluginFacts:
    return values.build(
        lambda: PluginFacts(
            id=values.get("id").string(),
            name=values.get("name").string(),
            family=values.get("family").string(),
            category=values.get("category").string(),
            summary=values.get("summary").string(),
            cve=values.get("cve").strings(),
            bid=values.get("bid").strings(),
            xrefs=values.get("xrefs").strings(),
            solution=values.get("solution").string(),
        )
    )


def named_plugins(results: ScanResults) -> tuple[PluginFacts, ...]:
    """The facts for the plugins the findings name, in the record's order."""
    named = {f.plugin_id for f in results.findings}
    return tuple(facts for facts in results.plugins if facts.id in named)


# --- writing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Host:
    """One host's events, each with its place in the arrival order."""

    name: str
    times: list[dict[str, object]] = field(default_factory=list)
    open_ports: list[dict[str, object]] = field(default_factory=list)
    findings: list[dict[str, object]] = field(default_factory=list)
    start: str | None = None
    end: str | None = None


def write_json(results: ScanResults) -> bytes:
    """The JSON report, indented, ending with a newline."""
    hosts: dict[str, _Host] = {}
    scan_times: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    for seq, event in enumerate(results.events):
        match event:
            case Timestamp(host=None):
                scan_times.append(_time_object(seq, event))
            case Timestamp(host=str() as name):
                host = hosts.setdefault(name, _Host(name))
                host.times.append(_time_object(seq, event))
                if event.kind is TimestampKind.HOST_START and host.start is None:
                    host.start = event.when
                elif event.kind is not TimestampKind.HOST_START:
                    host.end = event.when
            case OpenPort(host=name, port=port):
                entry = {"seq": seq, "port": port_object(port)}
                hosts.setdefault(name, _Host(name)).open_ports.append(entry)
            case Finding(host=name):
                entry = {"seq": seq, **finding_object(event, results.plugin(event.plugin_id))}
                hosts.setdefault(name, _Host(name)).findings.append(entry)
            case HostsRejected(hosts=names, truncated=truncated):
                rejected.append({"seq": seq, "hosts": list(names), "truncated": truncated})
    document = {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "scan": {
            "start": _first(results, TimestampKind.SCAN_START),
            "end": _last(results, TimestampKind.SCAN_END),
            "times": scan_times,
        },
        "summary": {
            "hosts_alive": len(results.reporting_hosts),
            "hosts_rejected": len(results.rejected_hosts),
            "findings": {severity.value: results.count(severity) for severity in Severity},
        },
        "hosts": [_host_object(host) for host in hosts.values()],
        "rejected": rejected,
        "plugins": [plugin_object(facts) for facts in named_plugins(results)],
    }
    return encode_json(document, indent=2) + b"\n"


def _time_object(seq: int, timestamp: Timestamp) -> dict[str, object]:
    return {"seq": seq, "kind": timestamp.kind.value, "when": timestamp.when}


def _host_object(host: _Host) -> dict[str, object]:
    return {
        "host": host.name,
        # As the text report counts them: a host that answered something.
        "alive": bool(host.open_ports or host.findings),
        "start": host.start,
        "end": host.end,
        "times": host.times,
        "open_ports": host.open_ports,
        "findings": host.findings,
    }


def _first(results: ScanResults, kind: TimestampKind) -> str | None:
    return next((t.when for t in results.timestamps if t.kind is kind), None)


def _last(results: ScanResults, kind: TimestampKind) -> str | None:
    return next((t.when for t in reversed(results.timestamps) if t.kind is kind), None)


# --- reading ---------------------------------------------------------------------------------


def read_json(data: bytes) -> ScanResults:
    """The results a JSON report was written from.

    Raises:
        JsonReportError: not an ``ixion-report`` of a known version, or a member is
            missing, of the wrong type, or holds a value the record refuses.
    """
    document = decode_json(data, "report")
    if document.optional("format") is None or document.get("format").value != FORMAT_NAME:
        document.fail(f"not an {FORMAT_NAME} (its 'format' is not {FORMAT_NAME!r})")
    version = document.get("schema_version").integer()
    if version != SCHEMA_VERSION:
        document.fail(f"schema version {version} is not one this reader knows")
    placed: dict[int, tuple[JsonValues, Event]] = {}

    def place(values: JsonValues, event: Event) -> None:
        seq = values.get("seq").integer()
        if seq in placed:
            values.fail(f"seq {seq} is also at {placed[seq][0].where}")
        placed[seq] = (values, event)

    for entry in document.get("scan").get("times").items():
        place(entry, _timestamp_from(entry, None))
    for host_values in document.get("hosts").items():
        name = host_values.get("host").string()
        for entry in host_values.get("times").items():
            place(entry, _timestamp_from(entry, name))
        for entry in host_values.get("open_ports").items():
            place(entry, _open_port_from(entry, name))
        for entry in host_values.get("findings").items():
            place(entry, finding_from_object(entry, name))
    for entry in document.get("rejected").items():
        place(entry, _rejected_from(entry))
    plugins = tuple(plugin_from_object(p) for p in document.get("plugins").items())
    events = tuple(event for _seq, (_values, event) in sorted(placed.items()))
    return document.get("plugins").build(lambda: ScanResults(events=events, plugins=plugins))


def _timestamp_from(values: JsonValues, host: str | None) -> Timestamp:
    return values.build(
        lambda: Timestamp(
            kind=TimestampKind(values.get("kind").string()),
            when=values.get("when").string(),
            host=host,
        )
    )


def _open_port_from(values: JsonValues, host: str) -> OpenPort:
    return values.build(lambda: OpenPort(host=host, port=values.get("port").get("text").string()))


def _rejected_from(values: JsonValues) -> HostsRejected:
    return values.build(
        lambda: HostsRejected(
            hosts=values.get("hosts").strings(), truncated=values.get("truncated").boolean()
        )
    )
