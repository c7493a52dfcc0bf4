"""``ixion scan --server``: the same command, run by a real ixiond over NTP, the account read
from a file or the environment and never from the command line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from ixion.app.main import ixion_group
from ixion.app.remote import LoginError, parse_server, read_login
from ixion.app.reporting import failed_host
from ixion.reports.nbe import read_nbe
from ixion.reports.results import Severity
from tests.app.helpers import assert_lost_host_reported, run_ixion, scan_environment
from tests.lab import FtpService, Lab, reserved_closed_ports
from tests.server.test_daemon import add_user, free_port, running, write_config
from tests.server.test_host_failures import HOG_ID, HOG_PLUGIN

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FTP_CHECKS = "10335,90000010,90000022"


@pytest.fixture(scope="module")
def ftp_port() -> Iterator[int]:
    with Lab({"ftp": FtpService()}) as lab:
        yield lab.ports["ftp"]


def test_a_scan_through_ixiond_reports_and_exits_as_an_embedded_one(
    tmp_path: Path, ftp_port: int
) -> None:
    config = write_config(tmp_path)
    add_user(config, "alice", "wonder land")
    (tmp_path / "login.toml").write_text('user = "alice"\npassword = "wonder land"\n')
    port = free_port()
    args = ["scan", "127.0.0.1", "-p", str(ftp_port), "--plugins", FTP_CHECKS, "--fail-on",
            "warning", "--server", f"tcp://127.0.0.1:{port}"]  # fmt: skip
    with running(config, port):
        by_file = run_ixion([*args, "--credentials-file", "login.toml", "-o", "f.nbe"], tmp_path)
        environ = scan_environment(tmp_path, IXION_USER="alice", IXION_PASSWORD="wonder land")
        by_env = run_ixion([*args, "-o", "e.nbe"], tmp_path, env=environ)
        refused = run_ixion(
            [*args, "-o", "r.nbe"],
            tmp_path,
            env=scan_environment(tmp_path, IXION_USER="alice", IXION_PASSWORD="wrong"),
        )
    assert by_file.returncode == 1, by_file.stderr  # anonymous FTP is a warning
    assert f"scanning 127.0.0.1 through tcp://127.0.0.1:{port}" in by_file.stderr
    assert "ixion: 127.0.0.1: started" in by_file.stderr
    assert f"ixion: 127.0.0.1: open port ftp ({ftp_port}/tcp)" in by_file.stderr
    for name in ("f.nbe", "e.nbe"):
        results = read_nbe((tmp_path / name).read_bytes())
        assert [p.port for p in results.open_ports] == [f"ftp ({ftp_port}/tcp)"]
        anonymous = [f for f in results.findings if f.plugin_id == "90000022"]
        assert [f.severity for f in anonymous] == [Severity.WARNING]
    assert by_env.returncode == 1, by_env.stderr
    assert refused.returncode == 3
    assert "ixion: tcp://127.0.0.1" in refused.stderr
    # The account was never on a command line: the daemon's log names the user it served.
    assert "alice" in (tmp_path / "ixiond.log").read_text()


def test_the_account_comes_from_a_file_or_the_environment(tmp_path: Path) -> None:
    login = tmp_path / "login.toml"
    login.write_text('user = "bob"\npassword = ""\n')
    assert read_login(login, {}) == ("bob", "")
    assert read_login(None, {"IXION_USER": "carol", "IXION_PASSWORD": "pw"}) == ("carol", "pw")
    with pytest.raises(LoginError, match="IXION_USER and IXION_PASSWORD"):
        read_login(None, {"IXION_USER": "carol"})
    login.write_text('user = "bob"\n')
    with pytest.raises(LoginError, match="needs user"):
        read_login(login, {})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("scanner.example.org", ("scanner.example.org", 1241, True)),
        ("tls://10.0.0.2:9391", ("10.0.0.2", 9391, True)),
        ("tcp://127.0.0.1:1241", ("127.0.0.1", 1241, False)),
        ("[2001:db8::5]:1241", ("2001:db8::5", 1241, True)),
    ],
)
def test_server_addresses(url: str, expected: tuple[str, int, bool]) -> None:
    assert parse_server(url) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "http://x"], "is not [tls://|tcp://]HOST[:PORT]"),
        (["--server", "x:99999"], "is not a port"),
        (["--server", "x", "--host-timeout", "5"], "need the embedded engine"),
        (["--server", "x"], "needs an account"),
        (["--credentials-file", "login.toml"], "go with --server"),
    ],
)
def test_server_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IXION_USER", raising=False)
    (tmp_path / "login.toml").write_text('user = "a"\npassword = "b"\n')
    # Should a check let one through, the scan meets a port held closed by this test.
    with reserved_closed_ports(1) as (closed,):
        done = CliRunner().invoke(ixion_group(), ["scan", "127.0.0.1", "-p", str(closed), *args])
    assert done.exit_code == 2, done.output
    assert message in done.output


def test_a_scan_through_ixiond_streams_json_lines_and_names_plugins_from_the_server(
    tmp_path: Path, ftp_port: int
) -> None:
    """The server's plugin list gives reports their plugin facts, as the embedded scan's
    own plugins do: a ``plugin`` line before the plugin's first finding, families and
    solutions in the JSON report."""
    config = write_config(tmp_path)
    add_user(config, "alice", "wonder land")
    port = free_port()
    environ = scan_environment(tmp_path, IXION_USER="alice", IXION_PASSWORD="wonder land")
    args = ["scan", "127.0.0.1", "-p", str(ftp_port), "--plugins", FTP_CHECKS,
            "--server", f"tcp://127.0.0.1:{port}", "-o", "s.jsonl", "-o", "s.json"]  # fmt: skip
    with running(config, port):
        done = run_ixion(args, tmp_path, env=environ)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert lines[0] == {"format": "ixion-events", "schema_version": 1}
    events = [(line.get("event"), line.get("id") or line.get("plugin_id")) for line in lines]
    assert events.index(("plugin", "90000022")) < events.index(("finding", "90000022"))
    named = {line["id"]: line for line in lines[1:] if line.get("event") == "plugin"}
    assert named["90000022"]["family"]
    report = json.loads((tmp_path / "s.json").read_text())
    facts = {plugin["id"]: plugin for plugin in report["plugins"]}
    assert facts["90000022"]["name"] == named["90000022"]["name"]
    assert facts["90000022"]["family"] == named["90000022"]["family"]


def test_a_host_the_server_lost_makes_the_scan_exit_3_with_its_reports(
    tmp_path: Path, ftp_port: int
) -> None:
    """ixiond's E004 for a host whose worker ran out of memory is a failed scan here too."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hog_check.py").write_text(HOG_PLUGIN)
    config = write_config(tmp_path, f"plugins_folder = {folder}\n")
    add_user(config, "alice", "wonder land")
    port = free_port()
    environ = scan_environment(tmp_path, IXION_USER="alice", IXION_PASSWORD="wonder land")
    args = ["scan", "127.0.0.1", "-p", str(ftp_port), "--plugins", f"90000010,{HOG_ID}",
            "--server", f"tcp://127.0.0.1:{port}", "-o", "h.nbe"]  # fmt: skip
    with running(config, port):
        done = run_ixion(args, tmp_path, env=environ)
    assert_lost_host_reported(done, tmp_path / "h.nbe")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("E004 - Scan of 198.18.0.5 failed: SIGKILL", ("198.18.0.5", "SIGKILL")),
        ("E004 - Scan of ::1 failed: plugin 7 failed: oom", ("::1", "plugin 7 failed: oom")),
        ("E004 - Scan of a b failed: x", None),
        ("E004 - Scan of  failed: x", None),
        ("E003 - Invalid target specification: a/99", None),
        ("E004 - Scan of h", None),
    ],
)
def test_a_host_failure_is_read_from_its_error(
    error: str, expected: tuple[str, str] | None
) -> None:
    assert failed_host(error) == expected
