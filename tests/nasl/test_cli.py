"""``ixion-nasl``: running scripts, KB presets, reports, tracing, ``--parse-only``, ``-D``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from click.testing import CliRunner, Result

from ixion.nasl.catalog.plugin_info import plugin_id
from ixion.nasl.cli import cli, kb_item
from ixion.nasl.description.metadata import NaslMetadata
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


WIDGET = b"""include("lib.inc");
if (description)
{
  script_oid("1.3.6.1.4.1.25623.1.0.900123");
  script_version("2024-01-02T03:04:05+0000");
  script_name("Widget " + version());
  script_family("Web application abuses");
  script_category(ACT_ATTACK);
  script_copyright("Copyright (C) 2024 ixion authors");
  script_tag(name:"summary", value:"Widget is vulnerable.");
  script_tag(name:"insight", value:"First line
second line.");
  script_tag(name:"summary", value:"Said twice.");
  script_cve_id("CVE-2024-0001", "CVE-2024-0002");
  script_xref(name:"URL", value:"https://example.org/a");
  script_dependencies("gb_widget_detect.nasl");
  script_mandatory_keys("widget/installed");
  script_exclude_keys("Settings/disable_cgi_scanning");
  script_require_ports("Services/www", 80);
  script_add_preference(name:"Mode", type:"radio", value:"fast;slow");
  script_add_preference(name:"Deep", type:"checkbox", value:"no");
  script_timeout(120);
  exit(0);
}
the check itself is not even parsed
"""

CLASSIC = b"""if (description) {
  script_id(10330);
  script_name(english:"Services", francais:"Services");
  script_bugtraq_id(3581);
  script_require_keys("Settings/ThoroughTests");
  script_require_udp_ports(161);
  exit(0);
}
"""


def describe_scripts(tmp_path: Path, *scripts: tuple[str, bytes]) -> Result:
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "lib.inc").write_bytes(b'function version() { return "1.0"; }\n')
    for name, source in scripts:
        (tmp_path / name).write_bytes(source)
    names = [str(tmp_path / name) for name, _ in scripts]
    return CliRunner().invoke(cli, ["-D", "-i", str(tmp_path / "inc"), *names])


def test_describe_prints_every_field(tmp_path: Path) -> None:
    result = describe_scripts(tmp_path, ("widget.nasl", WIDGET), ("services.nasl", CLASSIC))
    assert (result.exit_code, result.stderr) == (0, "")
    widget, services = result.stdout.split("\n\n")
    pad = " " * 24
    assert widget.splitlines() == [
        f"{tmp_path / 'widget.nasl'}:",
        "  OID:                  1.3.6.1.4.1.25623.1.0.900123",
        "  script_id:            -",
        "  NTP id:               900123",
        "  name:                 Widget 1.0",
        "  family:               Web application abuses",
        "  category:             ACT_ATTACK (4)",
        "  version:              2024-01-02T03:04:05+0000",
        "  copyright:            Copyright (C) 2024 ixion authors",
        "  timeout:              120 s",
        "  summary:              -",
        "  description:          -",
        "  CVE:                  CVE-2024-0001, CVE-2024-0002",
        "  BID:                  -",
        "  xrefs:                URL:https://example.org/a",
        "  dependencies:         gb_widget_detect.nasl",
        "  required keys:        -",
        "  mandatory keys:       widget/installed",
        "  excluded keys:        Settings/disable_cgi_scanning",
        "  required ports:       Services/www, 80",
        "  required UDP ports:   -",
        '  preferences:          Mode (radio), default "fast;slow"',
        f'{pad}Deep (checkbox), default "no"',
        "  tags:",
        "    summary:            Widget is vulnerable.",
        "    insight:            First line",
        f"{pad}second line.",
        "    summary:            Said twice.",
    ]
    assert "  script_id:            10330\n  NTP id:               10330\n" in services
    assert "  category:             none (the engine takes ACT_GATHER_INFO)\n" in services
    assert "  BID:                  3581\n" in services
    assert "  required keys:        Settings/ThoroughTests\n" in services
    assert "  required UDP ports:   161\n" in services
    assert services.endswith("  preferences:          -\n  tags:                 -\n")


def test_describe_hashed_ntp_id(tmp_path: Path) -> None:
    source = WIDGET.replace(b"1.0.900123", b"1.1.2.2024.1139")
    result = describe_scripts(tmp_path, ("lsc.nasl", source))
    assert result.exit_code == 0
    number = plugin_id(NaslMetadata(oid="1.3.6.1.4.1.25623.1.1.2.2024.1139"))
    assert f"  NTP id:               {number}\n" in result.stdout


def test_describe_failures_say_where_and_fail(tmp_path: Path) -> None:
    result = describe_scripts(
        tmp_path,
        ("syntax.nasl", b"if (description) {\n  script_oid(1)\n}\n"),
        ("good.nasl", CLASSIC),
        ("anonymous.nasl", b"x = 1;\nif (description) { script_id(5); exit(0); }\n"),
        (
            "weird.nasl",
            CLASSIC.replace(b"script_id(10330);", b"script_id(7); script_category(11);"),
        ),
        ("missing.nasl", b'if (description) { include("nowhere.inc"); }\n'),
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'syntax.nasl'}:2:16: expected ';' after the call, found '}}'",
        f"{tmp_path / 'anonymous.nasl'}:2:1: no script_name()",
        f"{tmp_path / 'weird.nasl'}: not usable as a plugin: weird.nasl: unknown category 11",
        f"{tmp_path / 'missing.nasl'}:1:20: cannot include 'nowhere.inc': nowhere.inc: "
        "not found in the include directories",
    ]
    blocks = result.stdout.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        f"{tmp_path / 'good.nasl'}:",
        f"{tmp_path / 'weird.nasl'}:",
    ]
    assert "  category:             11 (unknown)\n" in blocks[1]
