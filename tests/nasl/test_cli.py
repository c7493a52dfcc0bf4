"""``ixion-nasl``: running scripts, KB presets, reports, tracing and ``--parse-only``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from click.testing import CliRunner

from ixion.nasl.cli import cli, kb_item
from tests.lab import HttpService

if TYPE_CHECKING:
    from pathlib import Path


def test_kb_items_are_ints_when_all_digits() -> None:
    assert kb_item("Ports/tcp/80=1") == ("Ports/tcp/80", 1)
    assert kb_item("www/banner=Apache 2") == ("www/banner", b"Apache 2")


def test_a_script_runs_against_the_target_with_a_preset_kb(tmp_path: Path) -> None:
    (tmp_path / "lib.inc").write_bytes(
        b"function banner(p) { return recv_line(socket: p, length: 99); }\n"
    )
    script = tmp_path / "check.nasl"
    script.write_bytes(
        b'include("lib.inc");\n'
        b'port = get_kb_item("Services/www");\n'
        b"soc = open_sock_tcp(port);\n"
        b'send(socket: soc, data: http_head(item: "/", port: port));\n'
        b"display(banner(p: soc));\n"
        b'security_hole(port: port, data: "found " + get_kb_item("x"));\n'
        b"log_message(data: COMMAND_LINE);\n"
        b"nosuch();\n"
    )
    with HttpService() as http:
        result = CliRunner().invoke(
            cli,
            ["-t", "127.0.0.1", "-k", f"Services/www={http.port}", "-k", "x=it", str(script)],
        )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (
        b"HTTP/1.0 200 OK\r\n[HOLE] port %d/tcp: found it\n[LOG] general/tcp: 1\n" % http.port
    )
    assert f"{script}:8:1: warning: undefined function 'nosuch'" in result.stderr


def test_trace_and_errors_go_to_stderr(tmp_path: Path) -> None:
    script = tmp_path / "t.nasl"
    script.write_bytes(b"x = 1;\nif (x) {\n  display(x);\n}\ny = 1 / 0 + z[;\n")
    result = CliRunner().invoke(cli, ["-T", str(script)])
    assert result.exit_code == 1
    assert "t.nasl:5:" in result.stderr  # the syntax error, before anything runs
    script.write_bytes(b"x = 1;\nif (x) {\n  display(x);\n}\n")
    result = CliRunner().invoke(cli, ["-T", str(script)])
    assert result.exit_code == 0
    assert result.stdout == "1"
    assert result.stderr.splitlines() == [
        f"{script}:1: x = 1;",
        f"{script}:2: if (x) {{",
        f"{script}:3: display(x);",
    ]


def test_trusted_flag_enables_file_builtins(tmp_path: Path) -> None:
    (tmp_path / "data").write_bytes(b"content")
    script = tmp_path / "r.nasl"
    script.write_bytes(b'display(fread("%s"));' % bytes(tmp_path / "data"))
    denied = CliRunner().invoke(cli, [str(script)])
    assert denied.stdout == ""
    assert "fread() is not allowed in untrusted scripts" in denied.stderr
    allowed = CliRunner().invoke(cli, ["-X", str(script)])
    assert allowed.stdout == "content"


def test_parse_only_lists_each_error_and_counts(tmp_path: Path) -> None:
    (tmp_path / "good.nasl").write_bytes(b"x = 1;\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.inc").write_bytes(b"x = ;\n")
    (tmp_path / "notes.txt").write_bytes(b"x = ;\n")
    result = CliRunner().invoke(cli, ["--parse-only", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'sub' / 'bad.inc'}:1:5:" in result.stdout
    assert result.stdout.endswith("2 files parsed, 1 with errors\n")
    (tmp_path / "sub" / "bad.inc").unlink()
    assert CliRunner().invoke(cli, ["--parse-only", str(tmp_path)]).exit_code == 0


def test_no_script_is_a_usage_error() -> None:
    assert CliRunner().invoke(cli, []).exit_code == 2
    assert CliRunner().invoke(cli, ["-k", "novalue", "x"]).exit_code == 2
