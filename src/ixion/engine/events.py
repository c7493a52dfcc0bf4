"""What a scan tells the one who started it, as it happens.

The engine's whole output: the server turns these into NTP messages, a test or a report
writer can consume them directly. They cross the boundary between a host's worker process
and the daemon as one JSON object per line (:func:`to_json` / :func:`from_json`), which the
daemon parses defensively: a worker is ours, but it runs plugins.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Final, TypeAlias

__all__ = [
    "MAX_EVENT_BYTES",
    "Event",
    "EventError",
    "Finding",
    "HostFinished",
    "HostStarted",
    "PluginEnded",
    "PluginStarted",
    "PortFound",
    "Progress",
    "Severity",
    "from_json",
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


@dataclass(frozen=True, slots=True)
class Finding:
    host: str
    severity: Severity
    #: 0: the host as a whole (``general/<proto>``).
    port: int
    proto: str
    #: The full report text: the plugin's words, then CVE/BID/xref lines (spec §3.5).
    text: str
    plugin_id: int


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
class HostFinished:
    host: str
    when: float
    #: Empty when every plugin ran; else why the host ended early (stopped, dead, killed).
    reason: str = ""


Event: TypeAlias = (
    HostStarted | PortFound | Finding | Progress | PluginStarted | PluginEnded | HostFinished
)

_TYPES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (HostStarted, PortFound, Finding, Progress, PluginStarted, PluginEnded, HostFinished)
}


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
        event: Event = cls(**data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EventError(f"bad event line: {exc}") from None
    for name, value in asdict(event).items():
        expected = names[name]
        if not _has_type(value, str(expected)):
            raise EventError(f"{cls.__name__}.{name} has the wrong type")
    return event


def _has_type(value: object, annotation: str) -> bool:
    if annotation == "Severity":
        return isinstance(value, Severity)
    if isinstance(value, bool):
        return False
    if annotation == "float":
        return isinstance(value, int | float)
    return isinstance(value, {"str": str, "int": int}[annotation])
