"""Saved knowledge bases through a real ixiond (spec §8.3): every option changes what is
scanned, with nessusd's rules and without its first-line bug, and a nessusd KB file is read.

The scans use the two reporting plugins of :mod:`tests.server.keeping_harness`; the second
one reports how many ``Stream/seen`` values and which ``Old/entry`` values its KB holds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from ixion.client.connection import ClientConnection
from ixion.ntp import Error, Message, Report, ReportKind
from ixion.server.detach import PIDFILE_NAME
from ixion.store.database import Store
from ixion.store.kbs import SavedKbs, format_nessusd_kb
from tests.server.keeping_harness import (
    STREAM,
    SUMMARY,
    host_ends,
    keeping_daemon,
    log_in,
    runs,
    scan,
    scan_preferences,
)
from tests.server.test_daemon import IXIOND, PATIENCE, free_port, running, wait_until_serving


def summaries(seen: list[Message]) -> list[str]:
    return [m.text for m in seen if isinstance(m, Report) and m.kind is ReportKind.INFO]


def saved(tmp_path: Path, host: str) -> list[tuple[str, object]]:
    store = sqlite3.connect(tmp_path / "state" / "store.sqlite")
    try:
        rows = store.execute(
            "SELECT name, value FROM kb_entry WHERE user = 'tester' AND host = ? AND backup = 0"
            " ORDER BY id",
            (host,),
        ).fetchall()
    finally:
        store.close()
    return [(name, value) for name, value in rows]


def scans(
    tmp_path: Path, *orders: tuple[str, dict[str, str]], kb_file: bytes = b""
) -> list[list[Message]]:
    """Run each ``(targets, preferences)`` scan in turn on one connection (its preferences
    add up, as a connection's do); ``kb_file``: a nessusd KB file of 127.0.0.1 for tester."""
    config = keeping_daemon(tmp_path)
    if kb_file:
        kbs = tmp_path / "state" / "users" / "tester" / "kbs"
        kbs.mkdir()
        (kbs / "127.0.0.1").write_bytes(kb_file)
    marker = tmp_path / "runs"
    port = free_port()

    async def scenario() -> list[list[Message]]:
        client: ClientConnection = await log_in(port)
        results = []
        for targets, prefs in orders:
            results.append(await scan(client, targets, scan_preferences(marker, **prefs)))
        await client.close()
        return results

    with running(config, port):
        return asyncio.run(asyncio.wait_for(scenario(), 120))


def test_save_knowledge_base_keeps_what_plugins_wrote_but_secrets_and_scratch(
    tmp_path: Path,
) -> None:
    scans(tmp_path, ("127.0.0.1", {"save_knowledge_base": "yes"}))
    entries = saved(tmp_path, "127.0.0.1")
    names = [name for name, _ in entries]
    assert [v for n, v in entries if n == "Stream/seen"] == [0, 1, 2, 3, 4]
    assert f"Launched/{STREAM}" in names
    assert f"Launched/{SUMMARY}" in names
    assert f"Success/{SUMMARY}" in names
    assert not [n for n in names if n.startswith(("Secret/", "/tmp/"))]
    assert saved(tmp_path, "127.0.0.2") == []  # not scanned, nothing saved


def test_kb_restore_starts_from_the_saved_kb_and_dont_replay_skips_what_ran(
    tmp_path: Path,
) -> None:
    first, skipped, rerun = scans(
        tmp_path,
        ("127.0.0.1", {"save_knowledge_base": "yes"}),
        (
            "127.0.0.1",
            {"save_knowledge_base": "yes", "kb_restore": "yes", "stream_count": "2"}
            | {"kb_dont_replay_info_gathering": "yes"},
        ),
        (
            "127.0.0.1",
            {"kb_dont_replay_info_gathering": "no", "stream_count": "7"},
        ),
    )
    assert summaries(first) == ["127.0.0.1 saw 5 findings, old: \nQuality of detection: 70%\n"]
    # The information gathering plugin did not run again: the summary sees the saved KB.
    assert summaries(skipped) == ["127.0.0.1 saw 5 findings, old: \nQuality of detection: 70%\n"]
    # Without kb_dont_replay, it runs again, on top of what was saved.
    assert summaries(rerun) == ["127.0.0.1 saw 7 findings, old: \nQuality of detection: 70%\n"]
    assert runs(tmp_path / "runs") == [
        "stream 127.0.0.1",
        "summary 127.0.0.1",
        "summary 127.0.0.1",
        "stream 127.0.0.1",
        "summary 127.0.0.1",
    ]


def test_hosts_are_chosen_by_whether_their_kb_is_saved(tmp_path: Path) -> None:
    both = "127.0.0.1, 127.0.0.2"
    kb = {"save_knowledge_base": "yes"}
    _, have, have_not, everyone = scans(
        tmp_path,
        ("127.0.0.1", kb),
        (both, kb | {"only_test_hosts_whose_kb_we_have": "yes"}),
        (
            both,
            {"only_test_hosts_whose_kb_we_have": "no"}
            | {"only_test_hosts_whose_kb_we_dont_have": "yes"},
        ),
        (both, {"only_test_hosts_whose_kb_we_dont_have": "no"}),
    )
    assert host_ends(have) == ["127.0.0.1"]
    assert host_ends(have_not) == ["127.0.0.2"]
    assert sorted(host_ends(everyone)) == ["127.0.0.1", "127.0.0.2"]


def test_a_nessusd_kb_file_is_restored_whole_and_old_entries_are_left_out(
    tmp_path: Path,
) -> None:
    now = time.time()
    nessusd_file = format_nessusd_kb(
        [
            (now - 10, "Old/entry", "first line"),  # nessusd's loader lost this one
            (now - 10, "Old/entry", 2),
            (now - 86400 * 30, "Old/entry", "a month old"),
            (now - 10, "Host/dead", 1),  # never restored
        ]
    )
    (restored,) = scans(
        tmp_path,
        (
            "127.0.0.1",
            {"save_knowledge_base": "yes", "kb_restore": "yes", "kb_max_age": "3600"},
        ),
        kb_file=nessusd_file,
    )
    assert summaries(restored) == [
        "127.0.0.1 saw 5 findings, old: first line,2\nQuality of detection: 70%\n"
    ]


def test_an_unreachable_host_gets_its_saved_kb_back(tmp_path: Path) -> None:
    kb = {"save_knowledge_base": "yes", "kb_restore": "yes"}
    first, dead = scans(
        tmp_path, ("127.0.0.1", kb), ("127.0.0.1", kb | {"stream_dead": "127.0.0.1"})
    )
    assert summaries(first)
    assert not summaries(dead)  # the host was found dead: nothing after the first plugin
    entries = saved(tmp_path, "127.0.0.1")
    assert [v for n, v in entries if n == "Stream/seen"] == [0, 1, 2, 3, 4]
    assert ("Host/dead", 1) not in entries


RAW_PLUGIN = """\
from ixion.plugin_api.metadata import Category, PluginInfo
INFO = PluginInfo(id=91000102, filename="raw_banner.py", name="Raw banner", family="Test",
    category=Category.GATHER_INFO, summary="keeps a banner", description="Keeps.")
async def run(ctx):
    # What NASL keeps of a banner that is not UTF-8: bytes as lone surrogates.
    ctx.kb.add("Banner/raw", "SSH-2.0-\\udcff\\udcfe\\ud800")
    ctx.note("kept")
"""


def test_a_detached_daemon_saves_a_kb_holding_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """``ixiond -D`` (the store opened before the fork) and a target's non-UTF-8 banner in
    the KB: the KB is saved whole, the scan is reported whole, nothing says "internal
    error" or "no longer saved" (both happened: the daemon used its starter's SQLite
    connection, and SQLite's TEXT refused the surrogates)."""
    config = keeping_daemon(tmp_path)
    (tmp_path / "state" / "plugins" / "raw_banner.py").write_text(RAW_PLUGIN)
    port = free_port()
    pidfile = tmp_path / "state" / PIDFILE_NAME
    prefs = scan_preferences(plugin_set=f"{STREAM};91000102", save_knowledge_base="yes")

    async def scenario() -> list[Message]:
        client = await log_in(port)
        seen = await scan(client, "127.0.0.1", prefs)
        await client.close()
        return seen

    pid = None
    try:
        started = subprocess.run(
            [*IXIOND, "-c", str(config), "-a", "127.0.0.1", "-p", str(port), "-D"],
            capture_output=True,
            text=True,
            timeout=PATIENCE,
        )
        assert started.returncode == 0, started.stderr
        pid = int(pidfile.read_text())
        wait_until_serving(port)
        seen = asyncio.run(asyncio.wait_for(scenario(), 120))
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + PATIENCE
            while pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
    assert not [m for m in seen if isinstance(m, Error)], seen
    assert host_ends(seen) == ["127.0.0.1"]
    assert "kept\n" in [m.text.split("Quality")[0] for m in seen if isinstance(m, Report)]
    store = Store.open(tmp_path / "state")
    try:
        entries = {name: value for _, name, value in SavedKbs(store).entries("tester", "127.0.0.1")}
    finally:
        store.close()
    assert entries["Banner/raw"] == "SSH-2.0-\udcff\udcfe\ud800"
    assert [v for n, v in saved(tmp_path, "127.0.0.1") if n == "Stream/seen"] == [0, 1, 2, 3, 4]
    log = (tmp_path / "ixiond.log").read_text(errors="replace")
    assert "internal error" not in log
    assert "no longer be saved" not in log
