"""On a terminal ``ixion scan`` draws a live table on standard error and ends with a summary
table; ``NO_COLOR`` takes the colour away and leaves the tables. Standard error is a real
pseudo-terminal here, as a user's would be."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from ixion.reports.nbe import read_nbe
from ixion.reports.results import Severity
from tests.app.helpers import IXION, SCAN_TIMEOUT, scan_environment
from tests.lab import FtpService, Lab

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: An SGR sequence that sets a foreground colour (standard, bright, 256 or true colour).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")


@pytest.fixture(scope="module")
def ftp_port() -> Iterator[int]:
    with Lab({"ftp": FtpService()}) as lab:
        yield lab.ports["ftp"]


def scan_on_a_terminal(tmp_path: Path, port: int, **environ: str) -> tuple[int, str]:
    """Scan with standard error on a pseudo-terminal; the exit status and what it showed."""
    master, slave = pty.openpty()
    env = scan_environment(tmp_path, TERM="xterm-256color", COLUMNS="120", LINES="40", **environ)
    process = subprocess.Popen(
        [str(IXION), "scan", "127.0.0.1", "-p", str(port), "--plugins", "10335,90000010,90000022",
         "-o", "x.nbe"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )  # fmt: skip
    os.close(slave)
    shown = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
        status = process.wait(timeout=SCAN_TIMEOUT)
    return status, shown.decode("utf-8", "replace")


def test_a_terminal_gets_a_live_table_and_a_summary(tmp_path: Path, ftp_port: int) -> None:
    status, shown = scan_on_a_terminal(tmp_path, ftp_port)
    assert status == 0
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert "scanning 127.0.0.1 (1 host)" in plain
    # The live table's header and a row for the host, redrawn in place (cursor moves).
    assert re.search(r"host\s+ports\s+checks\s+holes\s+warn\s+notes\s+running", plain)
    assert "Ctrl-C stops and keeps what was found" in plain
    assert "\x1b[2K" in shown or "\x1b[1A" in shown
    # The summary table, with the counts of the report.
    results = read_nbe((tmp_path / "x.nbe").read_bytes())
    assert "scan summary" in plain
    row = re.search(r"127\.0\.0\.1\s*│\s*done\s*│[^│]*│\s*1\s*│\s*0\s*│\s*(\d+)\s*│\s*(\d+)", plain)
    assert row, plain
    assert (int(row[1]), int(row[2])) == (
        results.count(Severity.WARNING),
        results.count(Severity.NOTE),
    )
    assert "report: x.nbe" in plain
    assert COLOUR.search(shown)


def test_no_color_keeps_the_tables_and_drops_the_colour(tmp_path: Path, ftp_port: int) -> None:
    status, shown = scan_on_a_terminal(tmp_path, ftp_port, NO_COLOR="1")
    assert status == 0
    assert "scan summary" in shown
    assert not COLOUR.search(shown), repr(shown[:2000])
