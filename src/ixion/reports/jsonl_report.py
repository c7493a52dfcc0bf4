"""JSON Lines: one JSON object per event, written as the scan goes, for pipelines to follow.

The first line names the format; each later line is one event, in arrival order::

    {"format":"ixion-events","schema_version":1}
    {"event":"timestamp","kind":"scan_start","when":"Sun Nov  6 10:15:30 2005","host":null}
    {"event":"open_port","host":"10.0.0.5","port":{"text":"ssh (22/tcp)",...}}
    {"event":"plugin","id":"10330","name":"Services",...}
    {"event":"finding","host":"10.0.0.5","port":{...},"severity":"note",...,"text":"..."}
    {"event":"hosts_rejected","hosts":["10.0.0.9"],"truncated":false}

Ports, findings and plugins have the members they have in the JSON report
(:mod:`ixion.reports.json_report`). A ``plugin`` line, when the writer knows the plugin,
comes just before the first finding that names it, so a reader following the stream can
name every finding's plugin the moment it arrives.

Each line is compact JSON ending with LF; line ends and control characters inside strings
are always escaped, so LF is the only line end. (U+2028 and the other characters
``str.splitlines`` also breaks at stay raw, which is valid JSON: :func:`read_jsonl`
splits at LF alone, and so must other readers.)
"""

from __future__ import annotations

from io import BytesIO
from typing import IO, TYPE_CHECKING, Final

from ixion.reports.json_report import (
    finding_from_object,
    finding_object,
    plugin_from_object,
    plugin_object,
    port_object,
)
from ixion.reports.json_values import JsonReportError, JsonValues, decode_json, encode_json
from ixion.reports.results import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    PluginFacts,
    ScanResults,
    Timestamp,
    TimestampKind,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["FORMAT_NAME", "SCHEMA_VERSION", "JsonLinesWriter", "read_jsonl", "write_jsonl"]

FORMAT_NAME: Final = "ixion-events"
SCHEMA_VERSION: Final = 1


class JsonLinesWriter:
    """Writes events to a binary stream as they arrive, one flushed line each.

    ``plugins`` are the facts the writer may use to name plugins (a whole feed is fine:
    it is indexed once, and only the plugins findings name are written).
    """

    def __init__(self, stream: IO[bytes], plugins: Iterable[PluginFacts] = ()) -> None:
        self._stream = stream
        self._plugins = {facts.id: facts for facts in plugins}
        self._named: set[str] = set()
        self._write_line({"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION})

    def learn(self, facts: PluginFacts) -> None:
        """Facts about a plugin learnt after the stream began (a server's plugin list)."""
        self._plugins.setdefault(facts.id, facts)

    def write(self, event: Event) -> None:
        """Write one event (and, before a finding, its plugin's facts the first time)."""
        if isinstance(event, Finding) and event.plugin_id is not None:
            facts = self._plugins.get(event.plugin_id)
            if facts is not None and facts.id not in self._named:
                self._named.add(facts.id)
                self._write_line({"event": "plugin", **plugin_object(facts)})
        self._write_line(_event_object(event, self._plugins))

    def _write_line(self, value: dict[str, object]) -> None:
        self._stream.write(encode_json(value) + b"\n")
        # Someone may be following the file (``tail -f``, a dashboard): no event may wait.
        self._stream.flush()


def write_jsonl(results: ScanResults) -> bytes:
    """The JSON Lines report of a whole record."""
    buffer = BytesIO()
    writer = JsonLinesWriter(buffer, results.plugins)
    for event in results.events:
        writer.write(event)
    return buffer.getvalue()


def _event_object(event: Event, plugins: dict[str, PluginFacts]) -> dict[str, object]:
    match event:
        case Timestamp(kind=kind, when=when, host=host):
            return {"event": "timestamp", "kind": kind.value, "when": when, "host": host}
        case OpenPort(host=host, port=port):
            return {"event": "open_port", "host": host, "port": port_object(port)}
        case Finding(host=host, plugin_id=plugin_id):
            facts = plugins.get(plugin_id) if plugin_id is not None else None
            return {"event": "finding", "host": host, **finding_object(event, facts)}
        case HostsRejected(hosts=hosts, truncated=truncated):
            return {"event": "hosts_rejected", "hosts": list(hosts), "truncated": truncated}


def read_jsonl(data: bytes) -> ScanResults:
    """The results a JSON Lines report holds; plugins in the order their lines came.

    Blank lines are skipped and a CR before a LF is dropped. A report whose writer was
    killed mid-line reads up to its last whole line: a last line without its LF that is
    not whole JSON is left out.

    Raises:
        JsonReportError: the first line does not name the format and a known version, or
            a line is not a JSON event of the right shape.
    """
    lines = [
        (number, line.removesuffix(b"\r"))
        for number, line in enumerate(data.split(b"\n"), start=1)
        if line.strip()
    ]
    if lines and not data.endswith(b"\n") and not _is_json(lines[-1][1]):
        lines.pop()
    if not lines:
        raise JsonReportError("line 1: empty; expected the ixion-events header")
    number, first = lines[0]
    header = decode_json(first, f"line {number}")
    if header.optional("format") is None or header.get("format").value != FORMAT_NAME:
        header.fail(f"not {FORMAT_NAME} (the first line names no such format)")
    version = header.get("schema_version").integer()
    if version != SCHEMA_VERSION:
        header.fail(f"schema version {version} is not one this reader knows")
    events: list[Event] = []
    plugins: list[PluginFacts] = []
    for number, line in lines[1:]:
        values = decode_json(line, f"line {number}")
        kind = values.get("event").string()
        if kind == "plugin":
            plugins.append(plugin_from_object(values))
        else:
            events.append(_event_from(kind, values))
    try:
        return ScanResults(events=tuple(events), plugins=tuple(plugins))
    except ValueError as exc:
        raise JsonReportError(f"plugin lines: {exc}") from None


def _is_json(line: bytes) -> bool:
    try:
        decode_json(line, "")
    except JsonReportError:
        return False
    return True


def _event_from(kind: str, values: JsonValues) -> Event:
    match kind:
        case "timestamp":
            host = values.optional("host")
            return values.build(
                lambda: Timestamp(
                    kind=TimestampKind(values.get("kind").string()),
                    when=values.get("when").string(),
                    host=host.string() if host else None,
                )
            )
        case "open_port":
            return values.build(
                lambda: OpenPort(
                    host=values.get("host").string(),
                    port=values.get("port").get("text").string(),
                )
            )
        case "finding":
            return finding_from_object(values, values.get("host").string())
        case "hosts_rejected":
            return values.build(
                lambda: HostsRejected(
                    hosts=values.get("hosts").strings(),
                    truncated=values.get("truncated").boolean(),
                )
            )
    values.get("event").fail(f"unknown event {kind[:40]!r}")
