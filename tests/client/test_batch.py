"""``ixion -q`` against nessusd 2.2.5's recorded answers: the same scan, the same report.

The replay server plays the server side of a conversation captured between the nessus 2.2.5
batch client and nessusd 2.2.5; ixion's batch client takes the place of nessus 2.2.5 and must
write the very NBE file nessus 2.2.5 wrote from it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from ixion.client.cli import batch, main
from tests.client.replay import ReplayServer
from tests.transcripts import TRANSCRIPTS, load

SCAN = "nessus225-client_vs_nessusd225_plain_scan"
#: The rc file nessus 2.2.5 ran with in that capture (its PREFERENCES block shows it).
RCFILE = """\
ssl_version = NONE
begin(SERVER_PREFS)
 max_hosts = 2
 max_checks = 2
 silent_dependencies = no
 safe_checks = yes
 port_range = default
end(SERVER_PREFS)
begin(PLUGIN_SET)
 90002 = yes
end(PLUGIN_SET)
begin(SCANNER_SET)
 90001 = yes
end(SCANNER_SET)
"""


@contextmanager
def replayed(name: str) -> Iterator[ReplayServer]:
    """A replay server on its own event loop in a thread (the client runs asyncio.run)."""
    loop = asyncio.new_event_loop()
    server = ReplayServer(load(TRANSCRIPTS / f"{name}.raw.txt"))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _scan_files(tmp_path: Path) -> tuple[Path, Path]:
    rc = tmp_path / "nessusrc"
    rc.write_text(RCFILE)
    targets = tmp_path / "targets.txt"
    targets.write_text("127.0.0.1\n")
    return rc, targets


def test_batch_scan_writes_the_nbe_nessus_wrote(tmp_path: Path) -> None:
    rc, targets = _scan_files(tmp_path)
    report = tmp_path / "report.nbe"
    with replayed(SCAN) as server:
        args = ["-q", "-c", str(rc), "127.0.0.1", str(server.port), "tester", "testpass"]
        result = CliRunner().invoke(batch, [*args, str(targets), str(report)])
    assert result.exit_code == 0, result.output
    assert report.read_bytes() == (TRANSCRIPTS / "nessus225-client_scan.nbe").read_bytes()
    assert [msg.TYPE for msg in server.received] == [
        "BANNER",
        "USER",
        "PASSWORD",
        "SESSIONS_LIST",
        "PREFERENCES",
        "RULES",
        "LONG_ATTACK",
    ]


def test_batch_scan_text_report_and_progress_lines(tmp_path: Path) -> None:
    rc, targets = _scan_files(tmp_path)
    report = tmp_path / "report.txt"
    with replayed(SCAN) as server:
        args = ["-q", "-V", "-c", str(rc), "127.0.0.1", str(server.port), "tester", "testpass"]
        result = CliRunner().invoke(batch, [*args, str(targets), str(report)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "attack|127.0.0.1|2|2",
        "portscan|127.0.0.1|1|1",
        "attack|127.0.0.1|3|2",
        "finished|127.0.0.1||||",
    ]
    text = report.read_text()
    assert "Test hole on 127.0.0.1" in text
    assert "blackice-icecap (8081/tcp)" in text


def test_plugin_listing_prints_one_escaped_line_per_plugin(tmp_path: Path) -> None:
    rc, _ = _scan_files(tmp_path)
    with replayed("nessus225-client_vs_nessusd225_plain_plist") as server:
        args = ["-q", "-p", "-c", str(rc), "127.0.0.1", str(server.port), "tester", "testpass"]
        result = CliRunner().invoke(batch, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "90002|General|Peers HTTP banner check|infos|Public domain test plugin|"
        "HTTP banner grabber|$Revision: 1.0 $|CVE-1999-0001|1||"
        "Reads the Server: banner of a web server.\\n\\nRisk factor : Low",
        "90001|Port scanners|Peers tiny TCP scanner|scanner|Public domain test plugin|"
        "tiny connect() scanner|$Revision: 1.0 $||||"
        "Connects to a few TCP ports on the target and reports the open ones.",
    ]


def test_preference_listing_prints_name_equals_value(tmp_path: Path) -> None:
    rc, _ = _scan_files(tmp_path)
    with replayed("nessus225-client_vs_nessusd225_plain_prefs") as server:
        args = ["-q", "-P", "-c", str(rc), "127.0.0.1", str(server.port), "tester", "testpass"]
        result = CliRunner().invoke(batch, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "max_hosts = 30"
    assert "Peers tiny TCP scanner[entry]:Ports to scan : = 1241,8081,9" in lines


def test_wrong_argument_count_is_an_error() -> None:
    result = CliRunner().invoke(batch, ["-q", "127.0.0.1", "1241"])
    assert result.exit_code == 1
    assert "expected 6 arguments, got 2" in result.stderr


def test_unreachable_server_is_an_error(tmp_path: Path) -> None:
    rc, targets = _scan_files(tmp_path)
    with replayed(SCAN) as server:
        port = server.port
    args = ["-q", "-c", str(rc), "127.0.0.1", str(port), "tester", "testpass"]
    result = CliRunner().invoke(batch, [*args, str(targets), str(tmp_path / "r.nbe")])
    assert result.exit_code == 1
    assert "cannot connect to 127.0.0.1" in result.stderr


def test_the_entry_point_sends_q_to_the_batch_client(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["-q", "--help"])
    assert exited.value.code == 0
    assert "HOST PORT USER PASSWORD TARGETS-FILE RESULT-FILE" in capsys.readouterr().out


def test_the_entry_point_sends_the_rest_to_the_subcommands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    assert "ntp-decode" in capsys.readouterr().out
