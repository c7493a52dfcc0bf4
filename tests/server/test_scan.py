"""Real scans through a real ixiond: the lab's services on 127.0.0.1, scanned by the batch
client and by the client library, with the results checked against what is really there.

Every scan's port_range lists only the lab's ports and ports this test holds closed, and the
only other target, 198.18.0.1, is refused by the rules before any packet is sent.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    AttachedFile,
    AttachedPlugin,
    Bye,
    FileAccepted,
    Finished,
    HostsNotAllowed,
    LongAttack,
    Message,
    NessusVersion,
    NessusVersionRequest,
    NewAttack,
    PluginAccepted,
    PluginDenied,
    Port,
    Preferences,
    PreferencesErrors,
    Report,
    ReportKind,
    StopAttack,
    Time,
    TimeKind,
)
from ixion.reports.nbe import read_nbe
from ixion.reports.results import Severity
from tests.lab import Lab, reserved_closed_ports
from tests.server.test_daemon import BIN, PATIENCE, add_user, free_port, running, write_config

PING, SCANNER, FIND_SERVICE = 10180, 10335, 90000010
HTTP, SSH, FTP, SMTP, TLS = 90000020, 90000021, 90000022, 90000023, 90000024


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, int]]:
    with Lab() as running_lab:
        yield running_lab.ports


@pytest.fixture
def closed() -> Iterator[list[int]]:
    with reserved_closed_ports(2) as ports:
        yield ports


def port_of(field: str) -> int:
    match = re.search(r"\((\d+)/tcp\)", field)
    assert match, field
    return int(match.group(1))


def test_the_batch_client_scans_real_services_and_writes_what_is_there(
    tmp_path: Path, lab: dict[str, int], closed: list[int]
) -> None:
    config = write_config(tmp_path)
    add_user(config)
    port_range = ",".join(map(str, sorted([*lab.values(), *closed])))
    rc = tmp_path / "nessusrc"
    rc.write_text(
        "ssl_version = NONE\n"
        f"begin(SERVER_PREFS)\n port_range = {port_range}\nend(SERVER_PREFS)\n"
        f"begin(SCANNER_SET)\n {PING} = yes\n {SCANNER} = yes\nend(SCANNER_SET)\n"
    )
    targets = tmp_path / "targets"
    targets.write_text("127.0.0.1\n198.18.0.1\n")
    result = tmp_path / "result.nbe"
    port = free_port()
    with running(config, port):
        subprocess.run(
            [
                BIN / "ixion",
                "-q",
                "-c",
                rc,
                "127.0.0.1",
                str(port),
                "tester",
                "testpass",
                targets,
                result,
            ],
            check=True,
            timeout=120,
            capture_output=True,
        )
    results = read_nbe(result.read_bytes())
    assert {p.host for p in results.open_ports} == {"127.0.0.1"}
    assert {port_of(p.port) for p in results.open_ports} == set(lab.values())
    # Each port is named for the service detected on it (HTTPS as https), not for its number
    # (the kernel picked it): its PORT line and every result on it alike.
    named = {p.port for p in results.open_ports}
    assert named == {f"{name} ({port}/tcp)" for name, port in lab.items()}
    assert {f.port for f in results.findings} <= named
    by_port: dict[int, list[tuple[str | None, Severity, str]]] = {}
    for finding in results.findings:
        assert finding.host == "127.0.0.1"
        by_port.setdefault(port_of(finding.port), []).append(
            (finding.plugin_id, finding.severity, finding.text)
        )

    def texts(name: str, plugin: int, severity: Severity) -> str:
        return "\n".join(t for p, s, t in by_port[lab[name]] if p == str(plugin) and s is severity)

    assert "web server" in texts("http", FIND_SERVICE, Severity.NOTE)
    assert "SimpleHTTP" in texts("http", HTTP, Severity.NOTE)
    assert "SimpleHTTP" in texts("https", HTTP, Severity.NOTE)
    assert "expired" in texts("https", TLS, Severity.WARNING)
    assert "self-signed" in texts("https", TLS, Severity.WARNING)
    assert "Anonymous FTP" in texts("ftp", FTP, Severity.WARNING)
    assert "SSH" in texts("ssh", SSH, Severity.NOTE)
    assert "220" in texts("smtp", SMTP, Severity.NOTE)
    # Nothing was reported that the lab does not have.
    assert set(by_port) <= set(lab.values())
    assert not texts("http", TLS, Severity.WARNING)
    assert not [f for f in results.findings if f.severity is Severity.HOLE]
    log = (tmp_path / "ixiond.log").read_text()
    assert "not allowed to scan 198.18.0.1" in log


# --- the library client: the messages themselves --------------------------------------------

SLOW_PLUGIN = """\
import asyncio
from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
INFO = PluginInfo(id=91000001, filename="slow_check.py", name="Slow check", family="Test",
    category=Category.ATTACK, summary="takes its time", description="Waits.",
    preferences=(PluginPreference("Key file", PreferenceType.FILE),))
async def run(ctx):
    path = ctx.preference_file("Key file")
    if path is not None:
        ctx.note(f"{oct(path.stat().st_mode & 0o777)} {path.read_text()} {path}")
    ctx.note("waiting")
    await asyncio.sleep(float(ctx.scan_preference("slow_seconds") or 0))
"""


async def scan_messages(client: ClientConnection) -> list[Message]:
    seen: list[Message] = []
    while not isinstance(msg := await client.receive(), Bye):
        seen.append(msg)
    return seen


def daemon_with_folder_plugin(tmp_path: Path, extra: str = "") -> Path:
    config = write_config(tmp_path, extra)
    add_user(config)
    folder = tmp_path / "state" / "plugins"
    folder.mkdir(parents=True)
    (folder / "slow_check.py").write_text(SLOW_PLUGIN)
    return config


def test_a_scan_streams_framed_results_then_e002_then_bye_and_stays_alive(
    tmp_path: Path, lab: dict[str, int]
) -> None:
    config = daemon_with_folder_plugin(tmp_path)
    key = b"-----BEGIN KEY-----\nsecret\n"

    async def scenario(port: int) -> tuple[list[Message], list[Message], Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        await client.send(
            Preferences(
                items=(
                    ("ntp_keep_communication_alive", "yes"),
                    ("ntp_opt_show_end", "yes"),
                    ("ntp_client_accepts_notes", "yes"),
                    ("port_range", str(lab["http"])),
                    ("plugin_set", f"{PING};{SCANNER};{FIND_SERVICE};91000001;"),
                    ("Slow check[file]:Key file", "/home/alice/key.pem"),
                )
            )
        )
        assert isinstance(await client.receive(), PreferencesErrors)
        await client.send(AttachedFile(name="/home/alice/key.pem", data=key))
        assert isinstance(await client.receive(), FileAccepted)
        await client.send(LongAttack(targets="127.0.0.1, 198.18.0.1"))
        first = await scan_messages(client)
        await client.send(NessusVersionRequest())
        version = await client.receive()
        # Rules and preferences stay in effect for a second scan on the same connection.
        await client.send(LongAttack(targets="127.0.0.1"))
        second = await scan_messages(client)
        await client.close()
        return first, second, version

    port = free_port()
    with running(config, port):
        first, second, version = asyncio.run(asyncio.wait_for(scenario(port), 120))
    assert isinstance(version, NessusVersion)
    kinds = [(type(m).__name__, getattr(m, "kind", None)) for m in first]
    assert kinds[:2] == [("Time", TimeKind.SCAN_START), ("Time", TimeKind.HOST_START)]
    assert kinds[-4:] == [
        ("Finished", None),
        ("Time", TimeKind.HOST_END),
        ("HostsNotAllowed", None),
        ("Time", TimeKind.SCAN_END),
    ]
    denied = [m for m in first if isinstance(m, HostsNotAllowed)]
    assert denied[0].hosts == ("198.18.0.1",)
    ports = [m for m in first if isinstance(m, Port)]
    assert [(p.host, str(p.port)) for p in ports] == [("127.0.0.1", f"http ({lab['http']}/tcp)")]
    notes = [m for m in first if isinstance(m, Report) and m.kind is ReportKind.NOTE]
    detected = next(m for m in notes if "web server" in m.text)
    # The port went out once service detection had named it, before any result on it.
    assert first.index(ports[0]) < first.index(detected)
    assert detected.port == ports[0].port
    notes_text = [m.text for m in notes]
    attached = next(t for t in notes_text if t.startswith("0o600 "))
    stored = Path(attached.splitlines()[-2].split()[-1])  # the last line: its QoD
    assert key.decode() in attached
    assert stored.parent == tmp_path / "state" / "tmp"
    assert not stored.exists()  # deleted when the scan ended
    assert not any(isinstance(m, HostsNotAllowed) for m in second)
    assert any(isinstance(m, Finished) for m in second)


def test_stop_attack_ends_that_host_at_once(tmp_path: Path) -> None:
    config = daemon_with_folder_plugin(tmp_path)

    async def scenario(port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        await client.send(
            Preferences(
                items=(
                    ("plugin_set", "91000001"),
                    ("slow_seconds", "600"),
                    ("port_range", "1"),
                )
            )
        )
        await client.receive()
        await client.send(LongAttack(targets="127.0.0.1"))
        seen: list[Message] = []
        while not isinstance(msg := await client.receive(), Bye):
            seen.append(msg)
            if isinstance(msg, Report) and msg.text.startswith("waiting"):
                await client.send(StopAttack(host="127.0.0.1"))
        await client.close()
        return seen

    port = free_port()
    with running(config, port):
        seen = asyncio.run(asyncio.wait_for(scenario(port), 60))
    tail = [type(m).__name__ for m in seen[-3:]]
    assert tail == ["Finished", "Time", "Time"]
    assert isinstance(seen[-1], Time)
    assert seen[-1].kind is TimeKind.SCAN_END


def test_an_attack_order_during_a_scan_starts_nothing(tmp_path: Path) -> None:
    config = daemon_with_folder_plugin(tmp_path)

    async def scenario(port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        await client.send(Preferences(items=(("plugin_set", "91000001"), ("slow_seconds", "1"))))
        await client.receive()
        await client.send(LongAttack(targets="127.0.0.1"))
        seen: list[Message] = []
        while not isinstance(msg := await client.receive(), Bye):
            seen.append(msg)
            if isinstance(msg, Report) and msg.text.startswith("waiting"):
                await client.send(LongAttack(targets="127.0.0.2"))
                await client.send(NewAttack(targets="127.0.0.3"))
        await client.close()
        return seen

    port = free_port()
    with running(config, port):
        seen = asyncio.run(asyncio.wait_for(scenario(port), 60))
    starts = [m.host for m in seen if isinstance(m, Time) and m.kind is TimeKind.HOST_START]
    assert starts == ["127.0.0.1"]
    assert isinstance(seen[-1], Time)
    assert seen[-1].kind is TimeKind.SCAN_END
    assert "LONG_ATTACK during a scan is ignored" in (tmp_path / "ixiond.log").read_text()


def test_uploaded_plugins_are_stored_only_when_allowed_and_only_nasl(tmp_path: Path) -> None:
    # .py is listed, and still refused: ixiond never takes Python from a client.
    config = daemon_with_folder_plugin(
        tmp_path, "plugin_upload = yes\nplugin_upload_suffixes = .nasl, .inc, .py\n"
    )

    async def scenario(port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        answers = []
        for name in ("check.nasl", "lib.inc", "evil.py", "../up.nasl", ".hidden.nasl"):
            await client.send(AttachedPlugin(name=name, data=b"# script\n"))
            answers.append(await client.receive())
        await client.close()
        return answers

    port = free_port()
    with running(config, port):
        answers = asyncio.run(asyncio.wait_for(scenario(port), 60))
    assert [type(a) for a in answers] == [
        PluginAccepted,
        PluginAccepted,
        PluginDenied,
        PluginDenied,
        PluginDenied,
    ]
    stored = tmp_path / "state" / "users" / "tester" / "plugins"
    assert sorted(p.name for p in stored.iterdir()) == ["check.nasl", "lib.inc"]
    assert not (tmp_path / "state" / "users" / "tester" / "up.nasl").exists()


def test_without_plugin_upload_every_plugin_is_denied(tmp_path: Path) -> None:
    config = daemon_with_folder_plugin(tmp_path)

    async def scenario(port: int) -> Message:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        await client.send(AttachedPlugin(name="check.nasl", data=textwrap.dedent("x").encode()))
        answer = await client.receive()
        await client.close()
        return answer

    port = free_port()
    with running(config, port):
        assert isinstance(asyncio.run(asyncio.wait_for(scenario(port), 60)), PluginDenied)
