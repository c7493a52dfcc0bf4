"""NASL plugins through a real ixiond: scripts in ``plugins_folder`` and scripts a user
uploads with ATTACHED_PLUGIN are listed, described and scanned with like Python plugins, and
the uploaded ones run in the sandbox: no files, no commands, stopped at their limits, and the
daemon serves on.

The scripts here are the team's own. Scans reach only the lab's HTTP port on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    AttachedPlugin,
    Bye,
    LongAttack,
    Message,
    PluginAccepted,
    PluginInfoReply,
    PluginInfoRequest,
    Preferences,
    PreferencesErrors,
    Report,
    ReportKind,
)
from tests.lab import HttpService
from tests.server.test_daemon import PATIENCE, add_user, free_port, running, write_config

SCANNER, FIND_SERVICE = 10335, 90000010

BANNER_LIB = b"""\
function banner_of(port) {
  local_var soc, line;
  soc = open_sock_tcp(port);
  if (!soc) return NULL;
  send(socket:soc, data:'HEAD / HTTP/1.0\\r\\n\\r\\n');
  line = recv_line(socket:soc, length:1024);
  while (line && line !~ "^Server:") line = recv_line(socket:soc, length:1024);
  close(soc);
  return chomp(line);
}
"""

BANNER_CHECK = b"""\
if (description) {
  script_oid("1.3.6.1.4.1.25623.1.0.900111");
  script_version("2024-01-01");
  script_name("Web server banner (NASL test)");
  script_category(ACT_GATHER_INFO);
  script_family("Web Servers");
  script_copyright("ixion tests");
  script_dependencies("find_service.py");
  script_require_ports("Services/www");
  script_tag(name:"summary", value:"Reports the web server's Server header.");
  exit(0);
}
include("test_banner.inc");
port = get_kb_item("Services/www");
b = banner_of(port:port);
if (b) security_warning(port:port, data:"The web server says: " + b);
"""


#: A script naming a protocol no NTP line can carry: its result comes as tcp, the scan goes on.
ODD_PROTOCOL = b"""\
if (description) {
  script_oid("1.3.6.1.4.1.25623.1.0.900112");
  script_name("Odd protocol (NASL test)");
  script_category(ACT_ATTACK);
  script_family("Web Servers");
  script_dependencies("web_banner.nasl");
  exit(0);
}
security_note(port:get_kb_item("Services/www"), protocol:"a b", data:"odd");
"""


def uploaded(name: str, oid: int, body: bytes) -> bytes:
    return (
        b'if (description) {\n  script_oid("1.3.6.1.4.1.25623.1.0.%d");\n' % oid
        + b'  script_name("%s");\n  script_category(ACT_ATTACK);\n' % name.encode()
        + b'  script_family("Uploads");\n  exit(0);\n}\n'
        + body
    )


@pytest.fixture(scope="module")
def web() -> Iterator[HttpService]:
    with HttpService() as service:
        yield service


def daemon(tmp_path: Path, extra: str = "") -> Path:
    config = write_config(tmp_path, extra)
    add_user(config)
    folder = tmp_path / "state" / "plugins"
    folder.mkdir(parents=True)
    (folder / "web_banner.nasl").write_bytes(BANNER_CHECK)
    (folder / "test_banner.inc").write_bytes(BANNER_LIB)
    (folder / "odd_protocol.nasl").write_bytes(ODD_PROTOCOL)
    return config


async def scan(
    client: ClientConnection, port_range: str, plugin_set: str, **prefs: str
) -> list[Message]:
    items = [
        ("port_range", port_range),
        ("plugin_set", plugin_set),
        ("ntp_client_accepts_notes", "yes"),
        *prefs.items(),
    ]
    await client.send(Preferences(items=tuple(items)))
    assert isinstance(await client.receive(), PreferencesErrors)
    await client.send(LongAttack(targets="127.0.0.1"))
    seen: list[Message] = []
    # Patient, as ixion's client is during a scan: scripts running to their limits may keep
    # the daemon silent for a while on a loaded machine; the callers' wait_for bounds it all.
    while not isinstance(msg := await client.receive(patient=True), Bye):
        seen.append(msg)
    return seen


def reports(seen: list[Message], plugin_id: int) -> list[tuple[ReportKind, str]]:
    return [
        (m.kind, m.text) for m in seen if isinstance(m, Report) and m.plugin_id == str(plugin_id)
    ]


def test_a_folder_script_is_listed_described_and_scanned_with(
    tmp_path: Path, web: HttpService
) -> None:
    config = daemon(tmp_path)

    async def scenario(port: int) -> tuple[object, Message, list[Message]]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        offer = await client.login("tester", "testpass")
        await client.send(PluginInfoRequest(plugin_id="900111"))
        info = await client.receive()
        seen = await scan(client, str(web.port), f"{SCANNER};{FIND_SERVICE};900111;900112")
        await client.close()
        return offer, info, seen

    port = free_port()
    with running(config, port):
        offer, info, seen = asyncio.run(asyncio.wait_for(scenario(port), 60))
    assert offer.plugins is not None  # type: ignore[attr-defined]
    record = next(p for p in offer.plugins.plugins if p.id == "900111")  # type: ignore[attr-defined]
    assert (record.name, record.family, record.version) == (
        "Web server banner (NASL test)",
        "Web Servers",
        "2024-01-01",
    )
    assert "Server header" in record.description
    detection = next(p for p in offer.plugins.plugins if p.id == str(FIND_SERVICE))  # type: ignore[attr-defined]
    entries = {d.name: d.dependencies for d in offer.dependencies.entries}  # type: ignore[attr-defined]
    assert entries[record.name] == (detection.name,)
    assert isinstance(info, PluginInfoReply)
    assert info.plugin.id == "900111"
    (finding,) = reports(seen, 900111)
    assert finding[0] is ReportKind.INFO
    assert finding[1].startswith("The web server says: Server: SimpleHTTP/")
    [odd] = [m for m in seen if isinstance(m, Report) and m.plugin_id == "900112"]
    assert (odd.kind, odd.port.number, odd.port.protocol) == (ReportKind.NOTE, web.port, "tcp")
    # The description cache is in the state directory: a restart describes nothing again.
    cache = tmp_path / "state" / "nasl-cache.sqlite"
    assert cache.is_file()
    with running(config, free_port()):
        pass
    log = (tmp_path / "ixiond.log").read_text()
    assert "2 NASL scripts (2 described now)" in log
    assert "2 NASL scripts (0 described now)" in log
    assert "unusable result protocol" in log


def test_uploaded_scripts_are_sandboxed_and_stopped_at_their_limits(
    tmp_path: Path, web: HttpService
) -> None:
    config = daemon(tmp_path, "plugin_upload = yes\nplugin_upload_suffixes = .nasl\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for scripts")
    scripts = {
        "nosy.nasl": uploaded(
            "Nosy",
            900121,
            b'a = fread("%s"); b = pread(cmd:"id", argv:make_list("id"));\n' % bytes(secret)
            + b'c = fwrite(data:"x", file:"%s");\n' % bytes(tmp_path / "written")
            + b'd = find_in_path("sh"); e = get_tmp_dir();\n'
            b'security_note(port:0, data:"got [" + a + b + c + d + e + "]");\n',
        ),
        "loop.nasl": uploaded("Loop", 900122, b"while (1) { i++; }\n"),
        "hungry.nasl": uploaded(
            "Hungry", 900123, b"s = crap(length:1000000);\nwhile (1) s = s + s;\n"
        ),
        # Each value is new: no string grows past max_string, memory does.
        "hoarder.nasl": uploaded(
            "Hoarder",
            900125,
            b"s = crap(length:8000000);\na = make_list(); i = 0;\n"
            b"while (1) { a[i] = s + i; i++; }\n",
        ),
        "after.nasl": uploaded("After", 900124, b'security_hole(port:0, data:"still scanning");\n'),
    }

    async def upload(port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        answers = []
        for name, data in scripts.items():
            await client.send(AttachedPlugin(name=name, data=data))
            answers.append(await client.receive())
        await client.close()
        return answers

    async def scan_again(port: int) -> tuple[object, list[Message]]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        offer = await client.login("tester", "testpass")
        seen = await scan(
            client,
            str(web.port),
            "900121;900122;900123;900124;900125",
            **{"timeout.900122": "3"},
        )
        await client.close()
        return offer, seen

    port = free_port()
    with running(config, port):
        answers = asyncio.run(asyncio.wait_for(upload(port), 60))
        offer, seen = asyncio.run(asyncio.wait_for(scan_again(port), 90))
    assert all(isinstance(a, PluginAccepted) for a in answers)
    # Visible at the next login, as with nessusd.
    ids = {p.id for p in offer.plugins.plugins}  # type: ignore[attr-defined]
    assert {"900121", "900122", "900123", "900124", "900111"} <= ids
    assert reports(seen, 900121) == [(ReportKind.NOTE, "got []\nQuality of detection: 70%\n")]
    assert not (tmp_path / "written").exists()
    assert reports(seen, 900124) == [
        (ReportKind.HOLE, "still scanning\nQuality of detection: 70%\n")
    ]
    log = (tmp_path / "ixiond.log").read_text()
    assert "plugin 900122: timeout after 3 s" in log
    # Line 9: after the six lines of the description block.
    assert "plugin 900123: error: hungry.nasl:9:" in log
    assert "too long (max_string=" in log
    assert "plugin 900125: error: hoarder.nasl:10:" in log
    # The busy loop beside it allocated nothing: it is not blamed, it runs to its timeout.
    assert "memory budget exhausted" in log
