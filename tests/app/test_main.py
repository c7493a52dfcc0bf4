"""The ``ixion`` entry point: ``scan`` joins the client's commands, and ``ixion -q`` stays the
batch client it was, byte for byte."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from ixion.app.main import ixion_group, main
from tests.app.helpers import IXION
from tests.client.test_batch import SCAN, _scan_files, replayed
from tests.transcripts import TRANSCRIPTS

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_ixion_is_the_app_entry_point() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["ixion"] == "ixion.app.main:main"
    assert "from ixion.app.main import main" in IXION.read_text()


def test_ixion_q_still_writes_the_nbe_nessus_wrote(tmp_path: Path) -> None:
    """The installed command, through the new entry point, against nessusd 2.2.5's answers."""
    rc, targets = _scan_files(tmp_path)
    report = tmp_path / "report.nbe"
    with replayed(SCAN) as server:
        args = ["-q", "-c", str(rc), "127.0.0.1", str(server.port), "tester", "testpass"]
        done = subprocess.run(
            [str(IXION), *args, str(targets), str(report)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert report.read_bytes() == (TRANSCRIPTS / "nessus225-client_scan.nbe").read_bytes()


def test_a_short_option_with_q_after_scan_is_the_scan_s_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``ixion scan HOST -q``: a quiet scan. The client would take any ``-q`` for batch
    mode and complain about its argument count."""
    with pytest.raises(SystemExit) as exited:
        main(["scan", "127.0.0.1", "-q", "-p", "S:1"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "SCTP ports (S:) cannot be scanned" in err
    assert "expected" not in err


def test_help_lists_scan_beside_the_client_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "scan" in out
    assert "ntp-decode" in out
    with pytest.raises(SystemExit):
        main(["-q", "--help"])
    assert "HOST PORT USER PASSWORD TARGETS-FILE RESULT-FILE" in capsys.readouterr().out


def test_scan_help_shows_examples_safety_and_exit_codes() -> None:
    done = subprocess.run(
        [str(IXION), "scan", "--help"], capture_output=True, text=True, check=False, timeout=30
    )
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for words in (
        "Examples:",
        "--fail-on hole",
        "Default ports: TCP 21, 22, 23",
        "UDP 53, 69, 123",
        "Safety:",
    ):
        assert words in text
    assert "2 usage error; 3 the scan, a host's scan or a report failed" in text
    assert "130 interrupted" in text
    # Adding the command again (the entry point called twice in one process) changes nothing.
    assert ixion_group() is ixion_group()
    assert list(ixion_group().commands).count("scan") == 1
