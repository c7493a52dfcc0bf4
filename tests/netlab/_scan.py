"""``scan``: ixion's own scan of the running lab, the demo's way, written as NBE.

ixiond runs on 127.0.0.1 (a port the kernel picks) with a fresh state directory in a
temporary folder, its generated defaults and certificates; a user whose rules accept only
198.18.0.0/24 scans the ground truth's addresses, on the ground truth's ports only (open and
closed, TCP and UDP), with the TCP ping, the TCP connect scanner and the UDP scanner and
every plugin on by default, trusting the lab CA. Then ixiond is stopped.

With ``--feed DIR`` ixiond's ``plugins_folder`` is a NASL feed and the rc file is the few
lines a user writes to run everything (``all = yes`` in SCANNER_SET and PLUGIN_SET). The
feed's description cache is kept in the lab's state directory between runs, so only the
first such scan pays for describing 136,000 scripts.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ixion.server.config import Locations, write_default_config
from ixion.server.plugin_sets import nasl_cache
from tests.netlab._hosts import LAB_NETWORK, state_dir
from tests.netlab._manifest import read_manifest
from tests.netlab._truth import Truth, load_truth, parse_place

__all__ = ["port_range", "run_scan_command"]

#: ixiond's TCP ping and TCP connect scanner, and ixion's UDP scanner.
SCANNERS = ("10180", "10335", "90000003")
#: The lab CA is the lab's "internal CA": the scan trusts it, as an organisation's scans
#: trust its own CA, so the hardened host's certificate is not reported as untrusted.
TRUSTED_CA_PREFERENCE = (
    "TLS certificate information and validity[file]:Trusted CA certificates (PEM)"
)


def port_range(truth: Truth) -> str:
    """``T:21,22,...,U:53,...``: every open and closed port the ground truth names."""
    places = {parse_place(p) for host in truth.hosts.values() for p in (*host.ports, *host.closed)}
    tcp = sorted(port for proto, port in places if proto == "tcp")
    udp = sorted(port for proto, port in places if proto == "udp")
    return ",".join([f"T:{p}" for p in tcp] + [f"U:{p}" for p in udp])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def run_scan_command(output: Path, feed: Path | None = None) -> int:
    if read_manifest(state_dir()) is None:
        print("netlab: the lab is not up (run: scripts/lab up)", file=sys.stderr)
        return 2
    truth = load_truth()
    with tempfile.TemporaryDirectory(prefix="ixion-netlab-scan-") as tmp:
        work = Path(tmp)
        conf, state = work / "ixiond.conf", work / "state"
        write_default_config(conf, Locations(config_file=conf, state_dir=state))
        kept_cache = _kept_cache(feed)
        if feed is not None:
            if not feed.is_dir():
                print(f"netlab: {feed}: not a directory", file=sys.stderr)
                return 2
            _use_feed(conf, feed.resolve())
            if kept_cache.exists():
                state.mkdir(parents=True, exist_ok=True)
                shutil.copy2(kept_cache, nasl_cache(state))
        subprocess.run(
            [_bin("ixion-mkcert"), "-c", str(conf), "--host", "127.0.0.1"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        password = secrets.token_hex(
            16
        )  # never starts with "-", which ixion -q would take for an option
        rules = ["--rule", f"accept {LAB_NETWORK}", "--rule", "default reject"]
        subprocess.run(
            [_bin("ixion-adduser"), "-c", str(conf), "--password-stdin", *rules, "netlab"],
            input=password + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        port = _free_port()
        subprocess.run(
            [_bin("ixiond"), "-c", str(conf), "-a", "127.0.0.1", "-p", str(port), "-D"], check=True
        )
        try:
            return _scan(work, truth, port, password, output, everything=feed is not None)
        finally:
            _stop(state / "ixiond.pid")
            if feed is not None and nasl_cache(state).exists():
                kept_cache.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(nasl_cache(state), kept_cache)


def _kept_cache(feed: Path | None) -> Path:
    """Where the description cache of ``feed`` is kept between scans (one per feed path)."""
    tag = hashlib.sha256(str(feed and feed.resolve()).encode()).hexdigest()[:16]
    return state_dir() / "feed-cache" / f"{tag}-{nasl_cache(Path()).name}"


def _use_feed(conf: Path, feed: Path) -> None:
    """Point the generated configuration's ``plugins_folder`` at ``feed``."""
    text = re.sub(r"(?m)^(# )?plugins_folder = .*$", f"plugins_folder = {feed}", conf.read_text())
    conf.write_text(text)


def _stop(pid_file: Path) -> None:
    """SIGTERM the ixiond this scan started, and wait for it (its cache must be complete)."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _scan(
    work: Path, truth: Truth, port: int, password: str, output: Path, *, everything: bool
) -> int:
    chosen = (" all = yes",) if everything else tuple(f" {plugin} = yes" for plugin in SCANNERS)
    scanners = "\n".join(chosen)
    plugins = "begin(PLUGIN_SET)\n all = yes\nend(PLUGIN_SET)\n" if everything else ""
    (work / "nessusrc").write_text(
        f"trusted_ca = {work / 'state' / 'tls' / 'cacert.pem'}\n"
        "begin(SERVER_PREFS)\n"
        f" port_range = {port_range(truth)}\n"
        " max_hosts = 4\n max_checks = 8\n safe_checks = yes\n"
        "end(SERVER_PREFS)\n"
        "begin(PLUGINS_PREFS)\n"
        f" {TRUSTED_CA_PREFERENCE} = {state_dir() / 'tls' / 'ca.pem'}\n"
        "end(PLUGINS_PREFS)\n"
        f"begin(SCANNER_SET)\n{scanners}\nend(SCANNER_SET)\n{plugins}"
    )
    targets = work / "targets"
    targets.write_text("".join(f"{host.address}\n" for host in truth.hosts.values()))
    argv = [_bin("ixion"), "-q", "-T", "nbe", "-c", str(work / "nessusrc"), "127.0.0.1"]
    argv += [str(port), "netlab", password, str(targets), str(output.resolve())]
    print(f"netlab: scanning {' '.join(h.address for h in truth.hosts.values())}", flush=True)
    begun = time.monotonic()
    done = subprocess.run(argv, check=False)
    print(f"netlab: ixion -q took {time.monotonic() - begun:.1f} s (status {done.returncode})")
    print(f"netlab: report in {output} (score it: scripts/lab score {output})")
    return done.returncode
