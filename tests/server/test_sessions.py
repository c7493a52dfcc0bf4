"""Saved sessions through a real ixiond (spec §8.1, §8.2): listed, restored, deleted, kept
across a crash of the daemon, and refused to anyone naming what is not theirs.

The scans use the two reporting plugins of :mod:`tests.server.keeping_harness`: no target
receives any traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from ixion.ntp import (
    Error,
    LongAttack,
    Message,
    NessusVersion,
    NessusVersionRequest,
    Report,
    ReportKind,
    SessionDelete,
    SessionRestore,
    Time,
    TimeKind,
)
from tests.server.keeping_harness import (
    STREAM,
    add_user_with_rules,
    host_ends,
    keeping_daemon,
    listing,
    log_in,
    notes,
    runs,
    scan,
    scan_preferences,
    set_preferences,
)
from tests.server.test_daemon import PATIENCE, free_port, running

#: The attack order of a session restore carries no target; everything else is compared.
_TIMELESS: Final = (TimeKind.SCAN_START, TimeKind.SCAN_END)


def without_scan_times(seen: list[Message]) -> list[Message]:
    return [m for m in seen if not (isinstance(m, Time) and m.kind in _TIMELESS)]


def test_a_saved_session_is_listed_restored_as_it_was_and_deleted(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    marker = tmp_path / "runs"
    port = free_port()

    async def scenario() -> None:
        client = await log_in(port)
        items = scan_preferences(marker, save_session="yes")
        first = await scan(client, "127.0.0.1, 127.0.0.2", items)
        assert sorted(host_ends(first)) == ["127.0.0.1", "127.0.0.2"]
        ((name, targets),) = await listing(client)
        assert targets == "127.0.0.1, 127.0.0.2"
        restored = await scan(client, "", None, SessionRestore(session_id=name))
        # Every message of the finished hosts comes back as it was sent, in order...
        assert without_scan_times(restored) == without_scan_times(first)
        # ...and no plugin ran again.
        assert sorted(runs(marker)) == [
            "stream 127.0.0.1",
            "stream 127.0.0.2",
            "summary 127.0.0.1",
            "summary 127.0.0.2",
        ]
        # save_session is still on: the restore was saved as a session of its own.
        names = [n for n, _ in await listing(client)]
        assert len(names) == 2
        assert name in names
        await client.send(SessionDelete(session_id=name))
        assert [n for n, _ in await listing(client)] == [n for n in names if n != name]
        await client.send(SessionDelete(session_id=name))
        error = await client.receive()
        assert isinstance(error, Error)
        assert name in error.text
        await client.close()

    with running(config, port):
        asyncio.run(asyncio.wait_for(scenario(), 120))


@pytest.mark.parametrize(("keep_empty", "kept"), [("no", 0), ("yes", 1)])
def test_a_session_that_found_nothing_is_kept_only_with_save_empty_sessions(
    tmp_path: Path, keep_empty: str, kept: int
) -> None:
    config = keeping_daemon(tmp_path)
    port = free_port()

    async def scenario() -> int:
        client = await log_in(port)
        items = scan_preferences(
            save_session="yes",
            save_empty_sessions=keep_empty,
            plugin_set=str(STREAM),
            stream_count="0",
        )
        seen = await scan(client, "127.0.0.1", items)
        assert not [m for m in seen if isinstance(m, Report)]
        found = len(await listing(client))
        await client.close()
        return found

    with running(config, port):
        assert asyncio.run(asyncio.wait_for(scenario(), 60)) == kept


def test_after_a_daemon_crash_the_session_is_listed_and_resumes_the_half_done_host(
    tmp_path: Path,
) -> None:
    """kill -9 while the second plugin runs: the restore replays the first plugin's findings
    and KB writes without running it again, and runs the second one, which sees them."""
    config = keeping_daemon(tmp_path)
    marker = tmp_path / "runs"

    async def until_crash(port: int, proc: subprocess.Popen[bytes]) -> list[Message]:
        client = await log_in(port)
        items = scan_preferences(marker, save_session="yes", stream_count="3", summary_delay="60")
        await set_preferences(client, items)
        await client.send(LongAttack(targets="127.0.0.1"))
        seen: list[Message] = []
        while len(notes(seen)) < 3:
            seen.append(await asyncio.wait_for(client.receive(), PATIENCE))
        while runs(marker) != ["stream 127.0.0.1", "summary 127.0.0.1"]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # the marker is a file another process writes
        await asyncio.sleep(0.5)  # the first plugin's end reaches the store
        proc.kill()
        with contextlib.suppress(OSError, ConnectionError):
            await client.close()
        return seen

    port = free_port()
    with running(config, port, start_new_session=True) as proc:
        before = asyncio.run(asyncio.wait_for(until_crash(port, proc), 60))
        proc.wait(PATIENCE)
    _kill_group(proc.pid)

    async def after_restart(port: int) -> tuple[list[tuple[str, str]], list[Message]]:
        client = await log_in(port)
        found = await listing(client)
        items = scan_preferences(marker, summary_delay="0")
        restored = await scan(client, "", items, SessionRestore(session_id=found[0][0]))
        await client.close()
        return found, restored

    port = free_port()
    with running(config, port):
        found, restored = asyncio.run(asyncio.wait_for(after_restart(port), 60))
    assert [targets for _, targets in found] == ["127.0.0.1"]
    assert (
        notes(restored)
        == notes(before)
        == [f"finding {i} on 127.0.0.1\nQuality of detection: 70%\n" for i in range(3)]
    )
    warnings = [m.text for m in restored if isinstance(m, Report) and m.kind is ReportKind.INFO]
    assert warnings == ["127.0.0.1 saw 3 findings, old: \nQuality of detection: 70%\n"]
    assert host_ends(restored) == ["127.0.0.1"]
    assert runs(marker) == ["stream 127.0.0.1", "summary 127.0.0.1", "summary 127.0.0.1"]


def _kill_group(pgid: int) -> None:
    """What the killed daemon left behind (its fork server, a sleeping worker): ours."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


# --- names that are not the client's ------------------------------------------------------

BAD_NAMES: Final = {
    "unknown": b"20200101-000000",
    "the other user's": None,  # filled in by the test
    "a path": b"../../state/store.sqlite",
    "a NUL": b"20200101-000000\x00",
    "huge": b"2" * 8000,
}


async def raw_order(port: int, user: str, password: str, line: bytes) -> bytes:
    """Log in with ``fast_login``, send one raw order line; the first line answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"< NTP/1.2 >< fast_login >\n" + f"{user}\n{password}\n".encode() + line)
    await writer.drain()
    banner = await reader.readline()
    assert banner == b"< NTP/1.2 >\n"
    await reader.readexactly(len(b"User : Password : "))
    answer = await asyncio.wait_for(reader.readline(), PATIENCE)
    writer.close()
    return answer


@pytest.mark.parametrize("verb", [b"SESSION_DELETE", b"SESSION_RESTORE", b"STOP_DETACHED"])
def test_names_that_are_not_the_clients_get_an_error_and_touch_nothing(
    tmp_path: Path, verb: bytes
) -> None:
    config = keeping_daemon(tmp_path)
    add_user_with_rules(config, "mallory", "secret", ["accept 127.0.0.1"])
    port = free_port()

    async def scenario() -> dict[str, bytes]:
        client = await log_in(port)
        await scan(client, "127.0.0.1", scan_preferences(save_session="yes"))
        ((name, _),) = await listing(client)
        await client.close()
        answers = {}
        for what, bad in BAD_NAMES.items():
            word = name.encode() if bad is None else bad
            line = b"CLIENT <|> " + verb + b" <|> " + word + b" <|> CLIENT\n"
            answers[what] = await raw_order(port, "mallory", "secret", line)
        client = await log_in(port)
        assert [n for n, _ in await listing(client)] == [name]  # still there, untouched
        await client.close()
        return answers

    with running(config, port):
        answers = asyncio.run(asyncio.wait_for(scenario(), 120))
    for what, answer in answers.items():
        # A line past the protocol's limit is refused as such; every other name is unknown.
        expected = b"Request too large" if what == "huge" else b"E000 - "
        assert answer.startswith(b"SERVER <|> ERROR <|> " + expected), (what, answer)
        assert b"\x00" not in answer
        assert len(answer) < 200
    store = sqlite3.connect(tmp_path / "state" / "store.sqlite")
    assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert store.execute("SELECT count(*) FROM session").fetchone() == (1,)


# --- a full disk ------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``path`` (root only) for as long as the block runs."""
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def test_a_full_disk_stops_the_saving_not_the_scan_and_leaves_the_store_whole(
    tmp_path: Path,
) -> None:
    count = 300
    with small_disk(tmp_path / "state", "3m"):
        config = keeping_daemon(tmp_path)
        port = free_port()

        async def scenario() -> tuple[list[Message], str]:
            client = await log_in(port)
            items = scan_preferences(
                save_session="yes", stream_count=str(count), stream_pad=str(16 * 1024)
            )
            seen = await scan(client, "127.0.0.1", items)
            await client.send(NessusVersionRequest())  # the daemon serves on
            version = await client.receive()
            await client.close()
            assert isinstance(version, NessusVersion)
            return seen, version.version

        with running(config, port):
            seen, _ = asyncio.run(asyncio.wait_for(scenario(), 120))
        store = sqlite3.connect(tmp_path / "state" / "store.sqlite")
        assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = store.execute("SELECT count(*) FROM session_message WHERE kind = 'NOTE'").fetchone()
        store.close()
    # Every result reached the client, told once that saving had stopped...
    assert len(notes(seen)) == count
    errors = [m.text for m in seen if isinstance(m, Error)]
    assert len(errors) == 1
    assert "no longer saved" in errors[0]
    assert "full" in errors[0]
    # ...and the store holds a whole beginning of the scan, not the rest.
    assert 0 < kept[0] < count


def test_two_users_save_sessions_at_once_and_each_gets_their_own_whole(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    add_user_with_rules(config, "bob", "bobpass", ["accept 127.0.0.0/29"])
    port = free_port()
    count = 200

    async def one(user: str, password: str, targets: str) -> tuple[list[str], list[str]]:
        client = await log_in(port, user, password)
        items = scan_preferences(save_session="yes", stream_count=str(count))
        seen = await scan(client, targets, items)
        ((name, _),) = await listing(client)  # their own session, and only it
        restored = await scan(client, "", None, SessionRestore(session_id=name))
        await client.close()
        return notes(seen), notes(restored)

    async def scenario() -> list[tuple[list[str], list[str]]]:
        return list(
            await asyncio.gather(
                one("tester", "testpass", "127.0.0.1, 127.0.0.2"),
                one("bob", "bobpass", "127.0.0.3, 127.0.0.4"),
            )
        )

    with running(config, port):
        tester, bob = asyncio.run(asyncio.wait_for(scenario(), 120))
    for seen, restored in (tester, bob):
        assert len(seen) == 2 * count
        assert sorted(restored) == sorted(seen)
    assert not set(tester[0]) & set(bob[0])
