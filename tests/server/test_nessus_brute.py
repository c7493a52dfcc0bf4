"""nmap's nessus-brute NSE script against ixiond over TLS (issue 3's acceptance check).

The script (Debian's nmap 7.93) logs in with ``fast_login``, reads the version reply and the
``User : `` prompt with two separate reads, and counts a PREFERENCES_ERRORS answer as a valid
account. nessusd 2.2.5 passed it only when timing was lucky; ixiond must pass it every time.
Its port rule wants port 1241, so ixiond listens on 127.0.0.1:1241 for this test, with login
throttling turned off so that the runs do not slow each other down.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.server.test_daemon import BIN, PATIENCE, add_user, running, write_config

NESSUS_PORT = 1241
RUNS = 3


def test_nmap_nessus_brute_finds_the_account_and_rejects_wrong_passwords_every_time(
    tmp_path: Path,
) -> None:
    nmap = shutil.which("nmap")
    assert nmap is not None, "nmap is missing (./scripts/test installs Debian's nmap)"
    with socket.socket() as probe:
        # As ixiond does: connections in TIME_WAIT from earlier runs must not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", NESSUS_PORT))
        except OSError as exc:
            pytest.fail(f"127.0.0.1:{NESSUS_PORT} is taken, the script needs it: {exc}")
    # Throttling is not what this test is about (test_login_limits is): left on, the name
    # "admin", which never logs in, piles up failures over the runs, and how long the last run
    # waits then depends on the order the script's threads happen to try the pairs in.
    config = write_config(tmp_path, "login_failures_allowed = 1000\n")
    subprocess.run(
        [BIN / "ixion-mkcert", "-c", config], check=True, capture_output=True, timeout=PATIENCE
    )
    config.write_text(config.read_text().replace("ssl_version = NONE", "ssl_version = TLSv1"))
    add_user(config, "tester", "testpass")
    users = tmp_path / "users.txt"
    users.write_text("tester\nadmin\n")
    passwords = tmp_path / "passwords.txt"
    passwords.write_text("wrong1\ntestpass\nwrong2\n")
    args = f"userdb={users},passdb={passwords},brute.firstonly=false"
    command = [nmap, "-Pn", "-n", "-p", str(NESSUS_PORT), "--script", "nessus-brute"]
    with running(config, NESSUS_PORT, plain=False):
        for _ in range(RUNS):
            result = subprocess.run(
                [*command, "--script-args", args, "127.0.0.1"],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            assert "tester:testpass - Valid credentials" in result.stdout, result.stdout
            assert result.stdout.count("Valid credentials") == 1, result.stdout
    log = (tmp_path / "ixiond.log").read_text()
    assert log.count("user tester logged in") == RUNS
    assert log.count("bad login attempt from 127.0.0.1") >= RUNS * 2
