"""What ``save_session`` costs on a scan that streams many results, and how fast a restore is.

    .venv/bin/python bench/session_cost.py [--results 100000] [--runs 3]

Starts a real ixiond (a fresh state directory in a temporary folder, plain text on a loopback
port the kernel picks) with one plugin written for the bench that reports --results notes as
fast as it can and opens no socket: the bench sends no network traffic to anyone. A client
(ixion's own) logs in and scans 127.0.0.1 --runs times with ``save_session = no`` and
--runs times with ``yes``, timing each scan from the attack order to BYE; then restores the
last saved session --runs times (``save_session = no``, so the restore itself is not saved).

Prints, for each way, the minimum and median wall time and results per second, the store's
growth on disk per saved scan (database plus write-ahead log, after a checkpoint), and bytes
per result. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    Bye,
    LongAttack,
    Preferences,
    PreferencesErrors,
    Report,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
)

BIN = Path(sys.executable).parent
PLUGIN_ID = 91009000
PLUGIN = f"""\
from ixion.plugin_api.metadata import Category, PluginInfo
INFO = PluginInfo(id={PLUGIN_ID}, filename="flood_check.py", name="Flood check", family="Bench",
    category=Category.GATHER_INFO, summary="reports many notes", description="Bench.",
    timeout=0)
async def run(ctx):
    for i in range(int(ctx.scan_preference("flood_count") or 1)):
        ctx.note(f"result {{i}}: the remote service answers with a banner of some length")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_daemon(root: Path) -> tuple[subprocess.Popen[bytes], int]:
    config = root / "ixiond.conf"
    config.write_text(
        f"state_dir = {root / 'state'}\nssl_version = NONE\nlogfile = {root / 'ixiond.log'}\n"
    )
    subprocess.run(
        [
            BIN / "ixion-adduser",
            "-c",
            config,
            "--password-stdin",
            "--rule",
            "accept 127.0.0.1",
            "bench",
        ],
        input=b"benchpass\n",
        check=True,
        capture_output=True,
    )
    plugins = root / "state" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "flood_check.py").write_text(PLUGIN)
    port = free_port()
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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"< NTP/1.2 >\n")
                if sock.recv(20).startswith(b"< NTP/1.2 >"):
                    return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("ixiond did not start")


async def timed(client: ClientConnection, order: LongAttack | SessionRestore) -> tuple[float, int]:
    """Seconds from the order to BYE, and the number of findings received."""
    start = time.perf_counter()
    await client.send(order)
    count = 0
    while not isinstance(msg := await client.receive(), Bye):
        count += isinstance(msg, Report)
    return time.perf_counter() - start, count


def store_bytes(state: Path) -> int:
    database = state / "store.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in state.glob("store.sqlite*"))


async def bench(port: int, state: Path, results: int, runs: int) -> dict[str, list[float]]:
    client = await ClientConnection.open("127.0.0.1", port, io_timeout=600)
    await client.login("bench", "benchpass")
    figures: dict[str, list[float]] = {"off": [], "on": [], "restore": [], "disk": []}

    async def prefs(save: str) -> None:
        items = (
            ("ntp_keep_communication_alive", "yes"),
            ("ntp_client_accepts_notes", "yes"),
            ("plugin_set", str(PLUGIN_ID)),
            ("flood_count", str(results)),
            ("save_session", save),
        )
        await client.send(Preferences(items=items))
        assert isinstance(await client.receive(), PreferencesErrors)

    for save in ("no", "yes"):
        await prefs(save)
        for _ in range(runs):
            before = store_bytes(state)
            seconds, count = await timed(client, LongAttack(targets="127.0.0.1"))
            assert count == results, count
            figures["off" if save == "no" else "on"].append(seconds)
            if save == "yes":
                figures["disk"].append(store_bytes(state) - before)
    await client.send(SessionsListRequest())
    listing = await client.receive()
    assert isinstance(listing, SessionsList)
    newest = listing.sessions[-1].id
    await prefs("no")
    for _ in range(runs):
        seconds, count = await timed(client, SessionRestore(session_id=newest))
        assert count == results, count
        figures["restore"].append(seconds)
    await client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ixion-session-bench-"))
    proc, port = start_daemon(root)
    try:
        figures = asyncio.run(bench(port, root / "state", args.results, args.runs))
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(root, ignore_errors=True)
    n = args.results
    print(f"{n} results per scan, {args.runs} runs each, {os.cpu_count()} cores")
    for key, label in (
        ("off", "scan, save_session = no "),
        ("on", "scan, save_session = yes"),
        ("restore", "restore of that session "),
    ):
        values = figures[key]
        best, median = min(values), statistics.median(values)
        print(f"  {label}: min {best:6.2f} s  median {median:6.2f} s  {n / median:9.0f} results/s")
    ratio = statistics.median(figures["on"]) / statistics.median(figures["off"])
    disk = statistics.median(figures["disk"])
    print(f"  saving costs x{ratio:.2f} in wall time")
    print(f"  store growth per saved scan: {disk / 1e6:.1f} MB ({disk / n:.0f} bytes per result)")


if __name__ == "__main__":
    main()
