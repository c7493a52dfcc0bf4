"""A real ixiond whose hosts are lost: the client is told, with an ERROR for each such host,
and no process of ixiond outlives it (issue 15, items 4 and 7).

ixiond scans loopback hosts serving a port this test opened (:class:`LoopbackBanners`) with
the TCP scanner and the hold plugin of :mod:`tests.server.loopback_scan`, which reads their
banners and then holds; a worker killed with SIGKILL, a worker that cannot start, a plugin
out of memory must each end as ``E004 - Scan of <host> failed: <why>`` before the host's
FINISHED and HOST_END, and in ixiond's log with the cause. A ``kill -9`` of ixiond mid-scan,
or while it describes its NASL scripts in a process pool, leaves none of its processes behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    Bye,
    ConnectionClosed,
    Error,
    Finished,
    Message,
    Port,
    Report,
    Time,
)
from tests.processes import children_of, tagged_processes, wait_until_gone
from tests.server.crash_harness import catalogue_run
from tests.server.keeping_harness import log_in
from tests.server.loopback_scan import LoopbackBanners, new_tag, order_scan, prepare, start_daemon
from tests.server.test_daemon import PATIENCE, free_port, wait_until_serving

HOG_ID: Final = 91000301
HOG_PLUGIN: Final = f"""\
import os, resource
from ixion.plugin_api.metadata import Category, PluginInfo
INFO = PluginInfo(id={HOG_ID}, filename="hog_check.py", name="Hog check", family="Test",
    category=Category.ATTACK, summary="wants all the memory", description="Allocates.")
async def run(ctx):
    used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (used + 64 * 2**20, resource.RLIM_INFINITY))
    held = []
    while True:
        held.append(bytearray(2**20))
"""

SPAWNER_ID: Final = 91000302
#: A plugin that starts a process of its own (as a NASL ``pread`` would), then waits.
SPAWNER_PLUGIN: Final = f"""\
import asyncio, os, subprocess
from ixion.plugin_api.metadata import Category, PluginInfo
INFO = PluginInfo(id={SPAWNER_ID}, filename="spawner_check.py", name="Spawner check",
    family="Test", category=Category.ATTACK, summary="starts a process", description="Spawns.")
async def run(ctx):
    child = subprocess.Popen(["sleep", "300"])
    with open(ctx.scan_preference("hold_marker") + ".spawned", "a") as marker:
        marker.write(f"{{os.getpid()}} {{child.pid}}\\n")
    await asyncio.sleep(300)
"""


@pytest.fixture
def banners() -> Iterator[LoopbackBanners]:
    with LoopbackBanners() as serving:
        yield serving


@contextlib.contextmanager
def daemon(config: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], str]]:
    """ixiond on a free port, tagged; killed at the end with whatever it started."""
    tag, port = new_tag(), free_port()
    proc = start_daemon(config, port, tag)
    try:
        wait_until_serving(port, proc)
        yield port, proc, tag
    finally:
        proc.kill()
        proc.wait(PATIENCE)
        for pid in wait_until_gone(tag, 5):  # only ever ours: they carry our tag
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def setup(tmp_path: Path) -> Path:
    config = prepare(tmp_path, scripts=0)
    plugins = tmp_path / "state" / "plugins"
    (plugins / "hog_check.py").write_text(HOG_PLUGIN)
    (plugins / "spawner_check.py").write_text(SPAWNER_PLUGIN)
    return config


def workers_of(proc: subprocess.Popen[bytes]) -> list[int]:
    return [w for z in children_of(proc.pid, "ixion.engine.zygote") for w in children_of(z)]


def lines(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def marked(marker: Path) -> dict[str, int]:
    """host -> pid of its worker, as the hold plugin wrote them."""
    return {host: int(pid) for pid, host in (line.split() for line in lines(marker))}


async def until_bye(client: ClientConnection, seen: list[Message]) -> None:
    while not isinstance(msg := await client.receive(patient=True), Bye):
        assert not isinstance(msg, ConnectionClosed), seen[-5:]
        seen.append(msg)


def host_errors(seen: list[Message]) -> dict[str, str]:
    errors = [m.text for m in seen if isinstance(m, Error) and m.text.startswith("E004 - ")]
    return {text.split()[4]: text for text in errors}


def host_order(seen: list[Message], host: str) -> list[str]:
    """What the client was told of ``host``, in order, in words."""
    words = []
    for msg in seen:
        if isinstance(msg, Error) and f" {host} " in msg.text:
            words.append("ERROR")
        elif getattr(msg, "host", None) != host:
            continue
        elif isinstance(msg, Port):
            words.append("PORT")
        elif isinstance(msg, Report):
            words.append("NOTE")
        elif isinstance(msg, Finished):
            words.append("FINISHED")
        elif isinstance(msg, Time):
            words.append(msg.kind.name)
    return words


def test_a_worker_killed_mid_scan_is_an_error_for_its_host(
    tmp_path: Path, banners: LoopbackBanners
) -> None:
    config = setup(tmp_path)
    marker = tmp_path / "marker"

    async def scenario(port: int, proc: subprocess.Popen[bytes]) -> tuple[list[Message], int]:
        client = await log_in(port)
        await order_scan(client, "127.0.0.1, 127.0.0.2", banners.port, marker, hold=2.0)
        seen: list[Message] = []
        reading = asyncio.create_task(until_bye(client, seen))
        while "127.0.0.1" not in marked(marker):  # noqa: ASYNC110 (a worker writes it)
            await asyncio.sleep(0.02)
        victim = marked(marker)["127.0.0.1"]
        assert victim in workers_of(proc)  # a worker of our ixiond: ours to kill
        os.kill(victim, signal.SIGKILL)
        await reading
        await client.close()
        return seen, victim

    with daemon(config) as (port, proc, _):
        seen, victim = asyncio.run(asyncio.wait_for(scenario(port, proc), 60))
    reason = "the worker died of signal 9 (SIGKILL)"
    assert host_errors(seen) == {"127.0.0.1": f"E004 - Scan of 127.0.0.1 failed: {reason}"}
    # The port was really scanned, then the host failed, then it ended as the protocol says.
    assert host_order(seen, "127.0.0.1") == [
        "HOST_START",
        "PORT",
        "ERROR",
        "FINISHED",
        "HOST_END",
    ]
    assert host_order(seen, "127.0.0.2") == ["HOST_START", "PORT", "NOTE", "FINISHED", "HOST_END"]
    log = (tmp_path / "ixiond.log").read_text()
    assert (
        f"127.0.0.1: the scan of this host failed: {reason} (worker {victim}, exit status -9)"
        in log
    )


def lowest_free_descriptor(pid: int) -> int:
    """With its limit of open files set to this, the process can open nothing more."""
    taken = {int(name) for name in os.listdir(f"/proc/{pid}/fd")}
    return next(fd for fd in range(len(taken) + 1) if fd not in taken)


def test_a_worker_that_cannot_start_is_an_error_and_the_next_scan_is_whole(
    tmp_path: Path, banners: LoopbackBanners
) -> None:
    """ixiond's fork server at its limit of open files cannot take a worker's socket."""
    config = setup(tmp_path)
    marker = tmp_path / "marker"

    async def scan(port: int) -> list[Message]:
        client = await log_in(port)
        await order_scan(client, "127.0.0.1", banners.port, marker, hold=0)
        seen: list[Message] = []
        await until_bye(client, seen)
        await client.close()
        return seen

    with daemon(config) as (port, proc, _):
        assert not host_errors(asyncio.run(scan(port)))  # and the fork server is serving
        (zygote,) = children_of(proc.pid, "ixion.engine.zygote")
        usual = resource.prlimit(zygote, resource.RLIMIT_NOFILE)
        resource.prlimit(zygote, resource.RLIMIT_NOFILE, (lowest_free_descriptor(zygote), usual[1]))
        starved = asyncio.run(scan(port))
        resource.prlimit(zygote, resource.RLIMIT_NOFILE, usual)
        fed = asyncio.run(scan(port))
        assert children_of(proc.pid, "ixion.engine.zygote") == [zygote]
    why = "the fork server did not receive the worker's socket (too many open files)"
    assert host_errors(starved) == {
        "127.0.0.1": f"E004 - Scan of 127.0.0.1 failed: no worker could be started: {why}"
    }
    assert host_order(starved, "127.0.0.1") == ["ERROR", "FINISHED", "HOST_END"]
    assert host_order(fed, "127.0.0.1") == ["HOST_START", "PORT", "NOTE", "FINISHED", "HOST_END"]
    assert (
        f"127.0.0.1: the scan of this host failed: no worker could be started: {why}"
        in (tmp_path / "ixiond.log").read_text()
    )


def test_a_plugin_out_of_memory_is_an_error_for_its_host(
    tmp_path: Path, banners: LoopbackBanners
) -> None:
    config = setup(tmp_path)

    async def scenario(port: int) -> list[Message]:
        client = await log_in(port)
        await order_scan(
            client, "127.0.0.1", banners.port, tmp_path / "m", plugins=(HOG_ID,), hold=0
        )
        seen: list[Message] = []
        await until_bye(client, seen)
        await client.close()
        return seen

    with daemon(config) as (port, _, _):
        seen = asyncio.run(asyncio.wait_for(scenario(port), 60))
    reason = f"plugin {HOG_ID} ran out of memory"
    assert host_errors(seen) == {"127.0.0.1": f"E004 - Scan of 127.0.0.1 failed: {reason}"}
    # The other plugins ran: the host's end comes after what they found.
    assert host_order(seen, "127.0.0.1") == [
        "HOST_START",
        "PORT",
        "NOTE",
        "ERROR",
        "FINISHED",
        "HOST_END",
    ]
    log = (tmp_path / "ixiond.log").read_text()
    assert f"127.0.0.1: the scan of this host failed: {reason} (worker " in log


def test_ixion_scan_shows_a_failed_host_as_failed(tmp_path: Path, banners: LoopbackBanners) -> None:
    """``ixion scan`` runs ixiond's scan in its own process tree: same events, same error."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hog_check.py").write_text(HOG_PLUGIN)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ixion"), "scan", "127.0.0.1", "-p", str(banners.port),
         "--plugins", f"10335,{HOG_ID}", "--plugins-dir", str(plugins), "-o", "report.txt"],
        cwd=tmp_path,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    reason = f"failed: plugin {HOG_ID} ran out of memory"
    assert f"ixion: E004 - Scan of 127.0.0.1 {reason}" in done.stderr
    assert re.search(rf"127\.0\.0\.1\s+{reason}\s+\S+\s+1\s", done.stderr), done.stderr


def test_kill_9_of_ixiond_mid_scan_leaves_none_of_its_processes(
    tmp_path: Path, banners: LoopbackBanners
) -> None:
    config = setup(tmp_path)
    marker = tmp_path / "marker"
    spawned = Path(f"{marker}.spawned")

    async def scenario(port: int, proc: subprocess.Popen[bytes], tag: str) -> list[int]:
        client = await log_in(port)
        await order_scan(
            client, "127.0.0.1, 127.0.0.2", banners.port, marker, plugins=(SPAWNER_ID,), hold=60
        )
        while len(lines(spawned)) < 2:  # noqa: ASYNC110 (the workers write it)
            await asyncio.sleep(0.05)
        alive = tagged_processes(tag)
        proc.kill()  # ixiond, with two workers, their processes and its fork server running
        with contextlib.suppress(OSError, ConnectionError):
            await client.close()
        return alive

    with daemon(config) as (port, proc, tag):
        alive = asyncio.run(asyncio.wait_for(scenario(port, proc, tag), 60))
        proc.wait(PATIENCE)
        left = wait_until_gone(tag, 10)
    grandchildren = [int(line.split()[1]) for line in lines(spawned)]
    assert set(grandchildren) <= set(alive)
    assert len(alive) >= 6  # ixiond, its fork server, two workers, the two processes they started
    assert left == [], f"still running after ixiond was killed: {left}"


def test_kill_9_of_ixiond_during_its_catalogue_build_leaves_none_of_its_processes(
    tmp_path: Path,
) -> None:
    """The NASL scripts are described in a pool of processes when the cache is cold."""
    config = prepare(tmp_path)
    tally = catalogue_run(config, after=0.2)
    assert tally.killed_mid_build == 1, tally.problems
    assert tally.orphans == 0, tally.problems
