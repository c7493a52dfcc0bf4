"""A scan's results as plain data: what every report writer reads.

The client turns the server's messages into this record (:mod:`ixion.reports.collect`), and
``-i`` turns a saved NBE file back into it (:mod:`ixion.reports.nbe`). Writers read only the
record, so no report format depends on the wire, and a report converted offline is the same
value as one collected live.

The record is the events in arrival order, nothing sorted, nothing merged: NBE is written in
that order (spec §9.3), and ordering for human readers is each writer's choice. Values are
kept as the server wrote them: ports as their wire text (``ssh (22/tcp)``, ``general/udp``;
spec §3.5 says only the ``(<port>/<proto>)`` part is structured) and times as the server's
``ctime()`` text (local time of an unknown zone, so it cannot become a ``datetime``
faithfully, spec §3.6).

Beside the events, the record may carry :class:`PluginFacts`, what the client learnt about
the plugins from the server's plugin list, so that writers can name a finding's plugin and
family. A record read from NBE has none; writers then show the plugin id alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "Event",
    "Finding",
    "HostsRejected",
    "OpenPort",
    "PluginFacts",
    "ScanResults",
    "Severity",
    "Timestamp",
    "TimestampKind",
]


class Severity(enum.Enum):
    """How serious a finding is, by the plugin call that posted it (spec §3.5, §11).

    ``security_warning`` travels as ``INFO`` on the wire, hence WARNING here; LOG and DEBUG
    are OTP's ``log_message`` and ``debug_message``.
    """

    HOLE = "hole"
    WARNING = "warning"
    NOTE = "note"
    LOG = "log"
    DEBUG = "debug"


class TimestampKind(enum.Enum):
    """Which moment a TIME message marks (spec §3.6)."""

    SCAN_START = "scan_start"
    HOST_START = "host_start"
    HOST_END = "host_end"
    #: Meant for STOP_ATTACK; nessusd 2.2.5 never delivers it, other servers may.
    HOST_INTERRUPTED = "host_interrupted"
    SCAN_END = "scan_end"

    @property
    def names_host(self) -> bool:
        return self is not TimestampKind.SCAN_START and self is not TimestampKind.SCAN_END


def _check_host(host: str) -> None:
    # Hosts are single words on the wire (the server's name or address for the target).
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"host must be one non-empty word: {host!r}")


def _check_line(what: str, value: str) -> None:
    if not value or "\n" in value or "\r" in value:
        raise ValueError(f"{what} must be non-empty text on one line: {value!r}")


def _check_plugin_id(plugin_id: str) -> None:
    # "0" is nessusd's "no plugin" (spec §3.5); the record says that with None only.
    if plugin_id == "0" or not plugin_id or any(c.isspace() for c in plugin_id):
        raise ValueError(f"bad plugin id {plugin_id!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Timestamp:
    """When the scan or one host's test started or ended; only sent with ``timestamps``."""

    kind: TimestampKind
    #: The server's ``ctime()`` text, e.g. ``Sun Nov  6 10:15:30 2005``.
    when: str
    #: The host for the ``HOST_*`` kinds, None for ``SCAN_START`` and ``SCAN_END``.
    host: str | None = None

    def __post_init__(self) -> None:
        _check_line("time", self.when)
        if self.kind.names_host != (self.host is not None):
            raise ValueError(f"{self.kind.value} timestamp with host {self.host!r}")
        if self.host is not None:
            _check_host(self.host)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenPort:
    """A port the scanners found open, e.g. ``ssh (22/tcp)``."""

    host: str
    port: str

    def __post_init__(self) -> None:
        _check_host(self.host)
        _check_line("port", self.port)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """What a plugin reported about a host and port (spec §3.5).

    ``text`` is the full report text as the user reads it, wire escaping undone; it usually
    ends with a newline and the CVE/BID lines the server appended.
    """

    host: str
    #: ``ssh (22/tcp)``, or ``general/tcp`` for the host as a whole.
    port: str
    severity: Severity
    text: str
    #: None when the server named no plugin (NTP/1.1, or plugin id 0).
    plugin_id: str | None = None

    def __post_init__(self) -> None:
        _check_host(self.host)
        _check_line("port", self.port)
        if self.plugin_id is not None:
            _check_plugin_id(self.plugin_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostsRejected:
    """Targets the server's rules did not allow this user to test (E002, spec §3.8)."""

    hosts: tuple[str, ...]
    #: The server cut the list short (nessusd stops near 4000 bytes).
    truncated: bool = False

    def __post_init__(self) -> None:
        for host in self.hosts:
            _check_host(host)


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginFacts:
    """What the client knows about a plugin from the server's PLUGIN_LIST (spec §3.2).

    Optional context for writers: a finding carries only its plugin's id, and a report
    that names the check and its family reads better. A record read back from NBE has
    none, so every writer falls back to the id. Lists are as the server sent them.
    """

    id: str
    name: str
    family: str = ""
    #: The PLUGIN_LIST category word (``infos``, ``attack``...).
    category: str = ""
    summary: str = ""
    cve: tuple[str, ...] = ()
    bid: tuple[str, ...] = ()
    #: ``NAME:value`` references.
    xrefs: tuple[str, ...] = ()
    #: How to fix what the plugin finds, where the server said (OTP's ``solution`` tag).
    solution: str = ""

    def __post_init__(self) -> None:
        _check_plugin_id(self.id)
        _check_line("plugin name", self.name)
        # Sent raw on the wire, so one line each; empty when the server did not say.
        for what, value in (("family", self.family), ("category", self.category)):
            if "\n" in value or "\r" in value:
                raise ValueError(f"plugin {what} must be on one line: {value!r}")


Event: TypeAlias = Timestamp | OpenPort | Finding | HostsRejected


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResults:
    """Everything a scan reported, in arrival order, and what is known of its plugins."""

    events: tuple[Event, ...] = ()
    #: Facts about the plugins (any order, each id once); empty when nothing is known.
    plugins: tuple[PluginFacts, ...] = ()
    # An index for :meth:`plugin`: a whole feed is 136 k plugins and a report may have
    # thousands of findings, so a linear search per finding would not do.
    _plugins_by_id: dict[str, PluginFacts] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        index = {facts.id: facts for facts in self.plugins}
        if len(index) != len(self.plugins):
            raise ValueError("two plugin facts have the same id")
        object.__setattr__(self, "_plugins_by_id", index)

    def plugin(self, plugin_id: str | None) -> PluginFacts | None:
        """The facts about a plugin, or None when the id is None or unknown."""
        return None if plugin_id is None else self._plugins_by_id.get(plugin_id)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(e for e in self.events if isinstance(e, Finding))

    @property
    def open_ports(self) -> tuple[OpenPort, ...]:
        return tuple(e for e in self.events if isinstance(e, OpenPort))

    @property
    def timestamps(self) -> tuple[Timestamp, ...]:
        return tuple(e for e in self.events if isinstance(e, Timestamp))

    @property
    def rejected_hosts(self) -> tuple[str, ...]:
        """Every host the server refused to test, in the order it named them."""
        return tuple(h for e in self.events if isinstance(e, HostsRejected) for h in e.hosts)

    @property
    def reporting_hosts(self) -> tuple[str, ...]:
        """Hosts with an open port or a finding, in order of their first one.

        These are the hosts the reference client calls "alive": a host that answered
        nothing leaves only timestamps behind.
        """
        seen = dict.fromkeys(e.host for e in self.events if isinstance(e, OpenPort | Finding))
        return tuple(seen)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)
