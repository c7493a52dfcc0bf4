"""What one scanned host costs in memory, and how fast the fork server starts hosts.

    .venv/bin/python bench/host_memory.py [--hosts 1,10,50] [--hold SECONDS] [--collect]

For each K of --hosts, scans K hosts (bench-1 ... bench-K, address 127.0.0.1) at once through
a ForkServer, with a single plugin written to a temporary folder that reports a note and then
sleeps --hold seconds: it opens no socket, so the bench sends no network traffic at all. When
all K plugins are sleeping, reads /proc/<pid>/smaps_rollup of every worker (the children of
the fork server): RSS, PSS and USS (Private_Clean + Private_Dirty, what the worker alone
holds), and VmPTE (its page tables) from /proc/<pid>/status. Then times K hosts whose plugin
returns at once (hosts per second through the fork server). For comparison, measures the fork
server itself and a fresh interpreter that imports the same modules.

--collect makes the plugin run gc.collect() first: the worst case of a full collection in the
worker touching every object the fork server shared. Prints figures; nothing is asserted, but
hosts that end oddly and workers left behind are listed under "engine checks".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ixion.engine.events import Event, Finding, HostFinished, HostStarted
from ixion.engine.job import HostJob, ScanSettings
from ixion.engine.loader import builtin_origins
from ixion.engine.scan import Scan
from ixion.engine.worker import ForkServer, HostWorker
from ixion.plugin_api.ports import parse_port_range

HOLD_ID = 1
QUICK_ID = 2
MIB = 1024 * 1024

PLUGIN = """\
import asyncio
import gc

from ixion.plugin_api.metadata import Category, PluginInfo

INFO = PluginInfo(
    id={id},
    filename={filename!r},
    name={name!r},
    family="Bench",
    category=Category.GATHER_INFO,
    summary="holds its host without any network traffic",
    description="Written by bench/host_memory.py.",
    timeout={timeout},
)


async def run(ctx):
    if {collect}:
        gc.collect()
    ctx.note("holding")
    await asyncio.sleep({hold})
"""


# --- /proc ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Memory:
    """One process's memory, in bytes."""

    rss: int
    pss: int
    uss: int
    pte: int


def memory_of(pid: int) -> Memory | None:
    """RSS, PSS, USS and page tables of a live process; None if it is gone (or a zombie)."""
    kib: dict[str, int] = {}
    try:
        for path in (f"/proc/{pid}/smaps_rollup", f"/proc/{pid}/status"):
            for line in Path(path).read_text().splitlines():
                key, _, value = line.partition(":")
                words = value.split()
                if len(words) == 2 and words[1] == "kB":
                    kib[key] = int(words[0])
    except (FileNotFoundError, ProcessLookupError):
        return None
    if "Rss" not in kib:
        return None
    return Memory(
        rss=kib["Rss"] * 1024,
        pss=kib["Pss"] * 1024,
        uss=(kib["Private_Clean"] + kib["Private_Dirty"]) * 1024,
        pte=kib.get("VmPTE", 0) * 1024,
    )


def children_of(parent: int) -> dict[int, str]:
    """pid -> state letter (R, S, Z...) of every process whose parent is ``parent``."""
    found: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == parent:
            found[int(entry.name)] = state
    return found


def is_alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def fork_server_pid() -> int:
    """The zygote: our child running ``-m ixion.engine.zygote``."""
    for pid in children_of(os.getpid()):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if b"ixion.engine.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    raise RuntimeError("the fork server process is not running")


# --- scans ------------------------------------------------------------------------------------


def write_plugin(folder: Path, plugin_id: int, name: str, hold: float, collect: bool) -> str:
    path = folder / f"{name}.py"
    source = PLUGIN.format(
        id=plugin_id,
        filename=path.name,
        name=name,
        timeout=math.ceil(hold) + 60,
        collect=collect,
        hold=hold,
    )
    path.write_text(source)
    return str(path)


def host_jobs(count: int, origin: str, plugin_id: int, prefix: str = "bench") -> list[HostJob]:
    settings = ScanSettings(port_range=parse_port_range("1"))
    return [
        HostJob(
            host=f"{prefix}-{i}",
            address="127.0.0.1",
            origins=(origin,),
            enabled=frozenset({plugin_id}),
            settings=settings,
        )
        for i in range(1, count + 1)
    ]


async def each(jobs: Iterable[HostJob]) -> AsyncIterator[HostJob]:
    for job in jobs:
        yield job


def events_of(scan: Scan) -> AsyncGenerator[Event, None]:
    """The scan's events, typed as what they are (an async generator, which can be closed)."""
    return cast("AsyncGenerator[Event, None]", scan.events())


@dataclass(slots=True)
class Round:
    """One scan of K hosts that all sleep at once, measured while they do."""

    hosts: int
    #: Seconds from the scan's start to every host's plugin running.
    alive_after: float = math.nan
    workers: tuple[Memory, ...] = ()
    zygote: Memory | None = None
    #: Hosts per second with a plugin that returns at once.
    quick_rate: float = math.nan

    def column(self, name: str) -> list[int]:
        return [getattr(memory, name) for memory in self.workers]


class Checks:
    """What the engine did that it should not have; printed at the end."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, problem: str) -> None:
        self.problems.append(problem)
        print(f"  ! {problem}", file=sys.stderr)

    def finished(self, label: str, jobs: list[HostJob], ends: dict[str, list[str]]) -> None:
        """Every host ended exactly once, with no reason (all its plugins ran)."""
        for job in jobs:
            reasons = ends.get(job.host, [])
            if len(reasons) != 1:
                self.add(f"{label}: {job.host} finished {len(reasons)} times {reasons}")
            elif reasons[0]:
                self.add(f"{label}: {job.host} finished early: {reasons[0]!r}")
        for host in sorted(set(ends) - {job.host for job in jobs}):
            self.add(f"{label}: HostFinished for an unknown host {host!r}")

    def reaped(self, label: str, zygote: int) -> None:
        """The fork server has no child left once a scan is over."""
        left = children_of(zygote)
        if left:
            states = ", ".join(f"{pid} ({state})" for pid, state in sorted(left.items()))
            self.add(f"{label}: workers left after the scan: {states}")


async def hold_round(
    server: ForkServer, zygote: int, origin: str, hosts: int, checks: Checks
) -> Round:
    jobs = host_jobs(hosts, origin, HOLD_ID)
    result = Round(hosts)
    scan = Scan(each(jobs), max_hosts=hosts, runner=lambda job: HostWorker(job, server))
    holding: set[str] = set()
    started: set[str] = set()
    ends: dict[str, list[str]] = {}
    began = time.perf_counter()
    async with contextlib.aclosing(events_of(scan)) as events:
        async for event in events:
            if isinstance(event, HostStarted):
                started.add(event.host)
            elif isinstance(event, Finding):
                holding.add(event.host)
                if len(holding) == hosts:
                    result.alive_after = time.perf_counter() - began
                    result.workers, result.zygote = measure_workers(zygote, hosts, checks)
            elif isinstance(event, HostFinished):
                if len(holding) < hosts and not ends:
                    checks.add(
                        f"{hosts} hosts: {event.host} finished before all were alive (raise --hold)"
                    )
                ends.setdefault(event.host, []).append(event.reason)
    if len(started) != hosts:
        checks.add(f"{hosts} hosts: HostStarted from {len(started)} hosts")
    checks.finished(f"{hosts} hosts", jobs, ends)
    checks.reaped(f"{hosts} hosts", zygote)
    return result


def measure_workers(zygote: int, hosts: int, checks: Checks) -> tuple[tuple[Memory, ...], Memory]:
    workers = children_of(zygote)
    if len(workers) != hosts:
        checks.add(f"{hosts} hosts: the fork server has {len(workers)} children while all sleep")
    found = [memory_of(pid) for pid in sorted(workers)]
    zygote_memory = memory_of(zygote)
    if zygote_memory is None:
        raise RuntimeError("the fork server is gone")
    return tuple(m for m in found if m is not None), zygote_memory


async def quick_round(
    server: ForkServer, zygote: int | None, origin: str, hosts: int, checks: Checks
) -> float:
    """Hosts per second for ``hosts`` hosts at once whose plugin returns at once.

    ``zygote``: the fork server's pid, to check that it reaped every worker.
    """
    jobs = host_jobs(hosts, origin, QUICK_ID, prefix="quick")
    scan = Scan(each(jobs), max_hosts=hosts, runner=lambda job: HostWorker(job, server))
    ends: dict[str, list[str]] = {}
    began = time.perf_counter()
    async with contextlib.aclosing(events_of(scan)) as events:
        async for event in events:
            if isinstance(event, HostFinished):
                ends.setdefault(event.host, []).append(event.reason)
    elapsed = time.perf_counter() - began
    checks.finished(f"{hosts} quick hosts", jobs, ends)
    if zygote is not None:
        checks.reaped(f"{hosts} quick hosts", zygote)
    return hosts / elapsed


async def fresh_interpreter() -> tuple[Memory, float]:
    """A new interpreter that imports what the fork server imports; its memory and start-up."""
    modules = ", ".join(["ixion.engine.worker_main", *builtin_origins()])
    code = (
        f"import sys, time\nimport {modules}\n"
        "sys.stdout.write('ready\\n')\nsys.stdout.flush()\ntime.sleep(120)\n"
    )
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            line = await process.stdout.readline()
        startup = time.perf_counter() - began
        memory = memory_of(process.pid)
        if line != b"ready\n" or memory is None:
            raise RuntimeError("the fresh interpreter did not start")
        return memory, startup
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


# --- report -----------------------------------------------------------------------------------


def mib(value: float) -> str:
    return f"{value / MIB:8.2f}"


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else math.nan


def print_table(rounds: list[Round]) -> None:
    print(
        f"{'hosts':>5} {'alive s':>8} {'USS mean':>8} {'USS max':>8} {'PSS mean':>8}"
        f" {'PSS max':>8} {'RSS mean':>8} {'PTE mean':>8} {'USS sum':>8} {'PSS sum':>8}"
        f" {'zyg. PSS':>8} {'no-op h/s':>9}"
    )
    for r in rounds:
        uss, pss, rss, pte = r.column("uss"), r.column("pss"), r.column("rss"), r.column("pte")
        zygote_pss = r.zygote.pss if r.zygote else math.nan
        print(
            f"{r.hosts:>5} {r.alive_after:8.3f} {mib(mean(uss))} {mib(max(uss, default=0))}"
            f" {mib(mean(pss))} {mib(max(pss, default=0))} {mib(mean(rss))} {mib(mean(pte))}"
            f" {mib(sum(uss))} {mib(sum(pss))} {mib(zygote_pss)} {r.quick_rate:9.1f}"
        )
    print(
        "(MiB; per-host figures are worker processes while their plugin sleeps; USS = private"
        " pages,\n PSS = private + a share of the pages they share with the fork server and each"
        " other;\n K hosts cost USS sum plus page tables, and PSS sum + zygote PSS is the lot)"
    )


def describe(label: str, memory: Memory) -> str:
    return (
        f"{label:<46} RSS {mib(memory.rss)}  PSS {mib(memory.pss)}  USS {mib(memory.uss)}"
        f"  PTE {mib(memory.pte)} MiB"
    )


async def bench(args: argparse.Namespace) -> Checks:
    checks = Checks()
    server = ForkServer()
    zygote = 0
    with tempfile.TemporaryDirectory(prefix="ixion-bench-") as folder:
        hold = write_plugin(Path(folder), HOLD_ID, "bench_hold", args.hold, args.collect)
        quick = write_plugin(Path(folder), QUICK_ID, "bench_quick", 0, False)
        try:
            began = time.perf_counter()
            await quick_round(server, None, quick, 1, checks)  # starts the server
            print(
                f"fork server start-up and a first no-op host: {time.perf_counter() - began:.3f} s"
            )
            zygote = fork_server_pid()
            checks.reaped("first host", zygote)
            idle = memory_of(zygote)
            if idle is not None:
                print(describe("fork server, idle (after preload, no workers)", idle))
            rounds = []
            for hosts in args.hosts:
                result = await hold_round(server, zygote, hold, hosts, checks)
                result.quick_rate = await quick_round(server, zygote, quick, hosts, checks)
                rounds.append(result)
            fresh, startup = await fresh_interpreter()
            print(describe("fresh interpreter importing the same modules", fresh))
            print(f"{'':<46} (started and imported in {startup:.3f} s)")
            print()
            print_table(rounds)
        finally:
            await server.close()
            if zygote and is_alive(zygote):
                checks.add(f"the fork server {zygote} is still running after close()")
    return checks


def host_counts(text: str) -> list[int]:
    counts = [int(word) for word in text.split(",") if word.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive numbers")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", type=host_counts, default=[1, 10, 50], help="e.g. 1,10,50")
    parser.add_argument(
        "--hold", type=float, default=2.0, help="seconds each plugin sleeps (default 2)"
    )
    parser.add_argument(
        "--collect", action="store_true", help="the plugin runs gc.collect() before sleeping"
    )
    args = parser.parse_args()
    try:
        checks = asyncio.run(bench(args))
    except KeyboardInterrupt:
        print("interrupted; scans stopped and fork server closed", file=sys.stderr)
        sys.exit(130)
    print()
    if checks.problems:
        print("engine checks: " + "; ".join(checks.problems))
    else:
        print("engine checks: every host finished once and in full, no worker left behind")


if __name__ == "__main__":
    main()
