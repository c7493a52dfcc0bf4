"""Hosts whose scan is lost say so: a worker killed from outside, out of memory, exiting without
its host's end, or never started ends its host as *failed*, with the cause; and no process the
engine started outlives the process that runs it, even one killed with SIGKILL.

The plugins here open no socket: the hosts are names on 127.0.0.1 that no packet is sent to.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from ixion.engine.events import Event, Finding
from ixion.engine.job import HostJob
from ixion.engine.scan import Scan
from ixion.engine.worker import ForkServer, HostWorker
from tests.engine.plugin_files import job, write_plugin
from tests.engine.test_worker import finished, run_scan
from tests.processes import children_of, tagged_processes, wait_until_gone

#: A plugin that says which process scans its host (``<pid> <host>`` in a marker file), then
#: waits long enough to be killed in the middle of the scan.
HOLD = """\
with open(ctx.scan_preference("marker"), "a") as marker:
    marker.write(f"{os.getpid()} {ctx.host}\\n")
await asyncio.sleep(float(ctx.scan_preference("hold") or 30))
ctx.note("held")
"""

#: A plugin that limits its worker's address space, then allocates until it no longer can.
HOG = """\
import resource
used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (used + 64 * 2**20, resource.RLIM_INFINITY))
held = []
while True:
    held.append(bytearray(2**20))
"""


def marker_pids(marker: Path) -> dict[str, int]:
    lines = marker.read_text().splitlines() if marker.exists() else []
    return {host: int(pid) for pid, host in (line.split() for line in lines)}


def test_a_worker_killed_from_outside_fails_its_host_with_the_signal(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    hold = [write_plugin(tmp_path, "hold", 1, HOLD)]
    quick = [write_plugin(tmp_path, "quick", 2, "await asyncio.sleep(0.5)\nctx.note('quick')")]
    jobs = [
        replace(job(hold, host="victim", enabled={1}), preferences={"marker": str(marker)}),
        job(quick, host="bystander", enabled={2}),
    ]
    killed: list[int] = []

    def kill_when_holding() -> None:
        pid = marker_pids(marker).get("victim")
        if pid is not None and not killed:
            os.kill(pid, signal.SIGKILL)  # the victim's worker: a child of our fork server
            killed.append(pid)

    async def main() -> list[Event]:
        server = ForkServer()
        scan = Scan(_each(jobs), max_hosts=2, runner=lambda j: HostWorker(j, server))

        async def poll() -> None:
            while True:
                await asyncio.sleep(0.05)
                kill_when_holding()

        poller = asyncio.create_task(poll())
        try:
            async with asyncio.timeout(60):
                return [event async for event in scan.events()]
        finally:
            poller.cancel()
            await server.close()

    events = asyncio.run(main())
    assert killed
    assert finished(events) == {
        "victim": "failed: the worker died of signal 9 (SIGKILL)",
        "bystander": "",
    }


async def _each(jobs: list[HostJob]) -> AsyncIterator[HostJob]:
    for item in jobs:
        yield item


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("os._exit(7)", "the worker failed (exit status 7)"),
        ("os._exit(0)", "the worker ended early"),
        ("os.kill(os.getpid(), signal.SIGABRT)", "the worker died of signal 6 (SIGABRT)"),
    ],
)
def test_a_worker_ending_without_its_host_s_end_fails_the_host(
    tmp_path: Path, body: str, reason: str
) -> None:
    origins = [write_plugin(tmp_path, "leave", 3, f"ctx.note('before')\n{body}")]
    events = run_scan([job(origins, enabled={3})])
    assert finished(events) == {"127.0.0.1": f"failed: {reason}"}
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "before\nQuality of detection: 70%\n"
    ]


def test_a_plugin_out_of_memory_fails_its_host_and_the_others_still_run(tmp_path: Path) -> None:
    origins = [
        write_plugin(tmp_path, "hog", 4, HOG),
        write_plugin(tmp_path, "after", 5, "ctx.note('after')", dependencies=("hog.py",)),
    ]
    events = run_scan([job(origins, enabled={4, 5})])
    assert finished(events) == {"127.0.0.1": "failed: plugin 4 ran out of memory"}
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "after\nQuality of detection: 70%\n"
    ]


def lowest_free_descriptor(pid: int) -> int:
    """With its limit of open files set to this, the process can open nothing more."""
    taken = {int(name) for name in os.listdir(f"/proc/{pid}/fd")}
    return next(fd for fd in range(len(taken) + 1) if fd not in taken)


def test_a_worker_that_cannot_start_fails_its_host_and_the_server_goes_on(
    tmp_path: Path,
) -> None:
    """At its limit of open files the fork server cannot even receive a worker's socket."""
    origins = [write_plugin(tmp_path, "hi", 6, "ctx.note(ctx.host)")]

    async def main() -> tuple[list[Event], list[Event]]:
        server = ForkServer()
        try:
            assert finished(await collect(server, [job(origins, enabled={6})])) == {
                "127.0.0.1": ""
            }  # it is serving
            (zygote,) = children_of(os.getpid(), "ixion.engine.zygote")
            usual = resource.prlimit(zygote, resource.RLIMIT_NOFILE)
            resource.prlimit(
                zygote, resource.RLIMIT_NOFILE, (lowest_free_descriptor(zygote), usual[1])
            )
            starved = await collect(server, [job(origins, host="starved", enabled={6})])
            resource.prlimit(zygote, resource.RLIMIT_NOFILE, usual)
            fed = await collect(server, [job(origins, host="fed", enabled={6})])
            assert children_of(os.getpid(), "ixion.engine.zygote") == [zygote]  # the same one
        finally:
            await server.close()
        return starved, fed

    starved, fed = asyncio.run(asyncio.wait_for(main(), 60))
    assert finished(starved) == {
        "starved": "failed: no worker could be started: the fork server did not receive the "
        "worker's socket (too many open files)"
    }
    assert not [e for e in starved if isinstance(e, Finding)]
    assert finished(fed) == {"fed": ""}


async def collect(server: ForkServer, jobs: list[HostJob]) -> list[Event]:
    scan = Scan(_each(jobs), max_hosts=1, runner=lambda j: HostWorker(j, server))
    return [event async for event in scan.events()]


#: A process that runs a scan through a fork server as the daemon does, whose worker starts a
#: process of its own (as a NASL ``pread`` would); it prints the worker's pid once it holds.
SCANNER_PROCESS = """\
import asyncio, sys
from dataclasses import replace
from ixion.engine.scan import Scan
from ixion.engine.worker import ForkServer, HostWorker
from tests.engine.plugin_files import job

async def jobs():
    yield replace(job([sys.argv[1]], enabled={7}), preferences={"marker": sys.argv[2]})

async def main():
    server = ForkServer()
    scan = Scan(jobs(), max_hosts=1, runner=lambda j: HostWorker(j, server))
    async for event in scan.events():
        pass

asyncio.run(main())
"""

SPAWNER = """\
import subprocess
child = subprocess.Popen(["sleep", "300"])
with open(ctx.scan_preference("marker"), "a") as marker:
    marker.write(f"{os.getpid()} {child.pid}\\n")
await asyncio.sleep(300)
"""


@pytest.mark.parametrize("victim", ["scanner", "fork server"])
def test_nothing_outlives_a_process_killed_with_sigkill(tmp_path: Path, victim: str) -> None:
    """Kill -9 the process running the scan (the daemon's place), or its fork server: every
    process started for it ends, down to what a plugin started."""
    origin = write_plugin(tmp_path, "spawner", 7, SPAWNER)
    marker = tmp_path / "marker"
    tag = f"host-failures-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "IXION_TEST_TAG": tag}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", SCANNER_PROCESS, origin, str(marker)], env=env, cwd=root
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() or not marker.read_text().endswith("\n"):
            assert proc.poll() is None, "the scanner ended early"
            assert time.monotonic() < deadline, "the worker never started its process"
            time.sleep(0.05)
        worker, grandchild = map(int, marker.read_text().split())
        (zygote,) = children_of(proc.pid, "ixion.engine.zygote")
        assert {worker, grandchild, zygote} <= set(tagged_processes(tag))
        os.kill(proc.pid if victim == "scanner" else zygote, signal.SIGKILL)
        proc.wait(10)
        left = wait_until_gone(tag, 10)
        assert left == [], f"still running after the kill: {left}"
    finally:
        for pid in [proc.pid, *tagged_processes(tag)]:  # only ever ours: they carry our tag
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(10)
