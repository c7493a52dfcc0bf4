"""``ixion report convert`` and ``ixion report show``, run as a person runs them.

Round trips: an NBE file converted into every format ixion reads back and then back to NBE
must be the very same file where the format is lossless (NBE, JSON, JSON Lines); through
NSR it keeps every open port and finding (spec §9.4 says what NSR cannot carry).
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ixion.client.cli import cli
from ixion.reports import Finding, OpenPort, read_nbe, report_formats, write_nbe
from tests.reports.hostile import HOSTILE_RESULTS
from tests.server.test_daemon import BIN
from tests.transcripts import TRANSCRIPTS

NESSUS_NBE = (TRANSCRIPTS / "nessus225-client_scan.nbe").read_bytes()
HOSTILE_NBE = write_nbe(HOSTILE_RESULTS)
_READABLE = [f for f in report_formats().values() if f.read is not None]


def _convert(*args: str | Path) -> None:
    done = CliRunner().invoke(cli, ["report", "convert", *map(str, args)])
    assert done.exit_code == 0, done.output


def _places(nbe: bytes) -> list[tuple[str, ...]]:
    """What NSR keeps of each open port and finding, texts aside, sorted."""
    places: list[tuple[str, ...]] = []
    for event in read_nbe(nbe).events:
        if isinstance(event, Finding):
            places.append((event.host, event.port, event.severity.value, str(event.plugin_id)))
        elif isinstance(event, OpenPort):
            places.append((event.host, event.port))
    return sorted(places)


@pytest.mark.parametrize("nbe", [NESSUS_NBE, HOSTILE_NBE], ids=["nessusd", "hostile"])
@pytest.mark.parametrize("name", [f.name for f in _READABLE])
def test_nbe_converts_to_every_readable_format_and_back(
    nbe: bytes, name: str, tmp_path: Path
) -> None:
    original = tmp_path / "scan.nbe"
    original.write_bytes(nbe)
    converted = tmp_path / f"scan{report_formats()[name].extension}"
    back = tmp_path / "back.nbe"
    _convert(original, converted)
    _convert(converted, back)
    if name != "nsr":
        assert back.read_bytes() == nbe
        return
    # NSR groups lines by subnet, so only the order within one subnet is kept.
    assert _places(back.read_bytes()) == _places(nbe)
    again = tmp_path / "again.nsr"
    _convert(back, again)
    assert again.read_bytes() == converted.read_bytes()


def test_from_and_to_name_the_formats_of_standard_input_and_output() -> None:
    done = subprocess.run(
        [BIN / "ixion", "report", "convert", "--to", "jsonl", "-", "-"],
        input=NESSUS_NBE,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == report_formats()["jsonl"].write(read_nbe(NESSUS_NBE))
    back = subprocess.run(
        [BIN / "ixion", "report", "convert", "--from", "jsonl", "-", "-"],
        input=done.stdout,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert back.stdout == NESSUS_NBE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["convert", "scan.nbe", "scan.tex"], "does not write nessus' tex reports (LaTeX)"),
        (["convert", "--to", "pdf", "scan.nbe", "out"], "unknown report format 'pdf'"),
        (["convert", "scan.csv", "out.nbe"], "csv reports cannot be read back"),
        (["convert", "scan", "out.nbe"], "cannot tell the format of scan"),
        (["convert", "missing.nbe", "out.nbe"], "cannot read missing.nbe"),
        (["show", "missing.json"], "cannot read missing.json"),
        (["show", "--from", "nsr", "scan.nbe"], "scan.nbe is not a valid nsr report"),
    ],
)
def test_mistakes_are_explained_and_exit_1(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("scan.nbe").write_bytes(NESSUS_NBE)
    done = CliRunner().invoke(cli, ["report", *args])
    assert done.exit_code == 1
    assert done.stderr.startswith("ixion report: ")
    assert message in done.stderr
    assert not Path("out.nbe").exists()


def test_show_prints_plain_text_into_a_pipe(tmp_path: Path) -> None:
    report = tmp_path / "hostile.json"
    report.write_bytes(report_formats()["json"].write(HOSTILE_RESULTS))
    done = subprocess.run(
        [BIN / "ixion", "report", "show", report],
        capture_output=True,
        timeout=60,
        check=True,
        env={**os.environ, "COLUMNS": "60"},
    )
    text = done.stdout.decode()
    assert text.startswith(
        f"{report}: 4 hosts, 5 findings (1 hole, 1 warning, 1 note, 1 log, 1 debug), 1 open port"
    )
    assert "\x1b" not in text
    assert "\\x1b[31mred" in text
    assert "Services <script>alert('x')</script>" in text  # the plugin's name, from the JSON


def _on_a_terminal(*args: str | Path, no_color: bool) -> bytes:
    """What ``ixion ARGS`` writes to a pseudo-terminal, as a person's terminal would get it."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="120", **({"NO_COLOR": "1"} if no_color else {}))
    controller, terminal = pty.openpty()
    with subprocess.Popen([BIN / "ixion", *args], stdout=terminal, env=env) as proc:
        os.close(terminal)
        output = bytearray()
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the program ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
        os.close(controller)
        assert proc.wait(60) == 0
    return bytes(output)


@pytest.mark.parametrize("no_color", [False, True])
def test_show_draws_a_table_on_a_terminal_in_colour_unless_no_color(
    no_color: bool, tmp_path: Path
) -> None:
    report = tmp_path / "scan.nbe"
    report.write_bytes(NESSUS_NBE)
    shown = _on_a_terminal("report", "show", report, no_color=no_color).decode()
    assert "┏" in shown
    assert "HOLE" in shown
    colour_codes = [
        code
        for params in re.findall(r"\x1b\[([0-9;]*)m", shown)
        for code in params.split(";")
        if code and (30 <= int(code) <= 49 or 90 <= int(code) <= 107)
    ]
    assert bool(colour_codes) is not no_color


@pytest.mark.parametrize("command", [["report"], ["report", "convert"], ["report", "show"], ["-q"]])
def test_every_report_command_has_help_with_examples(command: list[str]) -> None:
    done = subprocess.run(
        [BIN / "ixion", *command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    examples = done.stdout.split("Examples:")[1]
    assert examples.count("    ixion ") >= 2
