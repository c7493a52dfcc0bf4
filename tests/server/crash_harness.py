"""``kill -9`` of a real ixiond and of its workers at random moments, and what must hold after.

One *scan run*: ixiond (its own subprocess, tagged as :mod:`tests.processes` explains) scans
four loopback hosts, each serving a TCP port the harness opened (:class:`LoopbackBanners`),
with an attached file; the harness kills one or two host workers with SIGKILL in the middle
of their host, then ixiond itself with SIGKILL; then it restarts ixiond on the same state
directory. One *catalogue run*: ixiond starts with its NASL description cache deleted, so it
describes the plugins folder's scripts in a process pool, and is killed with SIGKILL during
that. The moments come from a seeded :class:`random.Random`. What is counted
(:class:`Tally`):

* every host whose worker was killed while ixiond lived must reach the client as an ERROR
  for that host (``E004 - Scan of <host> failed: ...``) before the host's end, and no other
  host may get one;
* no process the killed ixiond started may be alive a few seconds later (*orphans*);
* no attached file may be left in ``<state_dir>/tmp`` once ixiond restarted.

The scans are :mod:`tests.server.loopback_scan`'s: its plugin connects to the hosts' open
ports (the ports the harness opened, as the TCP scanner found them) and then holds for a while,
writing which process scans which host to a marker file: a worker is killed only while its
plugin holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Final, TypeGuard

from ixion.client.connection import ClientConnection
from ixion.ntp import ConnectionClosed, Error, Finished, Message, Port, Time, TimeKind
from tests.processes import children_of, wait_until_gone
from tests.server.keeping_harness import log_in
from tests.server.loopback_scan import (
    HOLD,
    HOSTS,
    LoopbackBanners,
    new_tag,
    order_scan,
    prepare,
    start_daemon,
)
from tests.server.test_daemon import PATIENCE, free_port, wait_until_serving

__all__ = ["Tally", "catalogue_run", "crash_runs"]

#: Seconds into the catalogue build within which ixiond is killed.
BUILD_KILL_WITHIN: Final = 0.4
#: Every catalogue run comes after this many scan runs.
CATALOGUE_EVERY: Final = 4
#: Seconds the processes of a killed ixiond have to end before they count as orphans.
ORPHAN_GRACE: Final = 10.0


@dataclass
class Tally:
    """What the runs found; the crash test wants the counts of failures at zero."""

    scan_runs: int = 0
    catalogue_runs: int = 0
    #: Workers killed in the middle of their host while ixiond lived.
    hosts_killed: int = 0
    #: Of those, hosts the client was sent an ERROR for, before the host's end.
    hosts_reported: int = 0
    #: ERRORs for hosts whose worker nobody killed.
    false_errors: int = 0
    #: Scan runs where ixiond was killed before the scan's end (SCAN_END not seen).
    killed_mid_scan: int = 0
    #: Catalogue runs where describing processes were alive at the kill.
    killed_mid_build: int = 0
    #: Open ports the clients were told of (each host serves one the harness opened).
    ports_found: int = 0
    #: Processes of a killed (or stopped) ixiond still alive after :data:`ORPHAN_GRACE`.
    orphans: int = 0
    #: Attached files the kill left in ``<state_dir>/tmp``, and those still there once
    #: ixiond restarted.
    files_after_kill: int = 0
    leftover_files: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            setattr(self, item.name, mine + theirs)

    @property
    def runs(self) -> int:
        return self.scan_runs + self.catalogue_runs


def crash_runs(folder: Path, *, runs: int, seed: int) -> Tally:
    """``runs`` runs (every :data:`CATALOGUE_EVERY` th a catalogue run), moments from ``seed``."""
    config = prepare(folder)
    moments = random.Random(seed)
    tally = Tally()
    with LoopbackBanners() as banners:
        for run in range(runs):
            if run % CATALOGUE_EVERY == CATALOGUE_EVERY - 1:
                # The pool describes the 1,500 scripts in about a second, less on a quiet
                # machine (one CI run saw it end before a kill 1.5 s in): kill early in it.
                tally.add(catalogue_run(config, moments.uniform(0.0, BUILD_KILL_WITHIN)))
            else:
                tally.add(scan_run(config, moments, banners.port, run))
    return tally


# --- one daemon -------------------------------------------------------------------------------


def count_orphans(tag: str, tally: Tally, when: str) -> None:
    """Processes of ``tag`` left after the grace: counted, reported, and killed (ours)."""
    left = wait_until_gone(tag, ORPHAN_GRACE)
    if left:
        tally.orphans += len(left)
        names = [_command(pid) for pid in left]
        tally.problems.append(f"{when}: {len(left)} processes left: {names}")
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _command(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()[:100].replace(b"\0", b" ").decode()
    return "(gone)"


def attached_files(config: Path) -> int:
    directory = config.parent / "state" / "tmp"
    return sum(1 for entry in directory.iterdir() if entry.is_file()) if directory.exists() else 0


def restart_and_count_leftovers(config: Path, tally: Tally) -> None:
    """Start ixiond again on the state the kill left; its attached files must be gone."""
    tally.files_after_kill += attached_files(config)
    tag, port = new_tag(), free_port()
    proc = start_daemon(config, port, tag)
    try:
        wait_until_serving(port, proc)
        left = attached_files(config)
        tally.leftover_files += left
        if left:
            tally.problems.append(f"{left} attached files left after the restart")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(PATIENCE)
    count_orphans(tag, tally, "after a clean stop")


# --- a scan run -------------------------------------------------------------------------------


def scan_run(config: Path, moments: random.Random, banner_port: int, run: int) -> Tally:
    tally = Tally(scan_runs=1)
    marker = config.parent / f"hold-{run}"
    victims = moments.sample(HOSTS, moments.choice((1, 1, 2)))
    delays = {host: moments.uniform(0.05, 0.7 * HOLD) for host in victims}
    daemon_after = moments.uniform(0.0, 4.0)
    tag, port = new_tag(), free_port()
    proc = start_daemon(config, port, tag)
    try:
        wait_until_serving(port, proc)
        scan = CrashScan(proc, marker, banner_port, delays, daemon_after)
        seen, killed = asyncio.run(asyncio.wait_for(scan.run(port), 120))
    finally:
        proc.kill()
        proc.wait(PATIENCE)
    judge(seen, killed, tally)
    count_orphans(tag, tally, f"run {run}, ixiond killed")
    restart_and_count_leftovers(config, tally)
    return tally


def judge(seen: list[Message], killed: set[str], tally: Tally) -> None:
    tally.hosts_killed += len(killed)
    errors = {m.text.split()[4]: i for i, m in enumerate(seen) if _host_error(m)}
    for host in killed:
        end = next((i for i, m in enumerate(seen) if _host_end(m, host)), None)
        if host in errors and end is not None and errors[host] < end:
            tally.hosts_reported += 1
        else:
            tally.problems.append(f"{host} was killed but not reported as an error")
    for host in set(errors) - killed:
        tally.false_errors += 1
        tally.problems.append(f"an error for {host}, whose worker nobody killed")
    if not any(isinstance(m, Time) and m.kind is TimeKind.SCAN_END for m in seen):
        tally.killed_mid_scan += 1
    tally.ports_found += sum(isinstance(m, Port) for m in seen)


def _host_error(msg: Message) -> TypeGuard[Error]:
    return isinstance(msg, Error) and msg.text.startswith("E004 - Scan of ")


def _host_end(msg: Message, host: str) -> bool:
    """FINISHED, or the HOST_END time, of ``host``: the host's end (spec §3.6)."""
    ended = isinstance(msg, Time) and msg.kind is TimeKind.HOST_END
    return (isinstance(msg, Finished) or ended) and getattr(msg, "host", None) == host


class CrashScan:
    """One client's scan while workers, then ixiond, are killed."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        marker: Path,
        banner_port: int,
        delays: dict[str, float],
        daemon_after: float,
    ) -> None:
        """``delays``: host -> seconds into its hold when its worker is killed; ixiond is
        killed ``daemon_after`` seconds after those hosts were reported."""
        self._proc = proc
        self._marker = marker
        self._banner_port = banner_port
        self._delays = delays
        self._daemon_after = daemon_after
        self.seen: list[Message] = []
        self.killed: set[str] = set()

    async def run(self, port: int) -> tuple[list[Message], set[str]]:
        client = await log_in(port)
        await self._order(client)
        reader = asyncio.create_task(self._read(client))
        killers = [self._kill_worker(host, delay) for host, delay in self._delays.items()]
        await asyncio.wait_for(asyncio.gather(*killers), 60)
        # The hosts killed are reported before the daemon is killed: that is what is measured.
        deadline = time.monotonic() + 15
        while not self._reported() and not reader.done() and time.monotonic() < deadline:  # noqa: ASYNC110 (a socket's reader fills it)
            await asyncio.sleep(0.05)
        await asyncio.sleep(self._daemon_after)
        self._proc.kill()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader, PATIENCE)
        with contextlib.suppress(OSError, ConnectionError):
            await client.close()
        return self.seen, self.killed

    async def _order(self, client: ClientConnection) -> None:
        await order_scan(client, ", ".join(HOSTS), self._banner_port, self._marker)

    async def _read(self, client: ClientConnection) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while not isinstance(msg := await client.receive(patient=True), ConnectionClosed):
                self.seen.append(msg)

    def _reported(self) -> bool:
        reported = {m.text.split()[4] for m in self.seen if _host_error(m)}
        return self.killed <= reported

    async def _kill_worker(self, host: str, delay: float) -> None:
        """Kill the worker of ``host`` ``delay`` seconds into its hold."""
        while (pid := self._worker_of(host)) is None:  # noqa: ASYNC110 (another process writes it)
            await asyncio.sleep(0.02)
        await asyncio.sleep(delay)
        if pid in self._workers():  # a worker of our ixiond, still there: ours to kill
            os.kill(pid, signal.SIGKILL)
            self.killed.add(host)

    def _worker_of(self, host: str) -> int | None:
        lines = self._marker.read_text().splitlines() if self._marker.exists() else []
        return next((int(p) for p, h in (line.split() for line in lines) if h == host), None)

    def _workers(self) -> list[int]:
        return [
            worker
            for zygote in children_of(self._proc.pid, "ixion.engine.zygote")
            for worker in children_of(zygote)
        ]


# --- a catalogue run --------------------------------------------------------------------------


def catalogue_run(config: Path, after: float) -> Tally:
    """ixiond killed ``after`` seconds into describing the plugins folder's NASL scripts in a
    pool of processes."""
    tally = Tally(catalogue_runs=1)
    state = config.parent / "state"
    for cache in state.glob("nasl-cache.sqlite*"):
        cache.unlink()
    tag, port = new_tag(), free_port()
    proc = start_daemon(config, port, tag)
    try:
        deadline = time.monotonic() + PATIENCE
        while not children_of(proc.pid, "multiprocessing.spawn"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tally.problems.append("ixiond described its scripts without a pool")
                break
            time.sleep(0.01)
        time.sleep(after)
        if children_of(proc.pid, "multiprocessing.spawn"):
            tally.killed_mid_build += 1
    finally:
        proc.kill()
        proc.wait(PATIENCE)
    count_orphans(tag, tally, "ixiond killed during its catalogue build")
    return tally
