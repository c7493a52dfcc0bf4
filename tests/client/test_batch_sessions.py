"""``ixion -q -s`` and ``ixion -q -R`` against a real ixiond: sessions listed, one restored and
its report written (the nessus 2.2.5 client restored but wrote nothing), detached scans listed
and stopped. The scans use the reporting plugins of :mod:`tests.server.keeping_harness`."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from ixion.reports.nbe import read_nbe
from tests.server.keeping_harness import (
    STREAM,
    SUMMARY,
    keeping_daemon,
    log_in,
    runs,
    scan,
    scan_preferences,
)
from tests.server.test_daemon import BIN, PATIENCE, free_port, running

RC = "ssl_version = NONE\n"


def ixion(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ixion"), *map(str, args)],
        text=True,
        capture_output=True,
        timeout=PATIENCE * 3,
        check=False,
    )


def test_sessions_are_listed_and_one_is_restored_into_a_report(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    marker = tmp_path / "runs"
    rc = tmp_path / "nessusrc"
    rc.write_text(RC + f"begin(PLUGIN_SET)\n {STREAM} = yes\n {SUMMARY} = yes\nend(PLUGIN_SET)\n")
    port = free_port()
    server = ("127.0.0.1", str(port), "tester", "testpass")

    async def saved_scan() -> None:
        client = await log_in(port)
        await scan(client, "127.0.0.1, 127.0.0.2", scan_preferences(marker, save_session="yes"))
        await client.close()

    with running(config, port):
        asyncio.run(asyncio.wait_for(saved_scan(), 60))
        listed = ixion("-q", "-s", "-c", rc, *server)
        assert listed.returncode == 0, listed.stderr
        ((name, targets),) = [line.split(" ", 1) for line in listed.stdout.splitlines()]
        assert targets == "127.0.0.1, 127.0.0.2"
        report = tmp_path / "restored.nbe"
        restored = ixion("-q", "-R", name, "-c", rc, *server, report)
        assert restored.returncode == 0, restored.stderr
        missing = ixion("-q", "-R", "20200101-000000", "-c", rc, *server, tmp_path / "no.nbe")
    results = read_nbe(report.read_bytes())
    assert sorted({f.host for f in results.findings}) == ["127.0.0.1", "127.0.0.2"]
    texts = sorted(f.text for f in results.findings if f.host == "127.0.0.1")
    qod = "Quality of detection: 70%\n"
    assert texts == sorted(
        [
            *(f"finding {i} on 127.0.0.1\n{qod}" for i in range(5)),
            f"127.0.0.1 saw 5 findings, old: \n{qod}",
        ]
    )
    assert len(runs(marker)) == 4  # the restore ran nothing
    assert "no session 20200101-000000" in missing.stderr


def test_detached_scans_are_listed_and_stopped(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    rc = tmp_path / "nessusrc"
    rc.write_text(
        RC
        + "begin(SERVER_PREFS)\n detached_scan = yes\n stream_count = 500\n"
        + " stream_delay = 0.05\nend(SERVER_PREFS)\n"
        + f"begin(PLUGIN_SET)\n {STREAM} = yes\nend(PLUGIN_SET)\n"
    )
    targets = tmp_path / "targets"
    targets.write_text("127.0.0.3\n")
    port = free_port()
    server = ("127.0.0.1", str(port), "tester", "testpass")
    with running(config, port):
        started = ixion("-q", "-c", rc, *server, targets, tmp_path / "empty.nbe")
        assert started.returncode == 0, started.stderr
        listed = ixion("-q", "-s", "--detached", "-c", rc, *server)
        ((number, target),) = [line.split(" ", 1) for line in listed.stdout.splitlines()]
        assert target == "127.0.0.3"
        stopped = ixion("-q", "-s", "--detached", "--stop-detached", number, "-c", rc, *server)
        wrong = ixion("-q", "-s", "--detached", "--stop-detached", "999", "-c", rc, *server)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout == ""
    assert wrong.returncode == 1
    assert "no detached scan 999" in wrong.stderr
