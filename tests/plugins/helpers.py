"""Running built-in plugins against the lab, the way a host's scan runs them, minus the worker.

:func:`run_plugins` builds a :class:`HostJob` for 127.0.0.1 with the given ports as the port
range, and runs the named plugins one after the other with a shared KB, skipping a plugin
whose requirements fail exactly as the scheduler would (:func:`why_not_launch`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ixion.engine.context import HostContext
from ixion.engine.events import Event, Finding, PortFound, Progress, Severity
from ixion.engine.job import HostJob, ScanSettings
from ixion.engine.loader import load_plugin
from ixion.engine.schedule import why_not_launch
from ixion.plugin_api.kb import KbValue, KnowledgeBase
from ixion.plugin_api.plugin import Plugin
from ixion.plugin_api.ports import parse_port_range
from tests.lab import LOOPBACK

#: Every built-in plugin, in an order that respects their dependencies.
ALL_PLUGINS = (
    "tcp_ping",
    "tcp_scanner",
    "find_service",
    "http_version",
    "ssh_version",
    "ftp_anonymous",
    "smtp_banner",
    "tls_certificate",
)
#: What the tests set to keep a scan of the lab short: its services answer at once.
FAST = {"Services[entry]:Banner timeout (seconds)": "0.5"}


def plugin(name: str) -> Plugin:
    return load_plugin(f"ixion.plugins.{name}")


@dataclass
class Outcome:
    """The KB and the events of a run."""

    kb: KnowledgeBase
    events: list[Event] = field(default_factory=list)
    #: Plugins skipped, with the scheduler's reason.
    skipped: dict[str, str] = field(default_factory=dict)

    def findings(
        self, *, port: int | None = None, severity: Severity | None = None, plugin_id: int = 0
    ) -> list[Finding]:
        return [
            event
            for event in self.events
            if isinstance(event, Finding)
            and (port is None or event.port == port)
            and (severity is None or event.severity is severity)
            and (not plugin_id or event.plugin_id == plugin_id)
        ]

    def texts(
        self, *, port: int | None = None, severity: Severity | None = None, plugin_id: int = 0
    ) -> list[str]:
        found = self.findings(port=port, severity=severity, plugin_id=plugin_id)
        return [finding.text for finding in found]

    @property
    def ports_found(self) -> list[int]:
        return sorted(event.port for event in self.events if isinstance(event, PortFound))

    @property
    def progress(self) -> list[Progress]:
        return [event for event in self.events if isinstance(event, Progress)]

    def get(self, key: str) -> KbValue | None:
        return self.kb.get(key)

    def values(self, key: str) -> tuple[KbValue, ...]:
        return self.kb.values(key)


def make_job(
    ports: Iterable[int] | str,
    *,
    preferences: Mapping[str, str] | None = None,
    read_timeout: float = 3.0,
) -> HostJob:
    text = ports if isinstance(ports, str) else ",".join(str(port) for port in ports)
    return HostJob(
        host=LOOPBACK,
        address=LOOPBACK,
        origins=(),
        enabled=frozenset(),
        settings=ScanSettings(port_range=parse_port_range(text), read_timeout=read_timeout),
        preferences={**FAST, **(preferences or {})},
    )


async def run_async(job: HostJob, names: Iterable[str], kb: KnowledgeBase | None = None) -> Outcome:
    outcome = Outcome(KnowledgeBase() if kb is None else kb)
    for name in names:
        loaded = plugin(name)
        ctx = HostContext(info=loaded.info, job=job, kb=outcome.kb, emit=outcome.events.append)
        reason = why_not_launch(loaded.info, outcome.kb, job.settings)
        if reason is not None:
            outcome.skipped[name] = reason
            continue
        await loaded.run(ctx)
    return outcome


def run_plugins(
    ports: Iterable[int] | str,
    names: Iterable[str] = ALL_PLUGINS,
    *,
    preferences: Mapping[str, str] | None = None,
    read_timeout: float = 3.0,
    kb: KnowledgeBase | None = None,
) -> Outcome:
    """Run ``names`` in order against 127.0.0.1 with ``ports`` as the port range."""
    job = make_job(ports, preferences=preferences, read_timeout=read_timeout)
    return asyncio.run(run_async(job, names, kb))
