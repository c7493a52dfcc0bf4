"""``scan``: ixion's own scan of the running lab, the demo's way, written as NBE.

ixiond runs on 127.0.0.1 (a port the kernel picks) with a fresh state directory in a
temporary folder, its generated defaults and certificates; a user whose rules accept only
198.18.0.0/24 scans the ground truth's addresses, on the ground truth's ports only (open and
closed, TCP and UDP), with the TCP ping, the TCP connect scanner and the UDP scanner and
every plugin on by default, trusting the lab CA. Then ixiond is stopped.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ixion.server.config import Locations, write_default_config
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


def run_scan_command(output: Path) -> int:
    if read_manifest(state_dir()) is None:
        print("netlab: the lab is not up (run: scripts/lab up)", file=sys.stderr)
        return 2
    truth = load_truth()
    with tempfile.TemporaryDirectory(prefix="ixion-netlab-scan-") as tmp:
        work = Path(tmp)
        conf, state = work / "ixiond.conf", work / "state"
        write_default_config(conf, Locations(config_file=conf, state_dir=state))
        subprocess.run(
            [_bin("ixion-mkcert"), "-c", str(conf), "--host", "127.0.0.1"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        password = secrets.token_urlsafe(16)
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
            return _scan(work, truth, port, password, output)
        finally:
            pid_file = state / "ixiond.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)


def _scan(work: Path, truth: Truth, port: int, password: str, output: Path) -> int:
    scanners = "\n".join(f" {plugin} = yes" for plugin in SCANNERS)
    (work / "nessusrc").write_text(
        f"trusted_ca = {work / 'state' / 'tls' / 'cacert.pem'}\n"
        "begin(SERVER_PREFS)\n"
        f" port_range = {port_range(truth)}\n"
        " max_hosts = 4\n max_checks = 8\n safe_checks = yes\n"
        "end(SERVER_PREFS)\n"
        "begin(PLUGINS_PREFS)\n"
        f" {TRUSTED_CA_PREFERENCE} = {state_dir() / 'tls' / 'ca.pem'}\n"
        "end(PLUGINS_PREFS)\n"
        f"begin(SCANNER_SET)\n{scanners}\nend(SCANNER_SET)\n"
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
