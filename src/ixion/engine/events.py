"""What a scan tells the one who started it, as it happens.

The engine's whole output: the server turns these into NTP messages, a test or a report
writer can consume them directly. They cross the boundary between a host's worker process
and the daemon as one JSON object per line (:func:`to_json` / :func:`from_json`), which the
daemon parses defensively: a worker is ours, but it runs plugins.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import asdict, dataclass, fields
from typing import Any, Final, TypeAlias

from ixion.plugin_api.qod import QodType, check_qod_value
from ixion.plugin_api.service_names import is_service_name

__all__ = [
    "HOST_DEAD",
    "KB_CHUNK",
    "LOG_LEVELS",
    "LOG_NAME_CHARS",
    "LOG_TEXT_CHARS",
    "MAX_EVENT_BYTES",
    "PLUGIN_LOGGERS",
    "DetectionEnded",
    "DetectionPlanned",
    "Event",
    "EventError",
    "Finding",
    "HostFinished",
    "HostStarted",
    "KbWrites",
    "PluginEnded",
    "PluginLog",
    "PluginStarted",
    "PortFound",
    "Progress",
    "ServiceFound",
    "Severity",
    "from_json",
    "kb_writes",
    "to_json",
]

#: Longest JSON line a worker may send (a finding's text is capped well below).
MAX_EVENT_BYTES: Final = 1024 * 1024


class Severity(enum.StrEnum):
    """How bad a finding is: NTP's HOLE, INFO (a warning) and NOTE."""

    HOLE = "hole"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class HostStarted:
    host: str
    when: float


@dataclass(frozen=True, slots=True)
class PortFound:
    host: str
    port: int
    proto: str = "tcp"
    #: Plugin that found it; reports of silent dependencies are dropped by the engine.
    plugin_id: int = 0
    #: The service detected on it, named as ``nmap -sV`` does (``http``, ``ssl/http``);
    #: ``""``: not known (yet). :class:`~ixion.engine.port_gate.PortGate` fills it in.
    service: str = ""


@dataclass(frozen=True, slots=True)
class ServiceFound:
    """A plugin that detects services named the one on an open port
    (:meth:`~ixion.plugin_api.context.PluginContext.name_service`)."""

    host: str
    port: int
    proto: str
    #: nmap's name for it (``http``, ``ssl/http``, ``snmp``).
    service: str


@dataclass(frozen=True, slots=True)
class DetectionPlanned:
    """Service detection is to run on the host: its TCP ports wait for their names (sent
    right after HostStarted, and only then)."""

    host: str


@dataclass(frozen=True, slots=True)
class DetectionEnded:
    """Service detection on the host is over, whether it named every port or not."""

    host: str


@dataclass(frozen=True, slots=True)
class Finding:
    host: str
    severity: Severity
    #: 0: the host as a whole (``general/<proto>``).
    port: int
    proto: str
    #: The full report text: the plugin's words, then CVE/BID/xref lines (spec §3.5), then
    #: the quality of detection.
    text: str
    plugin_id: int
    #: How sure the finding is, 0-100 (:mod:`ixion.plugin_api.qod`).
    qod: int
    #: The kind of evidence (a :class:`~ixion.plugin_api.qod.QodType` value); ``""``: none
    #: declared.
    qod_type: str
    #: The service detected on the port, as :attr:`PortFound.service`.
    service: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    """``portscan`` progress from a port scanner, or ``attack`` progress of the host."""

    host: str
    phase: str
    current: int
    total: int


@dataclass(frozen=True, slots=True)
class PluginStarted:
    """Bookkeeping for the daemon's watchdog; not shown to clients."""

    host: str
    plugin_id: int
    #: Seconds the plugin may run; 0: no limit.
    timeout: float


@dataclass(frozen=True, slots=True)
class PluginEnded:
    host: str
    plugin_id: int
    #: ``done``, ``timeout``, ``error: ...``, ``skipped: ...``.
    outcome: str


@dataclass(frozen=True, slots=True)
class KbWrites:
    """What a plugin wrote to the KB, sent before its PluginEnded when the job asks
    (:attr:`~ixion.engine.job.HostJob.journal`), in pieces of at most :data:`KB_CHUNK`
    characters so that no event line grows past :data:`MAX_EVENT_BYTES`."""

    host: str
    plugin_id: int
    #: ``[op, name, value]`` each, op ``add``, ``replace`` or ``remove``.
    writes: tuple[tuple[str, str, int | str], ...]


@dataclass(frozen=True, slots=True)
class PluginLog:
    """A warning a plugin (or the NASL interpreter running it) logged in the host's worker,
    for the daemon to log in turn: a worker has no log of its own. Not shown to clients."""

    host: str
    #: 0: the worker could not tell which plugin.
    plugin_id: int
    #: A standard :mod:`logging` level (:data:`LOG_LEVELS`).
    level: int
    #: The name of the logger it was written to, at most :data:`LOG_NAME_CHARS` characters.
    logger: str
    #: At most :data:`LOG_TEXT_CHARS` characters.
    message: str


#: What :attr:`PluginLog.level` may be.
LOG_LEVELS: Final = frozenset(
    {logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL}
)
#: Longest :attr:`PluginLog.logger` and :attr:`PluginLog.message`: the daemon logs them.
LOG_NAME_CHARS: Final = 200
LOG_TEXT_CHARS: Final = 2000
#: The loggers (and their children) a PluginLog may name: each plugin's
#: (``ixion.plugin.<file>``, where the NASL interpreter's diagnostics go too) and the NASL
#: runner's own. Never another part of the daemon, whose log lines it would forge.
PLUGIN_LOGGERS: Final = ("ixion.plugin", "ixion.engine.nasl_run")

#: The reason a host's scan ends with when the host turned out unreachable.
HOST_DEAD: Final = "the host is dead"


@dataclass(frozen=True, slots=True)
class HostFinished:
    host: str
    when: float
    #: Empty when every plugin ran; else why the host ended early (stopped, dead, killed).
    reason: str = ""
    #: The host's scan failed (its worker was killed or never started, memory ran out): its
    #: results are incomplete for a reason nobody chose, which its client must be told.
    failed: bool = False


Event: TypeAlias = (
    HostStarted
    | DetectionPlanned
    | PortFound
    | ServiceFound
    | DetectionEnded
    | Finding
    | Progress
    | PluginStarted
    | KbWrites
    | PluginEnded
    | PluginLog
    | HostFinished
)

_TYPES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (
        HostStarted,
        DetectionPlanned,
        PortFound,
        ServiceFound,
        DetectionEnded,
        Finding,
        Progress,
        PluginStarted,
        KbWrites,
        PluginEnded,
        PluginLog,
        HostFinished,
    )
}
#: Characters of names and values in one :class:`KbWrites` (a KB value is at most 64 KiB).
KB_CHUNK: Final = 256 * 1024
_KB_OPS: Final = frozenset({"add", "replace", "remove"})


class EventError(ValueError):
    """A line from a worker that is not an event."""


def to_json(event: Event) -> bytes:
    data = asdict(event)
    data["event"] = type(event).__name__
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


def from_json(line: bytes) -> Event:
    try:
        data = json.loads(line)
        cls = _TYPES[data.pop("event")]
        names = {f.name: f.type for f in fields(cls)}
        if set(data) - set(names):
            raise EventError(f"unexpected fields in {cls.__name__}")
        if "severity" in data:
            data["severity"] = Severity(data["severity"])
        if "writes" in data:
            data["writes"] = kb_writes(data["writes"])
        event: Event = cls(**data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EventError(f"bad event line: {exc}") from None
    for name, value in asdict(event).items():
        expected = names[name]
        if not _has_type(value, str(expected)):
            raise EventError(f"{cls.__name__}.{name} has the wrong type")
    if isinstance(event, Finding):
        _check_qod(event)
    if isinstance(event, PortFound | ServiceFound | Finding):
        _check_service(event)
    if isinstance(event, PluginLog):
        _check_log(event)
    return event


#: The protocols a port found or named may have.
_PORT_PROTOCOLS: Final = frozenset({"tcp", "udp"})


def _check_service(event: PortFound | ServiceFound | Finding) -> None:
    """A port's service name is one of :func:`~ixion.plugin_api.context.is_service_name`'s
    words: the daemon puts it in the port field of every line about the port."""
    name = type(event).__name__
    if isinstance(event, ServiceFound):
        if not 0 < event.port <= 65535 or event.proto not in _PORT_PROTOCOLS:
            raise EventError(f"ServiceFound names port {event.port}/{event.proto[:10]!r}")
        if not is_service_name(event.service):
            raise EventError(f"ServiceFound.service {event.service[:40]!r} is not a name")
    elif event.service and not is_service_name(event.service):
        raise EventError(f"{name}.service {event.service[:40]!r} is not a name")


def _check_log(record: PluginLog) -> None:
    """A known level and bounded texts: the daemon writes them to its log."""
    if record.level not in LOG_LEVELS:
        raise EventError(f"PluginLog.level {record.level} is not a logging level")
    if len(record.logger) > LOG_NAME_CHARS or not any(
        record.logger == root or record.logger.startswith(f"{root}.") for root in PLUGIN_LOGGERS
    ):
        raise EventError(f"PluginLog.logger {record.logger[:40]!r} is not a plugin's")
    if len(record.message) > LOG_TEXT_CHARS:
        raise EventError("PluginLog.message is too long")


#: What :attr:`Finding.qod_type` may say.
_QOD_TYPES: Final = frozenset({"", *(kind.value for kind in QodType)})


def _check_qod(finding: Finding) -> None:
    """A finding's QoD is a percentage and a known type: the daemon filters on it."""
    try:
        check_qod_value(finding.qod)
    except ValueError as exc:
        raise EventError(f"Finding.qod: {exc}") from None
    if finding.qod_type not in _QOD_TYPES:
        raise EventError(f"Finding.qod_type {finding.qod_type[:40]!r} is unknown")


def kb_writes(value: object) -> tuple[tuple[str, str, int | str], ...]:
    """KB writes as JSON gives them back (``[[op, name, value], ...]``), checked.

    Raises:
        EventError: ``value`` is not such a list.
    """
    if not isinstance(value, list):
        raise EventError("KB writes are not a list")
    writes = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 3):
            raise EventError("a KB write is not [op, name, value]")
        op, name, written = item
        if op not in _KB_OPS or not isinstance(name, str) or not name:
            raise EventError("a KB write has a bad op or name")
        if isinstance(written, bool) or not isinstance(written, int | str):
            raise EventError("a KB value is neither int nor str")
        writes.append((op, name, written))
    return tuple(writes)


def _has_type(value: object, annotation: str) -> bool:
    if annotation == "Severity":
        return isinstance(value, Severity)
    if annotation.startswith("tuple["):
        return isinstance(value, tuple)  # checked while decoding
    if isinstance(value, bool):
        return annotation == "bool"
    if annotation == "float":
        return isinstance(value, int | float)
    return isinstance(value, {"str": str, "int": int, "bool": bool}[annotation])
