"""``kill -9`` of the daemon at random moments of a saved scan, then a restore, over and over
(seeded): nothing a client was shown is ever lost, no host finishes twice, the store always
opens. The longer version, with more runs and moments, is ``bench/session_crash.py``.

The scans use the reporting plugins of :mod:`tests.server.keeping_harness` on four loopback
hosts: no target receives any traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Final

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    Bye,
    ConnectionClosed,
    LongAttack,
    Message,
    Port,
    Report,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
    Time,
    TimeKind,
)
from tests.server.keeping_harness import (
    HOSTS,
    keeping_daemon,
    log_in,
    scan,
    scan_preferences,
    set_preferences,
)
from tests.server.test_daemon import PATIENCE, free_port, running

#: Kills per run of the test (at least 20), and the seed of their moments; the bench's longer
#: version sets both through the environment.
RUNS: Final = max(20, int(os.environ.get("IXION_CRASH_RUNS", "20")))
SEED: Final = int(os.environ.get("IXION_CRASH_SEED", "20261207"))
FINDINGS: Final = 6


def results(seen: list[Message]) -> Counter[Message]:
    """What a report is made of: ports and findings (timestamps and progress aside)."""
    return Counter(m for m in seen if isinstance(m, Port | Report))


def ended(seen: list[Message]) -> Counter[str]:
    return Counter(
        m.host or "" for m in seen if isinstance(m, Time) and m.kind is TimeKind.HOST_END
    )


async def scan_until_killed(
    port: int, proc: subprocess.Popen[bytes], after: float
) -> list[Message]:
    """Start a saved scan, kill the daemon ``after`` seconds later; what the client got."""
    client = await log_in(port)
    items = scan_preferences(
        save_session="yes",
        max_hosts="2",
        stream_count=str(FINDINGS),
        stream_delay="0.12",
    )
    await set_preferences(client, items)
    await client.send(LongAttack(targets=", ".join(HOSTS)))
    seen: list[Message] = []

    async def read() -> None:
        while not isinstance(msg := await client.receive(), ConnectionClosed):
            seen.append(msg)

    reading = asyncio.create_task(read())
    await asyncio.sleep(after)
    proc.kill()
    await asyncio.sleep(0.2)  # whatever was in flight arrives, or not
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
        await reading
    with contextlib.suppress(OSError, ConnectionError):
        await client.close()
    return seen


async def restore_newest(port: int, known: set[str]) -> tuple[str | None, list[Message]]:
    client: ClientConnection = await log_in(port)
    await client.send(SessionsListRequest())
    listing = await client.receive()
    assert isinstance(listing, SessionsList)
    new = [entry.id for entry in listing.sessions if entry.id not in known]
    if not new:
        await client.close()
        return None, []
    (name,) = new
    items = scan_preferences(save_session="no", stream_count=str(FINDINGS), stream_delay="0")
    restored = await scan(client, "", items, SessionRestore(session_id=name))
    await client.close()
    return name, restored


def test_kill_9_at_random_moments_loses_nothing_the_client_was_shown(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    moments = random.Random(SEED)
    known: set[str] = set()
    restored_runs = cut_short = 0
    for run in range(RUNS):
        after = moments.uniform(0.05, 2.0)
        port = free_port()
        with running(config, port, start_new_session=True) as proc:
            before = asyncio.run(asyncio.wait_for(scan_until_killed(port, proc, after), 60))
            proc.wait(PATIENCE)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # its fork server and workers: ours
        port = free_port()
        with running(config, port):  # the store opens after every crash
            name, restored = asyncio.run(asyncio.wait_for(restore_newest(port, known), 60))
        context = f"run {run}, killed after {after:.2f} s"
        if name is None:  # killed before the session existed: nothing was shown either
            assert not results(before), context
            continue
        known.add(name)
        restored_runs += 1
        cut_short += ended(before) != Counter(HOSTS)
        # Every result the client had before the kill is in the restored session...
        missing = results(before) - results(restored)
        assert not missing, (context, missing)
        # ...no host finishes twice, and every host is finished by the restore.
        assert ended(restored) == Counter(HOSTS), context
        # Each host's findings once: replayed ones are not repeated by plugins run again.
        per_host = Counter(m.host for m in results(restored).elements() if isinstance(m, Report))
        assert per_host == Counter(dict.fromkeys(HOSTS, FINDINGS + 1)), context
    # Most kills land in the middle of the scan, not before it or after it.
    assert restored_runs >= RUNS // 2
    assert cut_short >= RUNS // 2


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def test_a_killed_worker_leaves_its_host_unfinished_in_the_session_and_a_restore_ends_it(
    tmp_path: Path,
) -> None:
    config = keeping_daemon(tmp_path)
    marker = tmp_path / "runs"
    port = free_port()

    async def scenario(proc: subprocess.Popen[bytes]) -> tuple[list[Message], list[Message]]:
        client = await log_in(port)
        items = scan_preferences(
            marker, save_session="yes", stream_count=str(FINDINGS), stream_delay="0.3"
        )
        await set_preferences(client, items)
        await client.send(LongAttack(targets="127.0.0.1"))
        seen: list[Message] = []
        while len([m for m in seen if isinstance(m, Report)]) < 2:
            seen.append(await asyncio.wait_for(client.receive(), PATIENCE))
        (fork_server,) = _children(proc.pid)
        (worker,) = _children(fork_server)
        os.kill(worker, signal.SIGKILL)
        while not isinstance(msg := await asyncio.wait_for(client.receive(), PATIENCE), Bye):
            seen.append(msg)
        await client.send(SessionsListRequest())
        listing = await client.receive()
        assert isinstance(listing, SessionsList)
        (entry,) = listing.sessions
        again = scan_preferences(marker, save_session="no", stream_delay="0")
        restored = await scan(client, "", again, SessionRestore(session_id=entry.id))
        await client.close()
        return seen, restored

    with running(config, port) as proc:
        seen, restored = asyncio.run(asyncio.wait_for(scenario(proc), 60))
    assert sum(isinstance(m, Report) for m in seen) < FINDINGS
    assert not (results(seen) - results(restored))
    assert ended(restored) == Counter(["127.0.0.1"])
    assert sum(isinstance(m, Report) for m in restored) == FINDINGS + 1
    assert marker.read_text().count("stream 127.0.0.1") == 2  # the host was scanned again
