"""A real ixiond with a store, and two test plugins that scan nothing but report steadily.

The sessions, KB, detached-scan and crash tests need scans whose results and KB writes are
known in advance and that take as long as a test wants, on several hosts. The two plugins
here report a numbered finding at a chosen pace (``stream_check.py``) and then what the KB
holds (``stream_summary.py``); neither opens a socket, so the hosts a test names
(127.0.0.1-127.0.0.4, the user's rules accept nothing else) receive no traffic at all.
Each run of a plugin is appended to a marker file, so that a test can count how often a
plugin really ran on each host.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Final

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    Bye,
    ConnectionClosed,
    DetachedSessionsList,
    DetachedSessionsListRequest,
    LongAttack,
    Message,
    Preferences,
    PreferencesErrors,
    Report,
    ReportKind,
    SessionsList,
    SessionsListRequest,
    Time,
    TimeKind,
)
from tests.server.test_daemon import BIN, PATIENCE, write_config

__all__ = [
    "HOSTS",
    "STREAM",
    "SUMMARY",
    "add_user_with_rules",
    "keeping_daemon",
    "listing",
    "log_in",
    "notes",
    "runs",
    "scan",
    "scan_preferences",
]

STREAM, SUMMARY = 91000100, 91000101
HOSTS: Final = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
USER_RULES: Final = "accept 127.0.0.0/29\ndefault reject\n"

STREAM_PLUGIN: Final = """\
import asyncio
from pathlib import Path
from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
INFO = PluginInfo(id=91000100, filename="stream_check.py", name="Stream check", family="Test",
    category=Category.GATHER_INFO, summary="reports steadily", description="Reports.",
    preferences=(PluginPreference("Key file", PreferenceType.FILE),))
async def run(ctx):
    key = ctx.preference_file("Key file")
    if key is not None:
        ctx.note("key file: " + key.read_text())
    marker = ctx.scan_preference("stream_marker")
    if marker:
        with open(marker, "a") as out:
            out.write(f"stream {ctx.host}\\n")
    if ctx.host in (ctx.scan_preference("stream_dead") or "").split(";"):
        ctx.kb.replace("Host/dead", 1)
        return
    ctx.kb.add("Secret/password", "hunter2")
    ctx.kb.add("/tmp/scratch", 1)
    count = int(ctx.scan_preference("stream_count") or 5)
    delay = float(ctx.scan_preference("stream_delay") or 0)
    pad = " " + "x" * int(ctx.scan_preference("stream_pad") or 0)
    for i in range(count):
        ctx.kb.add("Stream/seen", i)
        ctx.note(f"finding {i} on {ctx.host}" + pad.rstrip())
        await asyncio.sleep(delay)
"""

SUMMARY_PLUGIN: Final = """\
import asyncio
from ixion.plugin_api.metadata import Category, PluginInfo
INFO = PluginInfo(id=91000101, filename="stream_summary.py", name="Stream summary",
    family="Test", category=Category.ATTACK, summary="says what the KB holds",
    description="Summarises.", dependencies=("stream_check.py",))
async def run(ctx):
    marker = ctx.scan_preference("stream_marker")
    if marker:
        with open(marker, "a") as out:
            out.write(f"summary {ctx.host}\\n")
    await asyncio.sleep(float(ctx.scan_preference("summary_delay") or 0))
    seen = sorted(int(v) for v in ctx.kb.values("Stream/seen"))
    old = ctx.kb.values("Old/entry")
    ctx.warning(f"{ctx.host} saw {len(seen)} findings, old: {','.join(map(str, old))}")
"""


def keeping_daemon(tmp_path: Path, extra: str = "") -> Path:
    """A conf for a daemon with a store, the test plugins and user tester/testpass."""
    config = write_config(tmp_path, extra)
    add_user_with_rules(config, "tester", "testpass", USER_RULES.splitlines())
    folder = tmp_path / "state" / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stream_check.py").write_text(STREAM_PLUGIN)
    (folder / "stream_summary.py").write_text(SUMMARY_PLUGIN)
    return config


def add_user_with_rules(config: Path, name: str, password: str, rules: list[str]) -> None:
    rule_args = [arg for rule in rules for arg in ("--rule", rule)]
    subprocess.run(
        [str(BIN / "ixion-adduser"), "-c", str(config), "--password-stdin", *rule_args, name],
        input=f"{password}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=PATIENCE,
    )


async def log_in(port: int, user: str = "tester", password: str = "testpass") -> ClientConnection:
    client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
    await client.login(user, password)
    return client


def scan_preferences(marker: Path | None = None, **extra: str) -> tuple[tuple[str, str], ...]:
    """What the tests' client sends before each scan: results framed per host, the plugins."""
    items = {
        "ntp_keep_communication_alive": "yes",
        "ntp_opt_show_end": "yes",
        "ntp_client_accepts_notes": "yes",
        "plugin_set": f"{STREAM};{SUMMARY}",
        "stream_marker": str(marker) if marker else "",
        **extra,
    }
    return tuple(items.items())


async def set_preferences(client: ClientConnection, items: tuple[tuple[str, str], ...]) -> None:
    await client.send(Preferences(items=items))
    assert isinstance(await client.receive(), PreferencesErrors)


async def scan(
    client: ClientConnection,
    targets: str,
    items: tuple[tuple[str, str], ...] | None = None,
    order: Message | None = None,
) -> list[Message]:
    """Send preferences (if any) and an attack order; the messages up to BYE."""
    if items is not None:
        await set_preferences(client, items)
    await client.send(order or LongAttack(targets=targets))
    seen: list[Message] = []
    while not isinstance(msg := await asyncio.wait_for(client.receive(), 60), Bye):
        if isinstance(msg, ConnectionClosed):
            raise AssertionError(f"the server closed the connection after {seen[-3:]}")
        seen.append(msg)
    return seen


async def listing(client: ClientConnection, *, detached: bool = False) -> list[tuple[str, str]]:
    """``(id, targets)`` of the user's saved sessions, or of their detached scans."""
    await client.send(DetachedSessionsListRequest() if detached else SessionsListRequest())
    answer = await client.receive()
    assert isinstance(answer, DetachedSessionsList if detached else SessionsList)
    return [(entry.id, entry.targets) for entry in answer.sessions]


def notes(seen: list[Message], host: str | None = None) -> list[str]:
    """The texts of the NOTE findings in ``seen`` (of ``host``)."""
    return [
        m.text
        for m in seen
        if isinstance(m, Report) and m.kind is ReportKind.NOTE and host in (None, m.host)
    ]


def host_ends(seen: list[Message]) -> list[str]:
    return [m.host for m in seen if isinstance(m, Time) and m.kind is TimeKind.HOST_END and m.host]


def runs(marker: Path) -> list[str]:
    """``plugin host`` for each run the marker file recorded."""
    return marker.read_text().splitlines() if marker.exists() else []
