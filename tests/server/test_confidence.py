"""``min_qod`` through a real ixiond: findings below it are held back, logged and listed in
one note at the end of their host; ``min_qod = 0`` sends everything; a saved session keeps
the note, and a restore shows it again.

The test plugin reads the banner of an SSH-like service on 127.0.0.1 (a
:class:`~tests.lab.BannerService` saying what a patched Debian 12 says) and reports a
version guess (QoD 30) and a finding it says was confirmed (QoD 95). No other address is
touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from ixion.engine.events import Finding, Severity
from ixion.ntp import Finished, Message, Report, ReportKind, SessionRestore, Time, TimeKind
from ixion.server.confidence import MAX_LISTED, WITHHELD_PLUGIN_ID, Confidence
from tests.lab import BannerService
from tests.server.keeping_harness import keeping_daemon, listing, log_in, scan, scan_preferences
from tests.server.test_daemon import free_port, running

CHECK: Final = 91000320
BANNER: Final = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

QOD_CHECK: Final = """\
from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
INFO = PluginInfo(id=91000320, filename="qod_check.py", name="OpenSSH version check",
    family="Test", category=Category.ATTACK, summary="s", description="d",
    cve=("CVE-2024-6387",), qod=Qod.of(QodType.REMOTE_ACTIVE))
async def run(ctx):
    port = int(ctx.scan_preference("qod_port"))
    async with await ctx.connect(port) as stream:
        banner = (await stream.read_line()).decode().strip()
    ctx.hole(f"{banner} is older than 9.8p1", port=port,
        qod_type=QodType.REMOTE_BANNER_UNRELIABLE)
    ctx.hole(f"{banner} answered the probe", port=port)
"""


@pytest.fixture(scope="module")
def ssh() -> Iterator[BannerService]:
    with BannerService(BANNER) as service:
        yield service


def scans(
    tmp_path: Path, ssh: BannerService, *extra: dict[str, str], restore: bool = False
) -> list[list[Message]]:
    """One scan of 127.0.0.1 per ``extra`` preferences, then (``restore``) a restore of the
    session the first saved."""
    config = keeping_daemon(tmp_path)
    (tmp_path / "state" / "plugins" / "qod_check.py").write_text(QOD_CHECK)
    port = free_port()

    async def scenario() -> list[list[Message]]:
        client = await log_in(port)
        seen = []
        for prefs in extra:
            items = scan_preferences(None, plugin_set=str(CHECK), qod_port=str(ssh.port), **prefs)
            seen.append(await scan(client, "127.0.0.1", items))
        if restore:
            ((name, _),) = await listing(client)
            seen.append(await scan(client, "", None, SessionRestore(session_id=name)))
        await client.close()
        return seen

    with running(config, port):
        return asyncio.run(asyncio.wait_for(scenario(), 120))


def findings(seen: list[Message]) -> list[tuple[ReportKind, str, str, str]]:
    """(kind, plugin, port, text) of the test plugin's reports and of the held-back note."""
    return [
        (m.kind, m.plugin_id, str(m.port), m.text)
        for m in seen
        if isinstance(m, Report) and m.plugin_id in (str(CHECK), str(WITHHELD_PLUGIN_ID))
    ]


def test_a_version_guess_is_held_back_and_listed_at_the_end_of_the_host(
    tmp_path: Path, ssh: BannerService
) -> None:
    (seen,) = scans(tmp_path, ssh, {})
    port = f"unknown ({ssh.port}/tcp)"
    (confirmed, note) = findings(seen)
    assert confirmed == (
        ReportKind.HOLE,
        str(CHECK),
        port,
        "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 answered the probe\nCVE : CVE-2024-6387\n"
        "Quality of detection: 95% (remote_active)\n",
    )
    kind, plugin, where, text = note
    assert (kind, plugin, where) == (ReportKind.NOTE, str(WITHHELD_PLUGIN_ID), "general/tcp")
    assert text.startswith(
        "1 finding(s) on this host were not reported one by one: their quality of detection "
        "(QoD) is below this scan's minimum, min_qod = 70.\n\n"
        f"- plugin {CHECK} (OpenSSH version check): Security Hole on {ssh.port}/tcp, "
        "QoD 30% (remote_banner_unreliable)\n\n"
    )
    assert "min_qod = 0 reports everything" in text
    # The note is the host's last result: before its FINISHED and its end.
    index = seen.index(next(m for m in seen if isinstance(m, Report) and m.text == text))
    assert isinstance(seen[index + 1], Finished)
    end = seen[index + 2]
    assert isinstance(end, Time)
    assert end.kind is TimeKind.HOST_END
    # The held-back finding is in the daemon's log.
    log = (tmp_path / "ixiond.log").read_text()
    assert (
        f"127.0.0.1: plugin {CHECK}'s hole on {ssh.port}/tcp held back: quality of detection "
        "30% (remote_banner_unreliable) < 70"
    ) in log


def test_min_qod_0_sends_everything_as_the_plugin_said(tmp_path: Path, ssh: BannerService) -> None:
    (seen,) = scans(tmp_path, ssh, {"min_qod": "0"})
    assert [(kind, plugin, text.splitlines()[-1]) for kind, plugin, _, text in findings(seen)] == [
        (ReportKind.HOLE, str(CHECK), "Quality of detection: 30% (remote_banner_unreliable)"),
        (ReportKind.HOLE, str(CHECK), "Quality of detection: 95% (remote_active)"),
    ]


def test_a_higher_minimum_holds_back_both_and_a_restored_session_shows_the_same(
    tmp_path: Path, ssh: BannerService
) -> None:
    first, restored = scans(tmp_path, ssh, {"min_qod": "96", "save_session": "yes"}, restore=True)
    ((kind, plugin, _, text),) = findings(first)
    assert (kind, plugin) == (ReportKind.NOTE, str(WITHHELD_PLUGIN_ID))
    assert text.startswith("2 finding(s)")
    assert "min_qod = 96." in text
    assert "QoD 30% (remote_banner_unreliable)" in text
    assert "QoD 95% (remote_active)" in text
    assert findings(restored) == findings(first)


def held(qod: int, plugin: int = CHECK, port: int = 22) -> Finding:
    return Finding("h", Severity.WARNING, port, "tcp", "t\n", plugin, qod, "")


def test_the_minimum_is_inclusive_capped_at_100_and_each_host_summed_up_once() -> None:
    asked: list[int] = []

    def names() -> dict[int, str]:
        asked.append(1)
        return {CHECK: "Check"}

    confidence = Confidence(70, names, "tester")
    assert confidence.admits(held(70))
    assert confidence.summary("h") is None
    assert not asked  # nothing held back: the plugins were not indexed
    assert not confidence.admits(held(69, plugin=5, port=0))
    note = confidence.summary("h")
    assert note is not None
    assert (note.severity, note.port, note.plugin_id) == (Severity.NOTE, 0, WITHHELD_PLUGIN_ID)
    assert "- plugin 5 (?): Security Warning on general/tcp, QoD 69%\n" in note.text
    assert confidence.summary("h") is None
    assert Confidence(250, names, "tester").min_qod == 100
    assert Confidence(-4, names, "tester").min_qod == 0
    assert Confidence(100, names, "tester").admits(held(100))
    # ixion's own notes (no port scanner ran...) are never held back.
    assert Confidence(100, names, "tester").admits(held(70, plugin=WITHHELD_PLUGIN_ID))


def test_a_long_list_is_cut_and_counted() -> None:
    confidence = Confidence(50, dict, "tester")
    for port in range(1, MAX_LISTED + 6):
        assert not confidence.admits(held(30, port=port))
    note = confidence.summary("h")
    assert note is not None
    assert note.text.startswith(f"{MAX_LISTED + 5} finding(s)")
    assert note.text.count("\n- plugin ") == MAX_LISTED
    assert "\n- and 5 more (see the daemon's log)\n" in note.text
