"""What a crash leaves in the state directory is removed at the next start (issue 15, item 7).

The trees here are what an interrupted ixiond, ixion-adduser or ixion-rmuser really leaves
(the names their temporary files and directories get), next to look-alikes that must stay:
files outside the state directory reached through links, a live process's pid file, the
store's lock, and whatever a tool may be writing right now. The last tests start a real
``ixiond`` on such a tree, and after a ``kill -9`` while a client had attached a private key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import pytest

from ixion.client.connection import ClientConnection
from ixion.ntp import AttachedFile, FileAccepted
from ixion.server.config import Locations, parse_config, resolve_settings
from ixion.server.leftovers import STALE_AFTER, remove_leftovers
from ixion.server.options import Settings
from tests.server.test_daemon import PATIENCE, add_user, free_port, running, write_config

KEY: Final = b"-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real one\n"


def settings_of(state: Path) -> Settings:
    locations = Locations(config_file=state / "ixiond.conf", state_dir=state)
    return resolve_settings(parse_config(""), locations).settings


def make(path: Path, data: bytes = b"x", mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


def dead_pid() -> int:
    """The pid of a process that has just ended (and been reaped)."""
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait(PATIENCE)
    return done.pid


def age(root: Path) -> None:
    """Make ``root`` and everything under it look untouched for twice :data:`STALE_AFTER`."""
    old = time.time() - 2 * STALE_AFTER
    for path in [root, *root.rglob("*")]:
        os.utime(path, (old, old), follow_symlinks=False)


def crash_tree(state: Path, outside: Path) -> tuple[list[Path], list[Path]]:
    """What an interrupted run leaves, and what must stay beside it: (doomed, kept)."""
    secret = make(outside / "secret.txt", b"outside the state directory")
    link = state / "tmp" / "attached-l1nk0000"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    doomed = [
        make(state / "tmp" / "attached-k3j4h5g6", KEY),
        link,
        make(state / "users" / ".new-abcd1234" / "auth" / "hash", b"$scrypt$...").parent.parent,
        make(state / "users" / ".removed-0123456789abcdef" / "plugins" / "x.nasl").parent.parent,
        make(state / "users" / "tester" / "plugins" / ".half.nasl.abcd1234", b"if (descr"),
        make(state / "users" / "tester" / "auth" / ".hash.q1w2e3r4"),
        make(state / "plugins" / ".feed.nasl.zz9_zz9_", b"script_id("),
        make(state / ".ixiond.pid.q1w2e3r4", b"12"),
        make(state / "tls" / ".serverkey.pem.a1b2c3d4", b"-----BEGIN PRIVATE KEY-----\n"),
        make(state / "ixiond.pid", b"%d\n" % dead_pid(), 0o644),
    ]
    kept = [
        secret,
        make(state / "tmp" / "attached-dir" / "inside"),  # not a file ixiond makes
        make(state / "tmp" / "notes.txt"),
        make(state / "users" / "tester" / "plugins" / "good.nasl", mode=0o644),
        make(state / "users" / "tester" / "plugins" / ".notes.txt.abcd1234"),  # not a plugin
        make(state / "users" / "tester" / "auth" / "dname"),
        make(state / "plugins" / "feed.nasl", mode=0o644),
        make(state / "plugins" / ".keep.nasl.asc", mode=0o644),  # not mkstemp's pattern
        make(state / "store.lock"),
        make(state / "tls" / "serverkey.pem"),
    ]
    return doomed, kept


def test_an_interrupted_runs_leftovers_are_removed_and_each_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    doomed, kept = crash_tree(state, tmp_path / "outside")
    caplog.set_level(logging.INFO, logger="ixion.server.leftovers")
    removed = remove_leftovers(settings_of(state), now=time.time() + 2 * STALE_AFTER)
    assert sorted(r.path for r in removed) == sorted(doomed)
    assert [p for p in doomed if os.path.lexists(p)] == []
    assert [p for p in kept if not p.exists()] == []
    for leftover in removed:
        assert f"removed {leftover.path}: {leftover.why}" in caplog.text
    reasons = {r.path.name: r.why for r in removed}
    assert reasons["attached-k3j4h5g6"].startswith("an attached file")
    assert reasons[".new-abcd1234"] == "a user being created when its tool or the daemon stopped"
    assert reasons[".half.nasl.abcd1234"] == "a half-written copy of half.nasl"
    assert reasons["ixiond.pid"].endswith("which no longer exists")
    # Nothing left to do the next time.
    assert remove_leftovers(settings_of(state), now=time.time() + 2 * STALE_AFTER) == []


def test_what_a_tool_may_be_writing_now_is_left_until_it_is_stale(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    building = make(state / "users" / ".new-zzzz0000" / "auth" / "hash")
    key = make(state / "tls" / ".serverkey.pem.zzzz0000")
    caplog.set_level(logging.INFO, logger="ixion.server.leftovers")
    assert remove_leftovers(settings_of(state)) == []
    assert building.exists()
    assert key.exists()
    assert f"left {building.parent.parent}: changed in the last 60 s, it may be in use" in (
        caplog.text
    )
    later = remove_leftovers(settings_of(state), now=time.time() + 2 * STALE_AFTER)
    assert {r.path for r in later} == {building.parent.parent, key}


def test_nothing_is_removed_through_a_link_out_of_the_state_directory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state, outside = tmp_path / "state", tmp_path / "elsewhere"
    files = [make(outside / "attached-aaaa1111", KEY), make(outside / ".x.nasl.abcd1234")]
    (state / "users" / "tester").mkdir(parents=True)
    (state / "tmp").symlink_to(outside)
    (state / "plugins").symlink_to(outside)
    (state / "users" / "tester" / "plugins").symlink_to(outside)
    (state / "users" / "tester" / "auth").symlink_to(outside)
    caplog.set_level(logging.INFO, logger="ixion.server.leftovers")
    assert remove_leftovers(settings_of(state), now=time.time() + 2 * STALE_AFTER) == []
    assert all(p.exists() for p in files)
    assert f"leftovers not looked for in {state / 'tmp'}: it is outside" in caplog.text


def test_a_pid_file_naming_a_live_process_stays(tmp_path: Path) -> None:
    state = tmp_path / "state"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pidfile = make(state / "ixiond.pid", b"%d\n" % live.pid, 0o644)
        assert remove_leftovers(settings_of(state)) == []
        assert pidfile.exists()
    finally:
        live.kill()
        live.wait(PATIENCE)
    assert [r.path for r in remove_leftovers(settings_of(state))] == [pidfile]


def test_ixiond_starting_on_a_crash_tree_removes_it_and_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_user(config)
    state = tmp_path / "state"
    doomed, kept = crash_tree(state, tmp_path / "outside")
    age(state)
    with running(config, free_port()):
        pass
    assert [p for p in doomed if os.path.lexists(p)] == []
    assert [p for p in kept if not p.exists()] == []
    log = (tmp_path / "ixiond.log").read_text()
    for path in doomed:
        assert f"removed {path}: " in log
    assert f"removed {len(doomed)} leftovers of an earlier run" in log


def test_after_a_kill_9_the_next_start_removes_the_attached_private_key(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_user(config)
    attached = tmp_path / "state" / "tmp"

    async def attach_then_crash(port: int, daemon: subprocess.Popen[bytes]) -> list[Path]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        try:
            await client.login("tester", "testpass")
            await client.send(AttachedFile(name="/home/tester/.ssh/id_ed25519", data=KEY))
            assert isinstance(await client.receive(), FileAccepted)
            held = list(attached.iterdir())
            daemon.kill()  # SIGKILL while the client is still connected
            daemon.wait(PATIENCE)
            return held
        finally:
            with contextlib.suppress(OSError):
                await client.close()

    port = free_port()
    with running(config, port, start_new_session=True) as daemon:
        held = asyncio.run(asyncio.wait_for(attach_then_crash(port, daemon), 60))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(daemon.pid, signal.SIGKILL)  # its fork server: ours, started with it
    (key,) = held
    assert key.read_bytes() == KEY  # the crash left it
    with running(config, free_port()):
        pass
    assert list(attached.iterdir()) == []
    log = (tmp_path / "ixiond.log").read_text()
    assert f"removed {key}: an attached file of a connection or scan the daemon lost" in log
