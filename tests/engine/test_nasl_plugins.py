"""NASL scripts as plugins of a host's scan (:mod:`ixion.engine.nasl_plugins`, ``nasl_run``):
described into PluginInfo, scheduled with Python plugins, talking to real lab services,
sharing the KB both ways, and ended alone when they fail, overrun or misbehave.

The scripts are the team's own, written into a temporary plugins folder as an administrator
would drop them there."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from pathlib import Path

from ixion.engine.events import Event, Finding, PluginEnded, Severity
from ixion.engine.host import HostScan
from ixion.engine.job import HostJob, ScanSettings
from ixion.engine.loader import load_all, load_plugins
from ixion.engine.nasl_plugins import preload_nasl
from ixion.engine.nasl_run import STEPS_PER_SECOND, _limits
from ixion.nasl.runtime.limits import Limits
from ixion.plugin_api.metadata import Category
from ixion.plugin_api.ports import parse_port_range
from tests.engine.plugin_files import write_plugin
from tests.lab import LOOPBACK, HttpService

#: ixion's TCP connect scanner (``tcp_scanner.py``).
TCP_SCANNER = 10335

BANNER_CHECK = b"""\
if (description) {
  script_oid("1.3.6.1.4.1.25623.1.0.900101");
  script_version("1.2");
  script_name("Web server banner (test)");
  script_category(ACT_GATHER_INFO);
  script_family("Test");
  script_copyright("ixion tests");
  script_dependencies("find_service.py");
  script_require_ports("Services/www", 80);
  script_xref(name:"URL", value:"https://example.invalid/");
  exit(0);
}
port = get_kb_item("Services/www");
soc = open_sock_tcp(port);
if (!soc) exit(0);
send(socket:soc, data:'GET / HTTP/1.0\\r\\n\\r\\n');
r = recv_line(socket:soc, length:1024);
while (r && r !~ "^Server:") r = recv_line(socket:soc, length:1024);
close(soc);
set_kb_item(name:"test/banner", value:chomp(r));
security_note(port:port, data:"Banner: " + chomp(r));
"""


def nasl(
    folder: Path,
    name: str,
    body: bytes,
    *,
    oid: int,
    category: str = "ACT_GATHER_INFO",
    extra: bytes = b"",
) -> None:
    header = (
        b'if (description) {\n  script_oid("1.3.6.1.4.1.25623.1.0.%d");\n' % oid
        + b'  script_name("%s");\n' % name.encode()
        + b"  script_category(%s);\n" % category.encode()
        + b'  script_family("Test");\n'
        + extra
        + b"  exit(0);\n}\n"
    )
    (folder / name).write_bytes(header + body)


def scan(job: HostJob) -> tuple[HostScan, list[Event]]:
    # make_job described the folder already: its plugins are remembered by origin.
    events: list[Event] = []
    host = HostScan(job, load_plugins(job.origins).all, events.append)
    asyncio.run(asyncio.wait_for(host.run(), 60))
    return host, events


def make_job(folder: Path, enabled: set[int], *, ports: str = "1", **preferences: str) -> HostJob:
    plugins = load_all(folder, folder / ".cache.sqlite")
    return HostJob(
        host=LOOPBACK,
        address=LOOPBACK,
        origins=plugins.origins,
        enabled=frozenset(enabled),
        settings=ScanSettings(port_range=parse_port_range(ports), plugins_timeout=20),
        preferences=preferences,
    )


def script_threads() -> list[str]:
    """The threads NASL scripts still run in (``nasl:<file name>``)."""
    return [t.name for t in threading.enumerate() if t.name.startswith("nasl:")]


def outcome(events: list[Event], plugin_id: int) -> str:
    return next(
        e.outcome for e in events if isinstance(e, PluginEnded) and e.plugin_id == plugin_id
    )


def test_a_described_script_becomes_plugin_info(tmp_path: Path) -> None:
    (tmp_path / "banner.nasl").write_bytes(BANNER_CHECK)
    preload = preload_nasl(tmp_path, tmp_path / "cache.sqlite")
    (plugin,) = load_plugins(preload.origins).all
    info = plugin.info
    assert (info.id, info.filename, info.name, info.family) == (
        900101,
        "banner.nasl",
        "Web server banner (test)",
        "Test",
    )
    assert info.category is Category.GATHER_INFO
    assert info.dependencies == ("find_service.py",)
    assert info.require_ports == ("Services/www", 80)
    assert info.xrefs == ("URL:https://example.invalid/",)
    assert plugin.origin == str(tmp_path.resolve() / "banner.nasl")
    assert len(plugin.md5) == 32


def test_a_script_reads_a_real_banner_after_python_service_detection(tmp_path: Path) -> None:
    (tmp_path / "banner.nasl").write_bytes(BANNER_CHECK)
    with HttpService() as web:
        host, events = scan(make_job(tmp_path, {900101}, ports=str(web.port)))
    findings = [e for e in events if isinstance(e, Finding) and e.plugin_id == 900101]
    assert len(findings) == 1, [e for e in events if isinstance(e, PluginEnded)]
    (finding,) = findings
    assert finding.port == web.port
    assert finding.severity is Severity.NOTE
    assert finding.text.startswith("Banner: Server: SimpleHTTP/")
    assert "Other references : URL:https://example.invalid/" in finding.text
    # The script's KB item is the host's, where Python plugins see it.
    assert str(host.kb.get("test/banner")).startswith("Server: SimpleHTTP/")
    assert outcome(events, 900101) == "done"


def test_python_and_nasl_plugins_share_the_kb_both_ways(tmp_path: Path) -> None:
    write_plugin(tmp_path, "writer", 900201, "ctx.kb.add('py/said', 'caf\\u00e9 ok')")
    nasl(
        tmp_path,
        "relay.nasl",
        b'v = get_kb_item("py/said");\nset_kb_item(name:"nasl/said", value:v + " and back");\n'
        b'set_kb_item(name:"nasl/bin", value:raw_string(0xff, 0x00, 0x41));\n',
        oid=900202,
        extra=b'  script_dependencies("writer.py");\n',
    )
    write_plugin(
        tmp_path,
        "reader",
        900203,
        "ctx.note(ctx.kb.get('nasl/said'))",
        dependencies=("relay.nasl",),
    )
    host, events = scan(make_job(tmp_path, {900203}))
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "caf\u00e9 ok and back\nQuality of detection: 70%\n"
    ]
    # Bytes that are not UTF-8 survive the trip through the engine's KB unchanged.
    value = host.kb.get("nasl/bin")
    assert isinstance(value, str)
    assert value.encode("utf-8", "surrogateescape") == b"\xff\x00A"


def test_report_kinds_reach_the_client_as_hole_info_and_note(tmp_path: Path) -> None:
    nasl(
        tmp_path,
        "kinds.nasl",
        b'security_hole(port:1, data:"h");\nsecurity_warning(port:1, data:"w");\n'
        b'security_note(port:1, data:"n");\nlog_message(port:1, data:"l");\n'
        b'error_message(port:1, data:"e");\nsecurity_hole(0);\n',
        oid=900301,
        extra=b'  script_tag(name:"summary", value:"What this test is about.");\n',
    )
    _, events = scan(make_job(tmp_path, {900301}))
    found = [(e.severity, e.port, e.text) for e in events if isinstance(e, Finding)]
    assert found == [
        (Severity.HOLE, 1, "h\nQuality of detection: 70%\n"),
        (Severity.WARNING, 1, "w\nQuality of detection: 70%\n"),
        (Severity.NOTE, 1, "n\nQuality of detection: 70%\n"),
        (Severity.NOTE, 1, "l\nQuality of detection: 70%\n"),
        # No data: the plugin's description, as nessusd sent it.
        (Severity.HOLE, 0, "What this test is about.\nQuality of detection: 70%\n"),
    ]


def test_a_script_error_ends_that_script_with_its_place(tmp_path: Path) -> None:
    nasl(tmp_path, "broken.nasl", b"function f(n) { return f(n: n + 1); }\nf(n: 0);\n", oid=900401)
    nasl(tmp_path, "fine.nasl", b'security_note(port:0, data:"still here");\n', oid=900402)
    _, events = scan(make_job(tmp_path, {900401, 900402}))
    # Line 8: the description block the helper writes takes lines 1-7.
    assert outcome(events, 900401).startswith("error: broken.nasl:8:")
    assert "max_call_depth" in outcome(events, 900401)
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "still here\nQuality of detection: 70%\n"
    ]


def test_a_looping_script_is_stopped_at_its_timeout_and_its_thread_ends(tmp_path: Path) -> None:
    nasl(tmp_path, "loop.nasl", b"i = 0;\nwhile (1) { i++; }\n", oid=900501)
    nasl(tmp_path, "sleepy.nasl", b"while (1) sleep(1);\n", oid=900502)
    job = make_job(tmp_path, {900501, 900502}, **{"timeout.900501": "2", "timeout.900502": "2"})
    started = time.monotonic()
    _, events = scan(job)
    assert time.monotonic() - started < 10
    assert outcome(events, 900501) == "timeout after 2 s"
    assert outcome(events, 900502) == "timeout after 2 s"
    deadline = time.monotonic() + 5
    while script_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not script_threads()


def test_scripts_get_no_file_or_command_built_ins(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    nasl(
        tmp_path,
        "nosy.nasl",
        b'a = fread("%s");\nb = pread(cmd:"id", argv:make_list("id"));\n' % str(secret).encode()
        + b'c = fwrite(data:"x", file:"%s");\n' % str(tmp_path / "written").encode()
        + b'security_note(port:0, data:"[" + a + "][" + b + "][" + c + "]");\n',
        oid=900601,
    )
    _, events = scan(make_job(tmp_path, {900601}))
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "[][][]\nQuality of detection: 70%\n"
    ]
    assert not (tmp_path / "written").exists()


def test_preferences_reach_the_script_by_short_name(tmp_path: Path) -> None:
    nasl(
        tmp_path,
        "prefs.nasl",
        b'security_note(port:0, data:script_get_preference("Word") + "/" +\n'
        b'  script_get_preference("Other") + "/" + get_preference("cgi_path"));\n',
        oid=900701,
        extra=b'  script_add_preference(name:"Word", type:"entry", value:"default");\n'
        b'  script_add_preference(name:"Other", type:"entry", value:"kept");\n',
    )
    # Clients name a plugin preference "<plugin name>[<type>]:<preference>".
    job = make_job(tmp_path, {900701}, **{"prefs.nasl[entry]:Word": "set", "cgi_path": "/cgi"})
    _, events = scan(job)
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "set/kept//cgi\nQuality of detection: 70%\n"
    ]


def test_plugin_run_find_service_runs_ixion_s_detection(tmp_path: Path) -> None:
    nasl(
        tmp_path,
        "services.nasl",
        b"plugin_run_find_service();\n"
        b'security_note(port:0, data:"www=" + get_kb_item("Services/www"));\n',
        oid=900801,
    )
    with HttpService() as web:
        job = make_job(tmp_path, {900801}, ports=str(web.port))
        # Only the scanner and the script: ixion's service detection is not enabled.
        job = dataclasses.replace(job, enabled=frozenset({900801, TCP_SCANNER}))
        host, events = scan(job)
    assert [e.text for e in events if isinstance(e, Finding) and e.plugin_id == 900801] == [
        f"www={web.port}\nQuality of detection: 70%\n"
    ]
    assert host.kb.get("ixion/find_service/done") == 1


def test_a_script_may_take_steps_for_as_long_as_it_may_take_time() -> None:
    """The timeout bounds a run; the step budget grows with it, so that the feed's directory
    scanner (about ten million steps of pairwise de-duplication) is not cut short first."""
    assert _limits(320).max_steps == 320 * STEPS_PER_SECOND
    assert _limits(320).timeout == 321
    assert _limits(2).max_steps == Limits().max_steps  # never below the interpreter's own
    assert _limits(0).timeout is None
    assert _limits(0).max_steps == Limits().max_steps
