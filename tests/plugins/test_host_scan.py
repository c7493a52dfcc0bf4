"""The built-in plugins as the engine runs them: loaded, planned and scheduled by HostScan."""

from __future__ import annotations

import asyncio
import dataclasses

from ixion.engine.events import Finding, HostFinished, PluginEnded, PortFound, Severity
from ixion.engine.host import HostScan
from ixion.engine.loader import builtin_origins, load_plugins
from ixion.plugin_api.metadata import Category
from tests.lab import Lab

from .helpers import make_job


def test_every_builtin_plugin_loads_with_sound_metadata() -> None:
    plugins = load_plugins(builtin_origins())
    assert plugins.errors == ()
    by_name = plugins.by_filename()
    assert set(by_name) >= {
        "tcp_ping.py",
        "tcp_scanner.py",
        "find_service.py",
        "http_version.py",
        "ssh_version.py",
        "ftp_anonymous.py",
        "smtp_banner.py",
        "tls_certificate.py",
    }
    for plugin in plugins.all:
        info = plugin.info
        # ixion's own range, or the classic ids of the ping and the TCP scanner.
        assert info.id > 90000000 or info.filename in ("tcp_ping.py", "tcp_scanner.py")
        assert all(dep in by_name for dep in info.dependencies)
        if info.category not in (Category.SCANNER, Category.END):
            assert info.dependencies, info.filename


def test_a_host_scan_runs_them_all_against_the_lab(lab: Lab, closed_port: int) -> None:
    plugins = load_plugins(builtin_origins()).all
    ports = [lab.ports[name] for name in ("http", "https", "ftp", "ssh", "smtp")]
    job = dataclasses.replace(
        make_job([*ports, closed_port], read_timeout=2),
        enabled=frozenset(plugin.info.id for plugin in plugins),
    )
    events: list[object] = []

    async def scan() -> None:
        await HostScan(job, plugins, events.append).run()

    asyncio.run(scan())
    ended = [event for event in events if isinstance(event, PluginEnded)]
    assert {event.outcome for event in ended} == {"done"}
    assert len(ended) == len(plugins)
    assert sorted(e.port for e in events if isinstance(e, PortFound)) == sorted(ports)
    severities = {(e.port, e.severity) for e in events if isinstance(e, Finding)}
    assert (lab.ports["ftp"], Severity.WARNING) in severities
    assert (lab.ports["https"], Severity.WARNING) in severities
    last = events[-1]
    assert isinstance(last, HostFinished)
    assert last.reason == ""
