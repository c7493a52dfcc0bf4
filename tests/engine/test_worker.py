"""Hosts scanned in worker processes forked by the fork server: isolation, timeouts that fire
on code that never yields, crashes, stops, and the daemon's loop staying free meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ixion.engine import worker
from ixion.engine.events import Event, Finding, HostFinished, HostStarted
from ixion.engine.job import HostJob
from ixion.engine.scan import Scan
from ixion.engine.worker import ForkServer, HostWorker
from tests.engine.plugin_files import job, write_plugin


async def _each(jobs: list[HostJob]) -> AsyncIterator[HostJob]:
    for item in jobs:
        yield item


def run_scan(
    jobs: list[HostJob], *, max_hosts: int = 10, during: object = None, limit: float = 60
) -> list[Event]:
    """Scan ``jobs`` through a fresh fork server; every event, in order."""

    async def main() -> list[Event]:
        server = ForkServer()
        events: list[Event] = []
        try:
            scan = Scan(_each(jobs), max_hosts=max_hosts, runner=lambda j: HostWorker(j, server))
            async with asyncio.timeout(limit):
                async for event in scan.events():
                    events.append(event)
                    if callable(during):
                        during(scan, event)
        finally:
            await server.close()
        return events

    return asyncio.run(main())


def finished(events: list[Event]) -> dict[str, str]:
    """host -> why it ended early; a failure's reason starts with ``failed:``."""
    ends = [e for e in events if isinstance(e, HostFinished)]
    assert len(ends) == len({e.host for e in ends}), "one HostFinished per host"
    return {e.host: f"failed: {e.reason}" if e.failed else e.reason for e in ends}


def test_every_host_is_scanned_once_and_max_hosts_holds(tmp_path: Path) -> None:
    origins = [write_plugin(tmp_path, "hi", 1, "await asyncio.sleep(0.2)\nctx.note(ctx.host)")]
    jobs = [job(origins, host=f"host-{i}", enabled={1}) for i in range(6)]
    events = run_scan(jobs, max_hosts=2)
    assert finished(events) == {f"host-{i}": "" for i in range(6)}
    assert sorted(e.text for e in events if isinstance(e, Finding)) == sorted(
        f"host-{i}\nQuality of detection: 70%\n" for i in range(6)
    )
    alive = most = 0
    for event in events:
        alive += isinstance(event, HostStarted)
        alive -= isinstance(event, HostFinished)
        most = max(most, alive)
    assert most == 2


def test_a_spinning_plugin_is_interrupted_and_the_others_go_on(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "spin", 1, "while True:\n    pass", timeout=1),
        write_plugin(tmp_path, "after", 2, "ctx.note('still here')", dependencies=("spin.py",)),
    ]
    quick = [write_plugin(tmp_path, "quick", 3, "ctx.note('quick')")]
    events = run_scan(
        [job(origins, host="spinner", enabled={1, 2}), job(quick, host="other", enabled={3})]
    )
    assert finished(events) == {"spinner": "", "other": ""}
    notes = [(e.host, e.text) for e in events if isinstance(e, Finding)]
    assert ("spinner", "still here\nQuality of detection: 70%\n") in notes
    # The other host was not held up by the spinning one.
    order = [e.host for e in events if isinstance(e, HostFinished)]
    assert order == ["other", "spinner"]


def test_the_daemon_loop_keeps_running_while_a_plugin_spins(tmp_path: Path) -> None:
    origins = [write_plugin(tmp_path, "spin", 1, "while True:\n    pass", timeout=2)]

    async def main() -> int:
        server = ForkServer()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        clock = asyncio.create_task(ticker())
        try:
            scan = Scan(
                _each([job(origins, enabled={1})]),
                max_hosts=1,
                runner=lambda j: HostWorker(j, server),
            )
            async for _ in scan.events():
                pass
        finally:
            clock.cancel()
            await server.close()
        return ticks

    # About 60 ticks in 3 s; a loop blocked by the plugin would see almost none.
    assert asyncio.run(main()) > 20


def test_a_plugin_that_blocks_signals_gets_its_worker_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "HARD_KILL_GRACE", 1.0)
    body = "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\ntime.sleep(60)"
    origins = [write_plugin(tmp_path, "stuck", 5, body, timeout=1)]
    events = run_scan([job(origins, enabled={5})], limit=30)
    assert finished(events) == {
        "127.0.0.1": "failed: killed: plugin 5 did not stop at its time limit"
    }


def test_a_crashing_worker_ends_its_host_only(tmp_path: Path) -> None:
    crash = [
        write_plugin(
            tmp_path, "crash", 1, "ctx.note('before')\nos.kill(os.getpid(), signal.SIGSEGV)"
        )
    ]
    fine = [write_plugin(tmp_path, "fine", 2, "await asyncio.sleep(0.5)\nctx.note('fine')")]
    events = run_scan(
        [job(crash, host="crasher", enabled={1}), job(fine, host="fine", enabled={2})]
    )
    assert finished(events) == {
        "crasher": "failed: the worker died of signal 11 (SIGSEGV)",
        "fine": "",
    }
    assert {(e.host, e.text) for e in events if isinstance(e, Finding)} == {
        ("crasher", "before\nQuality of detection: 70%\n"),
        ("fine", "fine\nQuality of detection: 70%\n"),
    }


def test_a_host_can_be_stopped(tmp_path: Path) -> None:
    origins = [write_plugin(tmp_path, "slow", 1, "ctx.note('started')\nawait asyncio.sleep(60)")]

    def stop_when_started(scan: Scan, event: Event) -> None:
        if isinstance(event, Finding):
            assert scan.stop_host(event.host)

    events = run_scan([job(origins, enabled={1})], during=stop_when_started, limit=20)
    assert finished(events) == {"127.0.0.1": "stopped by the user"}
