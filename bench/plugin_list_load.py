"""Whether long answers stall other clients: three clients list the whole feed while a fourth
asks for NESSUS_VERSION over and over.

    .venv/bin/python bench/plugin_list_load.py [FEED] [--state DIR] [--listers 3] [--rounds 2]

Starts a real ixiond (plain text, a loopback port the kernel picks) with FEED (default
/tmp/feed/nvt-feed, the extracted community feed) as its ``plugins_folder`` and its state in
--state (default /tmp/ixion-feed-state, kept between runs because the first start describes
the whole feed, which takes minutes; later starts read the cache). The bench sends no traffic
beyond that daemon.

Each lister is a process of its own with a plain socket, so that reading 200 MB does not take
the prober's CPU or GIL. It logs in with ``md5_caching`` and the reference client's plugin
words, then, --rounds times, asks for the whole PLUGIN_LIST (COMPLETE_LIST) and the whole md5
list (SEND_PLUGINS_MD5); then GO_ON, which brings PREFERENCES, RULES and PLUGINS_DEPENDENCIES.
All listers log in first; then the daemon's idle memory is sampled; then they start together.
The prober (``fast_login``, in this process) sends NESSUS_VERSION, waits for the answer,
pauses 5 ms, and so on, from the start of the listings to the end of the last one.

Prints the round trips of the prober (count, median, p99, worst) while idle and while the
listers run, and the daemon process's resident memory (VmRSS, sampled every 10 ms) idle and at
its peak. The issue's goal: worst round trip under 50 ms, peak within 10 % of idle. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.ntp import (
    Banner,
    CompleteList,
    Features,
    GoOn,
    Message,
    NessusVersionRequest,
    Password,
    SendPluginsMd5,
    User,
    Version,
    encode_client_message,
)

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier, Event

BIN: Final = Path(sys.executable).parent
USER: Final = "bench"
PASSWORD: Final = "benchpass"
BLOCK_END: Final = b"\n<|> SERVER\n"
#: What the nessus 2.2.5 client asked for, plus the md5 loop so that one login lists often.
LISTER_WORDS: Final = (
    "md5_caching",
    "plugins_version",
    "plugins_cve_id",
    "plugins_bugtraq_id",
    "plugins_xrefs",
    "timestamps",
    "dependencies",
)
PROBE_PAUSE: Final = 0.005


def wire(*messages: Message) -> bytes:
    return b"".join(encode_client_message(m, Features()) for m in messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def prepare_state(feed: Path, state: Path) -> Path:
    """The configuration file, and the bench user if it is not there yet."""
    state.mkdir(parents=True, exist_ok=True)
    config = state / "ixiond.conf"
    config.write_text(
        f"state_dir = {state}\nplugins_folder = {feed}\nssl_version = NONE\n"
        f"logfile = {state / 'ixiond.log'}\n"
    )
    if not (state / "users" / USER).exists():
        subprocess.run(
            [
                BIN / "ixion-adduser",
                "-c",
                config,
                "--password-stdin",
                "--rule",
                "accept 127.0.0.1",
                USER,
            ],
            input=f"{PASSWORD}\n".encode(),
            check=True,
            capture_output=True,
        )
    return config


def start_daemon(config: Path, port: int, startup: float) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ixion.server.daemon",
            "-c",
            config,
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + startup
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ixiond exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"< NTP/1.2 >\n")
                if sock.recv(20).startswith(b"< NTP/1.2 >"):
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("ixiond did not start in time")


def read_until(sock: socket.socket, marker: bytes, count: int = 1) -> int:
    """Read until ``marker`` has been seen ``count`` times; the bytes read."""
    seen, total, tail = 0, 0, b""
    while seen < count:
        data = sock.recv(1 << 20)
        if not data:
            raise ConnectionError("ixiond closed the connection")
        total += len(data)
        window = tail + data
        seen += window.count(marker) - tail.count(marker)
        tail = window[-(len(marker) - 1) :]
    return total


def login(port: int, words: tuple[str, ...]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(wire(Banner(version=Version.NTP_1_2, extensions=words)))
    read_until(sock, b"User : ")
    sock.sendall(wire(User(name=USER)))
    read_until(sock, b"Password : ")
    sock.sendall(wire(Password(password=PASSWORD)))
    return sock


def lister(
    port: int, rounds: int, ready: Barrier, go: Event, out: multiprocessing.Queue[int]
) -> None:
    """One listing client (a process of its own): the bytes it read, or -1 on failure."""
    try:
        sock = login(port, LISTER_WORDS)
        read_until(sock, b"<|> SERVER\n")  # PLUGINS_MD5, the md5 over all plugins
        ready.wait()
        go.wait()
        total = 0
        for _ in range(rounds):
            sock.sendall(wire(CompleteList()))
            total += read_until(sock, BLOCK_END)
            sock.sendall(wire(SendPluginsMd5()))
            total += read_until(sock, BLOCK_END)
        sock.sendall(wire(GoOn()))
        total += read_until(sock, BLOCK_END, 3)  # PREFERENCES, RULES, PLUGINS_DEPENDENCIES
        sock.close()
        out.put(total)
    except Exception as exc:
        print(f"lister failed: {exc!r}", file=sys.stderr)
        out.put(-1)


def rss(pid: int) -> int:
    """The process's resident memory, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Sampler(threading.Thread):
    """Samples a process's VmRSS every 10 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(rss(self.pid))
            self.stop.wait(0.01)


def probe(sock: socket.socket, until: threading.Event | float) -> list[float]:
    """NESSUS_VERSION round trips until the event is set or the time (monotonic) passes."""
    request = wire(NessusVersionRequest())
    trips = []
    while not (until.is_set() if isinstance(until, threading.Event) else time.monotonic() > until):
        began = time.perf_counter()
        sock.sendall(request)
        read_until(sock, b"<|> SERVER\n")
        trips.append(time.perf_counter() - began)
        time.sleep(PROBE_PAUSE)
    return trips


def describe(trips: list[float]) -> str:
    ordered = sorted(trips)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{len(trips)} round trips, median {statistics.median(trips) * 1e3:.1f} ms, "
        f"p99 {p99 * 1e3:.1f} ms, worst {ordered[-1] * 1e3:.1f} ms"
    )


def bench(pid: int, port: int, listers: int, rounds: int) -> None:
    context = multiprocessing.get_context("fork")
    ready, go, out = context.Barrier(listers + 1), context.Event(), context.Queue()
    workers = [
        context.Process(target=lister, args=(port, rounds, ready, go, out)) for _ in range(listers)
    ]
    for worker in workers:
        worker.start()
    prober = login(port, ("fast_login",))
    ready.wait(timeout=120)
    idle_trips = probe(prober, time.monotonic() + 3)
    sampler = Sampler(pid)
    sampler.start()
    time.sleep(2)
    idle = statistics.median(sampler.samples)
    sampler.samples.clear()
    done = threading.Event()
    results: list[int] = []

    def collect() -> None:
        results.extend(out.get() for _ in workers)
        done.set()

    collector = threading.Thread(target=collect, daemon=True)
    began = time.perf_counter()
    go.set()
    collector.start()
    busy_trips = probe(prober, done)
    elapsed = time.perf_counter() - began
    sampler.stop.set()
    sampler.join()
    for worker in workers:
        worker.join()
    prober.close()
    peak = max(sampler.samples)
    read = sum(r for r in results if r > 0)
    failed = sum(r < 0 for r in results)
    print(f"{listers} listers x {rounds} rounds, {os.cpu_count()} cores")
    print(f"  listings: {read / 1e6:.0f} MB read in {elapsed:.1f} s, {failed} lister(s) failed")
    print(f"  NESSUS_VERSION idle: {describe(idle_trips)}")
    print(f"  NESSUS_VERSION busy: {describe(busy_trips)}")
    print(
        f"  daemon VmRSS: idle {idle / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB "
        f"({(peak - idle) / idle * 100:+.1f} %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("feed", nargs="?", type=Path, default=Path("/tmp/feed/nvt-feed"))
    parser.add_argument("--state", type=Path, default=Path("/tmp/ixion-feed-state"))
    parser.add_argument("--listers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--startup", type=float, default=1800, help="seconds to wait for ixiond")
    args = parser.parse_args()
    config = prepare_state(args.feed.resolve(), args.state.resolve())
    port = free_port()
    began = time.monotonic()
    proc = start_daemon(config, port, args.startup)
    print(f"ixiond up in {time.monotonic() - began:.1f} s")
    try:
        bench(proc.pid, port, args.listers, args.rounds)
    finally:
        proc.terminate()
        proc.wait(60)


if __name__ == "__main__":
    main()
