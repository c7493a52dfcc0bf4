"""One host's scan in-process (:class:`ixion.engine.host.HostScan`): the scheduler of spec §6.4
driving real plugin files, observed through the KB and the events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ixion.engine.events import (
    Event,
    Finding,
    HostFinished,
    HostStarted,
    PluginEnded,
    PluginStarted,
    Progress,
)
from ixion.engine.host import HostScan
from ixion.engine.job import HostJob
from ixion.engine.loader import load_plugins
from tests.engine.plugin_files import job, write_plugin

RECORD = "ctx.kb.add('order', ctx.info.filename)\nctx.note('ran')"


def scan(job_: HostJob) -> tuple[HostScan, list[Event]]:
    events: list[Event] = []
    host = HostScan(job_, load_plugins(job_.origins).all, events.append)
    asyncio.run(asyncio.wait_for(host.run(), 30))
    return host, events


def outcomes(events: list[Event]) -> dict[int, str]:
    return {e.plugin_id: e.outcome for e in events if isinstance(e, PluginEnded)}


def reported(events: list[Event]) -> set[int]:
    return {e.plugin_id for e in events if isinstance(e, Finding)}


def test_categories_and_dependencies_decide_the_order(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "attack", 4, RECORD, category="ATTACK", dependencies=("info.py",)),
        write_plugin(tmp_path, "info", 3, RECORD, dependencies=("late_info.py",)),
        write_plugin(tmp_path, "late_info", 5, RECORD),
        write_plugin(tmp_path, "scanner", 2, RECORD, category="SCANNER"),
        write_plugin(tmp_path, "init", 1, RECORD, category="INIT"),
        write_plugin(tmp_path, "end", 6, RECORD, category="END"),
    ]
    host, events = scan(job(origins, enabled={1, 2, 3, 4, 5, 6}))
    assert host.kb.values("order") == (
        "init.py",
        "scanner.py",
        "late_info.py",
        "info.py",
        "attack.py",
        "end.py",
    )
    assert isinstance(events[0], HostStarted)
    assert isinstance(events[-1], HostFinished)
    assert events[-1].reason == ""
    assert reported(events) == {1, 2, 3, 4, 5, 6}


def test_dependencies_are_enabled_silently(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "base", 1, "ctx.kb.add('base', 1)\nctx.add_port(1)\nctx.hole('x')"),
        write_plugin(
            tmp_path,
            "check",
            2,
            "ctx.warning(str(ctx.kb.get('base')))",
            dependencies=("base.py",),
            require_keys=("base",),
        ),
    ]
    _, events = scan(job(origins, enabled={2}))
    # The dependency ran (its KB item let the check run) but said nothing to the client.
    assert reported(events) == {2}
    assert [e.text for e in events if isinstance(e, Finding)] == ["1\nQuality of detection: 70%\n"]
    assert not any(
        getattr(e, "plugin_id", 0) == 1 and not isinstance(e, PluginEnded | PluginStarted)
        for e in events
    )

    _, loud = scan(job(origins, enabled={2}, silent_dependencies=False))
    assert reported(loud) == {1, 2}


def test_without_auto_enabling_a_disabled_dependency_is_skipped_unless_settings(
    tmp_path: Path,
) -> None:
    origins = [
        write_plugin(tmp_path, "gather", 1, RECORD),
        write_plugin(tmp_path, "settings", 2, RECORD, category="SETTINGS"),
        write_plugin(tmp_path, "check", 3, RECORD, dependencies=("gather.py", "settings.py")),
    ]
    host, events = scan(job(origins, enabled={3}, auto_enable_dependencies=False))
    assert host.kb.values("order") == ("settings.py", "check.py")
    assert outcomes(events)[1] == "skipped: disabled dependency"


def test_requirements_are_checked_at_launch_unless_optimize_test_is_off(tmp_path: Path) -> None:
    origins = [
        write_plugin(
            tmp_path, "setter", 1, "ctx.kb.add('present', 1)\nctx.kb.add('Services/www', 8080)"
        ),
        write_plugin(
            tmp_path, "needs_key", 2, RECORD, require_keys=("present",), dependencies=("setter.py",)
        ),
        write_plugin(tmp_path, "needs_missing", 3, RECORD, require_keys=("absent",)),
        write_plugin(
            tmp_path, "excluded", 4, RECORD, exclude_keys=("present",), dependencies=("setter.py",)
        ),
        write_plugin(
            tmp_path,
            "needs_www",
            5,
            RECORD,
            require_ports=("Services/www",),
            dependencies=("setter.py",),
        ),
        write_plugin(tmp_path, "needs_ftp", 6, RECORD, require_ports=("Services/ftp",)),
        write_plugin(tmp_path, "needs_port", 7, RECORD, require_ports=(1,)),
    ]
    every = {1, 2, 3, 4, 5, 6, 7}
    _, events = scan(job(origins, enabled=every))
    assert reported(events) == {2, 5, 7}  # port 1 counts as open: no port scanner ran
    assert outcomes(events)[3] == "skipped: required KB item absent is missing"
    assert outcomes(events)[4] == "skipped: excluded KB item present is set"
    assert outcomes(events)[6] == "skipped: none of the required tcp ports is open"

    _, unoptimized = scan(job(origins, enabled=every, optimize_test=False))
    assert reported(unoptimized) == {2, 3, 4, 5, 6, 7}


def test_a_scanned_host_has_only_the_ports_found_open(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "scanner", 1, "ctx.kb.add('Host/scanned', 1)", category="SCANNER"),
        write_plugin(tmp_path, "needs_port", 2, RECORD, require_ports=(1,)),
    ]
    _, events = scan(job(origins, enabled={1, 2}))
    assert outcomes(events)[2] == "skipped: none of the required tcp ports is open"


def test_safe_checks_skip_dangerous_plugins(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "destroy", 1, RECORD, category="DESTRUCTIVE_ATTACK"),
        write_plugin(tmp_path, "deny", 2, RECORD, category="DENIAL"),
        write_plugin(tmp_path, "mixed", 3, RECORD, category="MIXED_ATTACK"),
    ]
    _, events = scan(job(origins, enabled={1, 2, 3}))
    assert reported(events) == {3}
    assert outcomes(events)[1] == "skipped: safe checks are enabled"
    _, unsafe = scan(job(origins, enabled={1, 2, 3}, safe_checks=False))
    assert reported(unsafe) == {1, 2, 3}


def test_a_failing_or_slow_plugin_ends_alone(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "boom", 1, "raise ValueError('broken plugin')"),
        write_plugin(tmp_path, "slow", 2, "await asyncio.sleep(60)", timeout=1),
        write_plugin(tmp_path, "fine", 3, RECORD),
    ]
    _, events = scan(job(origins, enabled={1, 2, 3}))
    ends = outcomes(events)
    assert ends[1].startswith("error: ValueError('broken plugin')")
    assert ends[2] == "timeout after 1 s"
    assert ends[3] == "done"


def test_the_client_timeout_preference_overrides_the_plugin_s(tmp_path: Path) -> None:
    origins = [write_plugin(tmp_path, "slow", 7, "await asyncio.sleep(60)", timeout=100)]
    job_ = job(origins, enabled={7})
    job_ = HostJob(
        **{
            **{f: getattr(job_, f) for f in job_.__dataclass_fields__},
            "preferences": {"timeout.7": "1"},
        }
    )
    _, events = scan(job_)
    assert outcomes(events)[7] == "timeout after 1 s"


def test_max_checks_bounds_the_plugins_running_at_once(tmp_path: Path) -> None:
    body = """
    now = (ctx.kb.get('running') or 0) + 1
    ctx.kb.replace('running', now)
    ctx.kb.replace('most', max(now, ctx.kb.get('most') or 0))
    await asyncio.sleep(0.05)
    ctx.kb.replace('running', ctx.kb.get('running') - 1)
    """
    origins = [write_plugin(tmp_path, f"p{i}", i, body) for i in range(1, 9)]
    host, _ = scan(job(origins, enabled=set(range(1, 9)), max_checks=3))
    assert host.kb.get("most") == 3
    scanners = [write_plugin(tmp_path, f"s{i}", 10 + i, body, category="SCANNER") for i in range(3)]
    host, _ = scan(job(scanners, enabled={10, 11, 12}, max_checks=3))
    assert host.kb.get("most") == 1  # port scanners run one at a time


def test_a_dead_host_stops_its_scan(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "ping", 1, "ctx.kb.add('Host/dead', 1)", category="SCANNER"),
        write_plugin(tmp_path, "check", 2, RECORD),
    ]
    _, events = scan(job(origins, enabled={1, 2}))
    assert reported(events) == set()
    assert isinstance(events[-1], HostFinished)
    assert events[-1].reason == "the host is dead"


def test_attack_progress_is_reported(tmp_path: Path) -> None:
    origins = [write_plugin(tmp_path, f"p{i}", i, "pass") for i in range(1, 5)]
    _, events = scan(job(origins, enabled={1, 2, 3, 4}))
    progress = [(e.current, e.total) for e in events if isinstance(e, Progress)]
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
