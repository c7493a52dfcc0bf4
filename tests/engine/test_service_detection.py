"""Service detection as a host's scan drives it: the plugins that name services, the events
that tell the daemon to hold the host's TCP ports and when to let them go, and those ports
going out named, in process and from a worker killed in the middle of detection."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from ixion.engine.context import HostContext
from ixion.engine.events import (
    DetectionEnded,
    DetectionPlanned,
    Event,
    Finding,
    HostFinished,
    HostStarted,
    PluginEnded,
    PortFound,
    ServiceFound,
)
from ixion.engine.host import HostScan
from ixion.engine.job import HostJob
from ixion.engine.loader import load_plugins
from ixion.engine.port_gate import PortGate
from ixion.engine.scan import Scan
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.metadata import Category, PluginInfo
from tests.engine.plugin_files import job, write_plugin
from tests.engine.test_worker import finished, run_scan

SCANNER = "ctx.add_port(1)\nctx.add_port(2)\nctx.add_port(53, 'udp', service='domain')"
DETECTOR = "ctx.name_service(2, 'tcp', 'http')\nctx.note('web', port=2)\nctx.note('?', port=1)"
CHECK = "ctx.warning('alert', port=2)\nctx.note('fine', port=1)"


def plugins(
    folder: Path,
    detector: str = DETECTOR,
    *,
    timeout: int | None = None,
    require_keys: tuple[str, ...] = (),
) -> list[str]:
    """A scanner, a plugin that detects services, and a check that follows it."""
    return [
        write_plugin(folder, "scanner", 1, SCANNER, category="SCANNER"),
        write_plugin(
            folder,
            "detector",
            2,
            detector,
            detects_services=True,
            dependencies=("scanner.py",),
            timeout=timeout,
            require_keys=require_keys,
        ),
        write_plugin(folder, "check", 3, CHECK, category="ATTACK", dependencies=("detector.py",)),
    ]


def scan(job_: HostJob) -> tuple[HostScan, list[Event]]:
    events: list[Event] = []
    host = HostScan(job_, load_plugins(job_.origins).all, events.append)
    asyncio.run(asyncio.wait_for(host.run(), 30))
    return host, events


def gated(events: list[Event]) -> list[tuple[str, int, str, str]]:
    """What the daemon passes on of ports and findings: (kind, port, proto:name, first line)."""
    gate = PortGate()
    passed = [out for event in events for out in gate.admit(event)]
    return [
        (type(e).__name__, e.port, f"{e.proto}:{e.service}", getattr(e, "text", "").split("\n")[0])
        for e in passed
        if isinstance(e, PortFound | Finding)
    ]


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_detection_is_announced_names_ports_and_ends_before_its_plugin(tmp_path: Path) -> None:
    host, events = scan(job(plugins(tmp_path), enabled={1, 2, 3}))
    assert kinds(events)[:2] == ["HostStarted", "DetectionPlanned"]
    detector_end = events.index(
        next(e for e in events if isinstance(e, PluginEnded) and e.plugin_id == 2)
    )
    assert isinstance(events[detector_end - 1], DetectionEnded)
    assert ServiceFound("127.0.0.1", 2, "tcp", "http") in events
    assert host.kb.get("ixion/service/tcp/2") == "http"
    assert host.kb.get("ixion/service/udp/53") == "domain"
    # Through the gate: UDP at once; port 2 once named, with the note on it behind; port 1
    # when detection ends; the check's results with their ports' names.
    assert gated(events) == [
        ("PortFound", 53, "udp:domain", ""),
        ("PortFound", 2, "tcp:http", ""),
        ("Finding", 2, "tcp:http", "web"),
        ("PortFound", 1, "tcp:", ""),
        ("Finding", 1, "tcp:", "?"),
        ("Finding", 2, "tcp:http", "alert"),
        ("Finding", 1, "tcp:", "fine"),
    ]


@pytest.mark.parametrize(
    ("body", "timeout", "requires", "outcome"),
    [
        ("raise RuntimeError('broken')", None, (), "error: RuntimeError('broken')"),
        ("await asyncio.sleep(30)", 1, (), "timeout after 1 s"),
        (DETECTOR, None, ("absent",), "skipped: required KB item absent is missing"),
    ],
)
def test_detection_that_fails_times_out_or_is_skipped_still_ends(
    tmp_path: Path, body: str, timeout: int | None, requires: tuple[str, ...], outcome: str
) -> None:
    origins = plugins(tmp_path, body, timeout=timeout, require_keys=requires)
    _, events = scan(job(origins, enabled={1, 2, 3}))
    ended = next(e for e in events if isinstance(e, PluginEnded) and e.plugin_id == 2)
    assert ended.outcome.startswith(outcome)
    assert isinstance(events[events.index(ended) - 1], DetectionEnded)
    assert not any(isinstance(e, ServiceFound) for e in events)
    assert [p for p in gated(events) if p[0] == "PortFound"] == [
        ("PortFound", 53, "udp:domain", ""),
        ("PortFound", 1, "tcp:", ""),
        ("PortFound", 2, "tcp:", ""),
    ]


def test_without_detection_planned_nothing_is_held(tmp_path: Path) -> None:
    _, events = scan(job(plugins(tmp_path), enabled={1}, auto_enable_dependencies=False))
    assert not any(isinstance(e, DetectionPlanned | DetectionEnded) for e in events)
    assert [p for p in gated(events) if p[0] == "PortFound"] == [
        ("PortFound", 1, "tcp:", ""),
        ("PortFound", 2, "tcp:", ""),
        ("PortFound", 53, "udp:domain", ""),
    ]


def test_a_silent_detector_still_names_the_ports(tmp_path: Path) -> None:
    _, events = scan(job(plugins(tmp_path), enabled={1, 3}))
    assert ServiceFound("127.0.0.1", 2, "tcp", "http") in events
    assert not [e for e in events if isinstance(e, Finding) and e.plugin_id == 2]
    assert ("PortFound", 2, "tcp:http", "") in gated(events)


def test_a_resumed_host_names_from_its_kb_and_reports_the_ports_detection_held(
    tmp_path: Path,
) -> None:
    """A crash while detection ran: the scanner is done, its ports were never sent."""
    scanned = (1, (("add", "Ports/tcp/1", 1), ("add", "Ports/tcp/2", 1), ("add", "Ports/tcp/3", 0)))
    udp = (99, (("replace", "ixion/service/udp/53", "domain"),))
    resumed = dataclasses.replace(job(plugins(tmp_path), enabled={1, 2, 3}), resume=(scanned, udp))
    _, events = scan(resumed)
    assert events[1:5] == [
        DetectionPlanned("127.0.0.1"),
        ServiceFound("127.0.0.1", 53, "udp", "domain"),
        PortFound("127.0.0.1", 1, "tcp"),
        PortFound("127.0.0.1", 2, "tcp"),
    ]
    assert [p for p in gated(events) if p[0] == "PortFound"] == [
        ("PortFound", 2, "tcp:http", ""),
        ("PortFound", 1, "tcp:", ""),
    ]

    # Detection had ended too: its names come back, and nothing is held or sent again.
    detected = (2, (("replace", "ixion/service/tcp/2", "http"),))
    done = dataclasses.replace(resumed, resume=(scanned, detected))
    _, events = scan(done)
    assert events[1] == ServiceFound("127.0.0.1", 2, "tcp", "http")
    assert not any(isinstance(e, DetectionPlanned | PortFound) for e in events)
    assert ("Finding", 2, "tcp:http", "alert") in gated(events)


def test_a_host_stopped_during_detection_still_reports_every_port(tmp_path: Path) -> None:
    """The worker is killed: only the daemon's gate can still let its ports go."""
    origins = plugins(tmp_path, "ctx.name_service(1, 'tcp', 'ssh')\nawait asyncio.sleep(60)")

    def stop_once_named(scan_: Scan, event: Event) -> None:
        if isinstance(event, ServiceFound) and event.proto == "tcp":
            assert scan_.stop_host(event.host)

    events = run_scan([job(origins, enabled={1, 2, 3})], during=stop_once_named, limit=20)
    assert finished(events) == {"127.0.0.1": "stopped by the user"}
    assert not any(isinstance(e, DetectionEnded) for e in events)
    assert gated(events) == [
        ("PortFound", 53, "udp:domain", ""),
        ("PortFound", 1, "tcp:ssh", ""),
        ("PortFound", 2, "tcp:", ""),
    ]
    gate = PortGate()
    passed = [out for event in events for out in gate.admit(event)]
    assert isinstance(passed[0], HostStarted)
    assert isinstance(passed[-1], HostFinished)


@pytest.mark.parametrize(
    ("port", "proto", "name"),
    [(80, "tcp", "http (80/tcp)"), (80, "tcp", ""), (0, "tcp", "http"), (53, "sctp", "domain")],
)
def test_a_plugin_cannot_give_a_name_no_port_line_could_carry(
    port: int, proto: str, name: str
) -> None:
    info = PluginInfo(
        id=91000200,
        filename="namer.py",
        name="Namer",
        family="Test",
        category=Category.GATHER_INFO,
        summary="Names",
        description="Names a service.",
        detects_services=True,
    )
    events: list[Event] = []
    kb = KnowledgeBase()
    ctx = HostContext(info=info, job=job([]), kb=kb, emit=events.append)
    with pytest.raises(ValueError, match="name"):
        ctx.name_service(port, proto, name)
    assert not events
    assert not list(kb.matching("ixion/service/*"))
