"""The embedded scan stops as a client stops ixiond's: Ctrl-C keeps what was found and ends
every worker, and a host over its ``--host-timeout`` is stopped alone. A service that sends
its greeting a byte at a time keeps service detection (and so the scan) busy for seconds,
which gives the tests a scan to interrupt at a known point. A host lost mid-scan makes the
scan exit as failed, with its reports written."""

from __future__ import annotations

import select
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ixion.reports.json_report import read_json
from ixion.reports.jsonl_report import read_jsonl
from ixion.reports.nbe import read_nbe
from tests.app.helpers import (
    IXION,
    alive,
    assert_lost_host_reported,
    descendants,
    port_list,
    run_ixion,
    scan_environment,
)
from tests.lab import FtpService, Lab, ScriptedService, scripted
from tests.server.test_host_failures import HOG_ID, HOG_PLUGIN

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Service detection and anonymous FTP, with the TCP connect scanner.
PLUGINS = "10335,90000010,90000022"


@pytest.fixture(scope="module")
def slow_lab() -> Iterator[dict[str, int]]:
    services = {
        "ftp": FtpService(),
        "slow": ScriptedService(scripted.drip(b"220 slow\r\n", 0.5, forever=True)),
    }
    with Lab(services) as lab:
        yield lab.ports


def _command_lines(pids: set[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return lines


def _wait_for_line(process: subprocess.Popen[str], wanted: str, seconds: float) -> list[str]:
    """Standard error's lines up to the first that contains ``wanted``."""
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.2)
        if ready:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if wanted in line:
                return lines
    process.kill()
    raise AssertionError(f"no {wanted!r} in {''.join(lines)}")


def test_ctrl_c_stops_the_scan_writes_what_was_found_and_leaves_no_process(
    tmp_path: Path, slow_lab: dict[str, int]
) -> None:
    ports = port_list(slow_lab.values())
    args = ["scan", "127.0.0.1", "-p", ports, "--plugins", PLUGINS]
    outputs = ["-o", "x.jsonl", "-o", "x.nbe", "-o", "x.json"]
    process = subprocess.Popen(
        [str(IXION), *args, *outputs],
        cwd=tmp_path,
        env=scan_environment(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = _wait_for_line(process, f"open port ftp ({slow_lab['ftp']}/tcp)", 60)
        # JSON Lines streams: the port is in the file while the scan still runs.
        streamed = read_jsonl((tmp_path / "x.jsonl").read_bytes())
        assert [p.port for p in streamed.open_ports] == [f"ftp ({slow_lab['ftp']}/tcp)"]
        tree = descendants(process.pid)
        commands = _command_lines(tree)
        assert any("ixion.engine.zygote" in line for line in commands), commands
        assert len(tree) >= 2, commands  # the fork server and the host's worker
        assert not any("ixiond" in line for line in commands)
        interrupted_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, "".join(before) + err
    assert time.monotonic() - interrupted_at < 15
    assert out == ""
    assert "interrupted: stopping the scan" in err
    assert "ixion: interrupted: partial results" in err
    assert "127.0.0.1  stopped" in err
    assert not alive(tree), _command_lines(tree)
    # What was found is in every report: both ports (the slow one unnamed, its detection
    # stopped), and the FTP server's detection.
    results = read_nbe((tmp_path / "x.nbe").read_bytes())
    assert {p.port for p in results.open_ports} == {
        f"ftp ({slow_lab['ftp']}/tcp)",
        f"unknown ({slow_lab['slow']}/tcp)",
    }
    assert read_json((tmp_path / "x.json").read_bytes()).events == results.events
    assert read_jsonl((tmp_path / "x.jsonl").read_bytes()).events == results.events
    assert results.timestamps[-1].kind.value == "scan_end"


def test_a_host_over_its_time_is_stopped_and_keeps_its_results(
    tmp_path: Path, slow_lab: dict[str, int]
) -> None:
    started = time.monotonic()
    done = run_ixion(
        ["scan", "127.0.0.1", "-p", port_list(slow_lab.values()), "--plugins", PLUGINS,
         "--host-timeout", "2", "-o", "x.nbe"],
        tmp_path,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert took < 9  # the slow port alone keeps detection busy for 10 s
    assert "127.0.0.1: timed out after 2 s in" in done.stderr
    results = read_nbe((tmp_path / "x.nbe").read_bytes())
    assert f"ftp ({slow_lab['ftp']}/tcp)" in {p.port for p in results.open_ports}
    kinds = [t.kind.value for t in results.timestamps]
    assert kinds == ["scan_start", "host_start", "host_end", "scan_end"]


def test_a_host_whose_scan_failed_writes_the_reports_and_exits_3(
    tmp_path: Path, slow_lab: dict[str, int]
) -> None:
    # A check that runs its worker out of memory: the host is lost, not finished, and a CI
    # gate must not read the scan as clean.
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hog_check.py").write_text(HOG_PLUGIN)
    done = run_ixion(
        ["scan", "127.0.0.1", "-p", str(slow_lab["ftp"]), "--plugins-dir", str(folder),
         "--plugins", f"90000010,{HOG_ID}", "--fail-on", "hole", "-o", "x.nbe"],
        tmp_path,
    )  # fmt: skip
    assert_lost_host_reported(done, tmp_path / "x.nbe")
