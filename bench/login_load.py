"""Login latency under load (issue 15): 50 clients logging in at once, with and without 1,000
idle and slow sockets beside them, over plain text and TLS.

    .venv/bin/python bench/login_load.py [--held 1000] [--clients 50] [--rounds 3]

Starts a real ixiond for each transport (state in a temporary directory, a 127.0.0.1 port
chosen here, the user made with ``ixion-adduser``, the TLS files with ``ixion-mkcert``); the
bench sends no traffic anywhere else. In each round, first without then with the held
sockets, --clients clients (ixion's own, all in this process) connect at once, log in with
the reference client's banner words and read the whole post-login offer (the plugin list,
preferences, rules, dependencies); a login's latency runs from its connect to the offer read.

The held sockets come from 127.0.0.2 and up (--sources addresses, each bound with
``sock.bind``), so that per-address limits apply to them and not to the clients on 127.0.0.1,
and they are held by a separate process so that they do not share the clients' event loop.
Half are idle (connected, nothing sent; over TLS, not even a handshake), half are slow: one
byte of the banner every 2 s (over TLS, after the handshake). A socket the daemon drops (its
20 s login limit) is opened again, so the count holds for the whole round. The clients start
3 s after the last held socket is open.

Prints, per round and transport: clients served and refused, p50 and p99 login latency (the
nearest rank: with 50 clients p99 is the slowest), the login rate (clients / slowest login),
the held sockets open at the end and how many connections the daemon refused or dropped, the
daemon's peak memory (VmHWM, reset through /proc/<pid>/clear_refs before the clients start, so
it never falls below what the daemon still holds from earlier rounds) and its CPU time per
login (from /proc/<pid>/stat, the held sockets' share included). The CPU time does not depend
on what else the machine runs, unlike the latencies. Then the issue's goal, per transport: all
served, and the median p99 with the sockets no more than 20 % above the median p99 without.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import os
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.client.connection import ClientConnection, ConnectionFailed

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import SynchronizedArray
    from multiprocessing.synchronize import Event

BIN: Final = Path(sys.executable).parent
USER: Final = "bench"
PASSWORD: Final = "benchpass"
#: A slow socket's banner; it never sends the newline, so the line never ends.
SLOW_BANNER: Final = b"< NTP/1.2 >"
#: Seconds between two bytes of a slow socket.
DRIBBLE: Final = 2.0
#: Connections a holder opens at once (the daemon's listen backlog is 128).
#: Seconds between the last held socket open and the clients' start: the daemon accepts
#: what is still in its backlog, so the clients meet sockets held, not sockets arriving.
SETTLE: Final = 3.0
OPENING_AT_ONCE: Final = 64
PATIENCE: Final = 120.0
# The holders' shared counters.
OPEN, OPENED, REFUSED, DROPPED = range(4)


# --- the daemon ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Daemon:
    process: subprocess.Popen[bytes]
    port: int
    #: What a client trusts, None over plain text.
    tls: ssl.SSLContext | None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_daemon(root: Path, *, tls: bool) -> Daemon:
    config = root / "ixiond.conf"
    config.write_text(
        f"state_dir = {root / 'state'}\nssl_version = NONE\nlogfile = {root / 'ixiond.log'}\n"
    )
    adduser = [BIN / "ixion-adduser", "-c", config, "--password-stdin", "--rule", "default reject"]
    subprocess.run(
        [*adduser, USER], input=f"{PASSWORD}\n".encode(), check=True, capture_output=True
    )
    context = None
    if tls:
        mkcert = [BIN / "ixion-mkcert", "-c", config, "--host", "localhost"]
        subprocess.run(mkcert, check=True, capture_output=True)
        config.write_text(config.read_text().replace("ssl_version = NONE", "ssl_version = TLSv1"))
        context = ssl.create_default_context(cafile=root / "state" / "tls" / "cacert.pem")
        context.check_hostname = False  # the CA is still checked; the name is localhost's
    port = free_port()
    command = [sys.executable, "-m", "ixion.server.daemon", "-c", config]
    process = subprocess.Popen(
        [*command, "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + PATIENCE
    while not _accepts(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"ixiond did not start; see {root / 'ixiond.log'}")
        time.sleep(0.1)
    return Daemon(process, port, context)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def peak_memory(pid: int) -> int:
    """VmHWM, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def cpu_seconds(pid: int) -> float:
    """User and system time of the process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak_memory(pid: int) -> None:
    with contextlib.suppress(OSError):  # then the figure is the peak since start
        Path(f"/proc/{pid}/clear_refs").write_text("5")


# --- the 50 clients --------------------------------------------------------------------------


async def one_login(port: int, tls: ssl.SSLContext | None) -> float | None:
    """Seconds from connect to the whole offer read; None if refused or broken."""
    start = time.monotonic()
    try:
        client = await ClientConnection.open("127.0.0.1", port, ssl_context=tls, io_timeout=60)
    except ConnectionFailed:
        return None
    try:
        offer = await client.login(USER, PASSWORD)
    except ConnectionFailed:
        return None
    finally:
        await client.close()
    return time.monotonic() - start if offer.plugins is not None else None


async def logins(port: int, tls: ssl.SSLContext | None, count: int) -> list[float | None]:
    return await asyncio.gather(*(one_login(port, tls) for _ in range(count)))


# --- the held sockets, in a process of their own ---------------------------------------------


def hold(
    port: int,
    ca_file: str | None,
    count: int,
    sources: int,
    counters: SynchronizedArray[int],
    ready: Event,
    stop: Event,
) -> None:
    asyncio.run(_hold(port, ca_file, count, sources, counters, ready, stop))


async def _hold(
    port: int,
    ca_file: str | None,
    count: int,
    sources: int,
    counters: SynchronizedArray[int],
    ready: Event,
    stop: Event,
) -> None:
    tls = None
    if ca_file is not None:
        tls = ssl.create_default_context(cafile=ca_file)
        tls.check_hostname = False
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    connected = [asyncio.Event() for _ in range(count)]
    tasks = [
        asyncio.create_task(
            _keep(port, tls, f"127.0.0.{2 + i % sources}", i % 2 == 1, opening, counters, done)
        )
        for i, done in enumerate(connected)
    ]
    await asyncio.gather(*(done.wait() for done in connected))
    ready.set()
    await asyncio.to_thread(stop.wait)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _count(counters: SynchronizedArray[int], which: int, change: int) -> None:
    with counters.get_lock():
        counters[which] += change


async def _keep(
    port: int,
    tls: ssl.SSLContext | None,
    source: str,
    slow: bool,
    opening: asyncio.Semaphore,
    counters: SynchronizedArray[int],
    connected: asyncio.Event,
) -> None:
    """Keep one socket open from ``source``, idle or slow, opening it again when dropped."""
    while True:
        try:
            async with opening:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1",
                    port,
                    local_addr=(source, 0),
                    ssl=tls if slow else None,  # an idle TLS socket never starts its handshake
                    server_hostname="localhost" if tls and slow else None,
                )
        except (OSError, ssl.SSLError):
            _count(counters, REFUSED, 1)
            await asyncio.sleep(1.0)
            continue
        _count(counters, OPEN, 1)
        _count(counters, OPENED, 1)
        connected.set()
        try:
            await _stay(reader, writer, slow)
        except (OSError, ssl.SSLError):
            pass
        finally:
            _count(counters, OPEN, -1)
            writer.close()
        _count(counters, DROPPED, 1)


async def _stay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slow: bool) -> None:
    """Until the daemon ends the connection."""
    sent = 0
    while True:
        if slow and sent < len(SLOW_BANNER):
            writer.write(SLOW_BANNER[sent : sent + 1])
            sent += 1
        try:
            async with asyncio.timeout(DRIBBLE):
                if not await reader.read(4096):
                    return
        except TimeoutError:
            continue


# --- a round ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    latencies: list[float]
    refused: int
    peak_kib: int
    #: The daemon's CPU time while the clients logged in.
    cpu: float
    held_open: int = 0
    held_refused: int = 0
    held_dropped: int = 0


def measure(daemon: Daemon, clients: int, held: int, sources: int, root: Path) -> Outcome:
    counters = multiprocessing.Array("q", 4)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    holder = None
    if held:
        ca_file = str(root / "state" / "tls" / "cacert.pem") if daemon.tls else None
        holder = multiprocessing.Process(
            target=hold, args=(daemon.port, ca_file, held, sources, counters, ready, stop)
        )
        holder.start()
        if not ready.wait(PATIENCE):
            stop.set()
            holder.join(PATIENCE)
            sys.exit(f"could not hold {held} sockets: {list(counters)}")
        time.sleep(SETTLE)
    reset_peak_memory(daemon.process.pid)
    cpu_before = cpu_seconds(daemon.process.pid)
    try:
        results = asyncio.run(logins(daemon.port, daemon.tls, clients))
        cpu = cpu_seconds(daemon.process.pid) - cpu_before
        peak = peak_memory(daemon.process.pid)
        held_now = list(counters)
    finally:
        stop.set()
        if holder is not None:
            holder.join(PATIENCE)
    served = sorted(r for r in results if r is not None)
    return Outcome(
        served,
        clients - len(served),
        peak,
        cpu,
        held_open=held_now[OPEN],
        held_refused=held_now[REFUSED],
        held_dropped=held_now[DROPPED],
    )


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p99 of 50 values is the 50th)."""
    if not values:
        return float("nan")
    rank = max(1, math.ceil(len(values) * share))
    return sorted(values)[rank - 1]


def row(transport: str, held: int, outcome: Outcome) -> str:
    lat = outcome.latencies
    rate = len(lat) / max(lat) if lat else 0.0
    return (
        f"{transport:5} {held:5} {len(lat):6} {outcome.refused:7} "
        f"{percentile(lat, 0.5):7.2f} {percentile(lat, 0.99):7.2f} {rate:9.1f} "
        f"{outcome.held_open:5}/{outcome.held_refused}/{outcome.held_dropped:<5} "
        f"{outcome.peak_kib / 1024:8.1f} {outcome.cpu * 1000 / max(1, len(lat)):8.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--held", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=16, help="127.0.0.2 and up")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = args.held + args.clients + 256
    if soft < needed:  # the daemon, started from here, inherits it
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(needed, soft), hard), hard))
    print(
        "transport held served refused  p50 s   p99 s  logins/s  "
        "held open/refused/dropped  peak MiB  CPU ms/login"
    )
    p99s: dict[tuple[str, int], list[float]] = {}
    all_served: dict[str, bool] = {}
    for transport in ("plain", "tls"):
        with tempfile.TemporaryDirectory(prefix="ixion-login-load-") as tmp:
            root = Path(tmp)
            daemon = start_daemon(root, tls=transport == "tls")
            try:
                asyncio.run(logins(daemon.port, daemon.tls, 2))  # start the pool's threads
                for _ in range(args.rounds):
                    for held in (0, args.held):
                        outcome = measure(daemon, args.clients, held, args.sources, root)
                        print(row(transport, held, outcome), flush=True)
                        p99s.setdefault((transport, held), []).append(
                            percentile(outcome.latencies, 0.99)
                        )
                        served = outcome.refused == 0
                        all_served[transport] = all_served.get(transport, True) and served
            finally:
                daemon.process.terminate()
                daemon.process.wait(PATIENCE)
    for transport in ("plain", "tls"):
        without = statistics.median(p99s[transport, 0])
        loaded = statistics.median(p99s[transport, args.held])
        verdict = "met" if all_served[transport] and loaded <= 1.2 * without else "NOT met"
        print(
            f"{transport}: median p99 {without:.2f} s without, {loaded:.2f} s with "
            f"{args.held} sockets ({loaded / without - 1:+.0%}); all served: "
            f"{all_served[transport]}; goal {verdict}"
        )


if __name__ == "__main__":
    main()
