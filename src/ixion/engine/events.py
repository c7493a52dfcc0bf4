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
    "HOST_DEAD",
    "KB_CHUNK",
    "MAX_EVENT_BYTES",
    "Event",
    "EventError",
    "Finding",
    "HostFinished",
    "HostStarted",
    "KbWrites",
    "PluginEnded",
    "PluginStarted",
    "PortFound",
    "Progress",
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
class KbWrites:
    """What a plugin wrote to the KB, sent before its PluginEnded when the job asks
    (:attr:`~ixion.engine.job.HostJob.journal`), in pieces of at most :data:`KB_CHUNK`
    characters so that no event line grows past :data:`MAX_EVENT_BYTES`."""

    host: str
    plugin_id: int
    #: ``[op, name, value]`` each, op ``add``, ``replace`` or ``remove``.
    writes: tuple[tuple[str, str, int | str], ...]


#: The reason a host's scan ends with when the host turned out unreachable.
HOST_DEAD: Final = "the host is dead"


@dataclass(frozen=True, slots=True)
class HostFinished:
    host: str
    when: float
    #: Empty when every plugin ran; else why the host ended early (stopped, dead, killed).
    reason: str = ""


Event: TypeAlias = (
    HostStarted
    | PortFound
    | Finding
    | Progress
    | PluginStarted
    | KbWrites
    | PluginEnded
    | HostFinished
)

_TYPES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (
        HostStarted,
        PortFound,
        Finding,
        Progress,
        PluginStarted,
        KbWrites,
        PluginEnded,
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
    return event


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
        return False
    if annotation == "float":
        return isinstance(value, int | float)
    return isinstance(value, {"str": str, "int": int}[annotation])
