"""What ixion's client spends on a whole feed: CPU, memory and time of each client path.

Issue 14 asks that every client path handles the whole community feed (about 136,000
plugins) in at most 2 s of client CPU and 200 MB: listing the plugins, choosing them and
sending the choice. This script starts a real ``ixiond`` on a 127.0.0.1 port with the feed as
its ``plugins_folder`` and a user whose rules refuse every target, so no packet is sent to
any host: the server answers each attack with E002 at once, after the client has received
the plugin list, chosen from it and sent its whole choice. Each client command runs as its
own process, started by a small parent that measures it with ``wait4`` (user + system CPU,
peak RSS; a child's peak RSS starts at its parent's, hence the small parent) and a wall
clock:

* ``ixion -q -p``: the plugin list, printed one line per plugin;
* ``ixion -q`` with an rc file of ``all = yes``: list, choose everything, send, attack;
* ``ixion -q`` with an rc file naming every plugin id (136k ``id = yes`` lines, the rc file
  nessus itself wrote after a user's first run), sent to the server as a list of ids;
* ``ixion plugins list`` / ``ixion plugins search`` (TLS, as a person runs them);
* ``ixion scan --server`` of a refused target with every plugin.

The feed's description cache is kept between runs in ``--cache`` (default
``~/.cache/ixion-bench``), so only the first run pays for describing 136,000 scripts.

The client runs as an installed ixion does, with Python's compiled bytecode: cached in the
bench's own directory (``PYTHONPYCACHEPREFIX``, so nothing is written next to the sources),
filled by one unmeasured run of each path. ``--bytecode none`` measures with the environment's
own setting instead; under ``PYTHONDONTWRITEBYTECODE`` every run then also compiles each
module it imports (0.1 s for the client, 0.3 s for ``ixion scan``'s engine).

    .venv/bin/python bench/client_scale.py [--feed /tmp/feed/nvt-feed] [--runs 3]
        [--bytecode cached|none]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ixion.server.config import Locations, write_default_config
from ixion.server.plugin_sets import nasl_cache

#: The budget issue 14 sets for each client path.
CPU_BUDGET_S = 2.0
RSS_BUDGET_MB = 200.0
#: The bench user's rules: every target refused, so nothing is ever probed.
REFUSE_ALL = ("--rule", "default reject", "bench")


@dataclass(frozen=True, slots=True)
class Measured:
    wall: float
    cpu: float
    rss_mb: float
    status: int


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


#: Starts the measured command and waits for it with wait4, then writes what it used to the
#: file named first: a parent of a few megabytes. Linux carries the peak RSS of the process
#: that forks a child into the child's own (``exec`` keeps the larger of the two), so
#: measuring from this script, which has read a 200 MB listing, would report that for every
#: command.
_TIMER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} ")
    report.write(f"{os.waitstatus_to_exitcode(status)}")
"""


def measure(argv: list[str], env: dict[str, str], output: Path) -> Measured:
    """Run ``argv`` once: its wall time, CPU (user + system) and peak RSS, from wait4."""
    report = output.with_suffix(".usage")
    begun = time.monotonic()
    with output.open("wb") as out:
        subprocess.run(
            [sys.executable, "-S", "-c", _TIMER, str(report), *argv],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    wall = time.monotonic() - begun
    cpu, rss_kib, status = report.read_text().split()
    return Measured(wall=wall, cpu=float(cpu), rss_mb=int(rss_kib) / 1024, status=int(status))


class Daemon:
    """A real ixiond with the feed, started with -D in ``work`` and stopped by its pid."""

    def __init__(self, work: Path, feed: Path, cache: Path) -> None:
        self.work, self.feed, self.cache = work, feed, cache
        self.conf = work / "ixiond.conf"
        self.state = work / "state"
        self.port = _free_port()
        self.password = secrets.token_hex(16)

    def start(self) -> float:
        write_default_config(self.conf, Locations(config_file=self.conf, state_dir=self.state))
        text = re.sub(
            r"(?m)^(# )?plugins_folder = .*$",
            f"plugins_folder = {self.feed}",
            self.conf.read_text(),
        )
        # The listing is what is measured: keep the log small.
        text = re.sub(r"(?m)^log_whole_attack = .*$", "log_whole_attack = no", text)
        self.conf.write_text(text)
        self.state.mkdir(parents=True, exist_ok=True)
        if self.cache.exists():
            shutil.copy2(self.cache, nasl_cache(self.state))
        subprocess.run(
            [_bin("ixion-mkcert"), "-c", str(self.conf), "--host", "127.0.0.1"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [_bin("ixion-adduser"), "-c", str(self.conf), "--password-stdin", *REFUSE_ALL],
            input=self.password + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        begun = time.monotonic()
        subprocess.run(
            [_bin("ixiond"), "-c", str(self.conf), "-a", "127.0.0.1", "-p", str(self.port), "-D"],
            check=True,
        )
        return time.monotonic() - begun

    @property
    def ca(self) -> Path:
        return self.state / "tls" / "cacert.pem"

    def stop(self) -> None:
        pid_file = self.state / "ixiond.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        if nasl_cache(self.state).exists():
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nasl_cache(self.state), self.cache)


def _plugin_ids(listing: Path) -> list[str]:
    """The ids of ``ixion -q -p``'s output (``id|family|name...`` lines)."""
    ids = []
    with listing.open("rb") as lines:
        for line in lines:
            head = line.split(b"|", 1)[0].strip().decode(errors="replace")
            if head.isdigit() or head.startswith("1.3.6."):
                ids.append(head)
    return ids


def _rc_file(path: Path, ca: Path, plugin_lines: str) -> None:
    path.write_text(
        f"trusted_ca = {ca}\n"
        "begin(SERVER_PREFS)\n port_range = 1\n max_hosts = 1\nend(SERVER_PREFS)\n"
        f"begin(SCANNER_SET)\n all = yes\nend(SCANNER_SET)\n"
        f"begin(PLUGIN_SET)\n{plugin_lines}end(PLUGIN_SET)\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feed", type=Path, default=Path("/tmp/feed/nvt-feed"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ixion-bench")
    parser.add_argument("--bytecode", choices=("cached", "none"), default="cached")
    args = parser.parse_args()
    feed: Path = args.feed.resolve()
    if not feed.is_dir():
        print(f"client_scale: {feed}: no feed (see bench/extract_feed.py)", file=sys.stderr)
        return 2
    tag = hashlib.sha256(str(feed).encode()).hexdigest()[:16]
    cache = args.cache / f"{tag}-{nasl_cache(Path()).name}"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory(prefix="ixion-client-scale-") as tmp:
        work = Path(tmp)
        daemon = Daemon(work, feed, cache)
        print(f"client_scale: starting ixiond with {feed} (a first run describes every script)")
        started = daemon.start()
        print(f"client_scale: ixiond ready in {started:.1f} s on 127.0.0.1:{daemon.port}")
        try:
            return _run(work, daemon, args.runs, cached=args.bytecode == "cached")
        finally:
            daemon.stop()


def _run(work: Path, daemon: Daemon, runs: int, *, cached: bool) -> int:
    unset = ("IXION_USER", "IXION_PASSWORD", *(("PYTHONDONTWRITEBYTECODE",) if cached else ()))
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(IXION_USER="bench", IXION_PASSWORD=daemon.password, NO_COLOR="1")
    if cached:
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    ixion = _bin("ixion")
    server = f"tls://127.0.0.1:{daemon.port}"
    login = ["127.0.0.1", str(daemon.port), "bench", daemon.password]
    targets = work / "targets"
    targets.write_text("127.0.0.1\n")
    listing = work / "listing.txt"
    all_rc, ids_rc = work / "all.rc", work / "ids.rc"
    _rc_file(all_rc, daemon.ca, " all = yes\n")
    first = measure([ixion, "-q", "-c", str(all_rc), "-p", *login], env, listing)
    ids = _plugin_ids(listing)
    print(f"client_scale: the server lists {len(ids)} plugins (status {first.status})")
    _rc_file(ids_rc, daemon.ca, "".join(f" {plugin} = yes\n" for plugin in ids))
    paths: dict[str, list[str]] = {
        "ixion -q -p (list every plugin)": [ixion, "-q", "-c", str(all_rc), "-p", *login],
        "ixion -q, rc all = yes (list, choose, send, attack)": [
            ixion, "-q", "-c", str(all_rc), *login, str(targets), str(work / "all.nbe"),
        ],
        f"ixion -q, rc naming {len(ids)} ids": [
            ixion, "-q", "-c", str(ids_rc), *login, str(targets), str(work / "ids.nbe"),
        ],
        "ixion plugins list --json": [
            ixion, "plugins", "list", "--json", "--server-ca", str(daemon.ca), server,
        ],
        "ixion plugins search --cve CVE-2014-0160": [
            ixion, "plugins", "search", "--server-ca", str(daemon.ca),
            "--cve", "CVE-2014-0160", server,
        ],
        "ixion scan --server (every plugin, refused target)": [
            ixion, "scan", "-q", "--server", server, "--server-ca", str(daemon.ca),
            "-p", "1", "127.0.0.1",
        ],
    }  # fmt: skip
    if cached:
        for argv in paths.values():  # compiles what each path imports, into the cache
            measure(argv, env, work / "out.txt")
    print(f"\n{'client path':55} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7}  status  budget")
    failed = 0
    for name, argv in paths.items():
        results = [measure(argv, env, work / "out.txt") for _ in range(runs)]
        cpu = statistics.median(r.cpu for r in results)
        rss = max(r.rss_mb for r in results)
        wall = statistics.median(r.wall for r in results)
        statuses = sorted({r.status for r in results})
        within = cpu <= CPU_BUDGET_S and rss <= RSS_BUDGET_MB
        failed += not within
        print(
            f"{name:55} {wall:7.2f} {cpu:7.2f} {rss:7.1f}  {statuses!s:6}  "
            f"{'ok' if within else 'OVER'}"
        )
    print(
        f"\n(median of {runs} runs for wall and CPU, the largest peak RSS; budget "
        f"{CPU_BUDGET_S} s CPU and {RSS_BUDGET_MB:.0f} MB per path; Python bytecode "
        f"{'cached' if cached else 'as the environment has it'})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
