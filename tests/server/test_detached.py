"""Detached and continuous scans through a real ixiond (spec §4.7, §8.4): the client gets BYE
and leaves, the scan goes on, is listed and stopped, loops, mails each loop's findings to a
real SMTP relay, and survives a ``kill -9`` of the daemon.

The scans use the reporting plugins of :mod:`tests.server.keeping_harness`: no target receives
any traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

from ixion.ntp import (
    AttachedFile,
    Bye,
    ConnectionClosed,
    FileAccepted,
    LongAttack,
    Message,
    NessusVersion,
    NessusVersionRequest,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
    StopDetached,
    Time,
    TimeKind,
)
from ixion.reports import read_nbe
from tests.lab import MailRelay
from tests.server.keeping_harness import (
    STREAM,
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


async def detach(port: int, targets: str, items: tuple[tuple[str, str], ...]) -> list[Message]:
    """Order a detached scan; what the server said before it closed the connection."""
    client = await log_in(port)
    await set_preferences(client, (*items, ("detached_scan", "yes")))
    await client.send(LongAttack(targets=targets))
    said = []
    while not isinstance(msg := await asyncio.wait_for(client.receive(), PATIENCE), Bye):
        said.append(msg)
    said.append(msg)
    said.append(await asyncio.wait_for(client.receive(), PATIENCE))
    await client.close()
    return said


async def until(condition: object, seconds: float = 30.0) -> None:
    """Wait for ``condition()`` (a file another process writes, a relay's inbox)."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.05)


def test_a_detached_scan_goes_on_without_its_client_is_listed_and_stopped(
    tmp_path: Path,
) -> None:
    config = keeping_daemon(tmp_path)
    marker = tmp_path / "runs"
    port = free_port()

    async def scenario() -> None:
        items = scan_preferences(marker, stream_count="200", stream_delay="0.05")
        said = await detach(port, "127.0.0.1", items)
        # BYE as the scan starts, then the server closes (after TIME SCAN_START: timestamps).
        assert [type(m) for m in said] == [Time, Bye, ConnectionClosed]
        assert isinstance(said[0], Time)
        assert said[0].kind is TimeKind.SCAN_START
        await until(lambda: "stream 127.0.0.1" in runs(marker))
        client = await log_in(port)
        ((number, targets),) = await listing(client, detached=True)
        assert targets == "127.0.0.1"
        await client.send(StopDetached(session_id=number))
        await client.send(NessusVersionRequest())  # no answer to the stop, no error either
        assert isinstance(await client.receive(), NessusVersion)
        assert await listing(client, detached=True) == []
        # What it found is in its session, which stays restorable.
        await client.send(SessionsListRequest())
        sessions = await client.receive()
        assert isinstance(sessions, SessionsList)
        (entry,) = sessions.sessions
        restored = await scan(client, "", scan_preferences(), SessionRestore(session_id=entry.id))
        found = notes(restored)
        assert found
        assert found == [
            f"finding {i} on 127.0.0.1\nQuality of detection: 70%\n" for i in range(len(found))
        ]
        assert len(found) < 200
        await client.close()

    with running(config, port):
        asyncio.run(asyncio.wait_for(scenario(), 120))


def test_a_detached_scan_keeps_the_files_its_client_attached_until_it_ends(
    tmp_path: Path,
) -> None:
    config = keeping_daemon(tmp_path)
    port = free_port()

    async def scenario() -> list[str]:
        client = await log_in(port)
        key_preference = {"Stream check[file]:Key file": "/home/alice/key"}
        items = scan_preferences(
            None,
            save_session="yes",
            detached_scan="yes",
            stream_count="3",
            stream_delay="0.3",
            **key_preference,
        )
        await set_preferences(client, items)
        await client.send(AttachedFile(name="/home/alice/key", data=b"the key"))
        assert isinstance(await client.receive(), FileAccepted)
        await client.send(LongAttack(targets="127.0.0.1"))
        while not isinstance(await client.receive(), Bye):
            pass
        await client.close()
        client = await log_in(port)
        for _ in range(200):
            if not await listing(client, detached=True):
                break
            await asyncio.sleep(0.05)
        ((name, _),) = await listing(client)
        restored = await scan(client, "", scan_preferences(), SessionRestore(session_id=name))
        await client.close()
        return notes(restored)

    with running(config, port):
        found = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert found[0] == "key file: the key\nQuality of detection: 70%\n"
    assert len(found) == 4
    assert list((tmp_path / "state" / "tmp").iterdir()) == []  # deleted when the scan ended


def test_a_continuous_scan_loops_and_mails_each_loops_findings(tmp_path: Path) -> None:
    with MailRelay() as relay:
        config = keeping_daemon(
            tmp_path,
            f"smtp_host = 127.0.0.1\nsmtp_port = {relay.port}\nsmtp_sender = ixiond@lab.test\n",
        )
        port = free_port()

        async def scenario() -> int:
            items = scan_preferences(
                continuous_scan="yes",
                delay_between_scan_loops="0",
                detached_scan_email_address="alice@lab.test",
                stream_count="2",
            )
            await detach(port, "127.0.0.2, 127.0.0.1", items)
            await until(lambda: len(relay.messages) >= 2)
            client = await log_in(port)
            ((number, _),) = await listing(client, detached=True)
            await client.send(StopDetached(session_id=number))
            await client.send(NessusVersionRequest())
            assert isinstance(await client.receive(), NessusVersion)
            await client.close()
            return int(number)

        with running(config, port):
            number = asyncio.run(asyncio.wait_for(scenario(), 120))
        mails = relay.messages
    store = sqlite3.connect(tmp_path / "state" / "store.sqlite")
    loops, state = store.execute(
        "SELECT loops, state FROM detached WHERE id = ?", (number,)
    ).fetchone()
    store.close()
    assert loops >= 2
    assert state == "stopped"
    sender, recipients, data = mails[0]
    assert (sender, recipients) == ("ixiond@lab.test", ["alice@lab.test"])
    mail = email.message_from_bytes(data, policy=email.policy.default)
    assert mail["To"] == "alice@lab.test"
    assert mail["Subject"] == "ixiond scan of 127.0.0.2, 127.0.0.1: 0 hole(s)"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert "2 host(s): 0 security hole(s), 2 warning(s), 4 note(s)." in text
    # Ordered by host, then severity: each host's warning before its notes.
    order = re.findall(r"^(127\.0\.0\.\d$|o Security \w+)", text, re.MULTILINE)
    assert order == [
        "127.0.0.1",
        "o Security warning",
        "o Security note",
        "o Security note",
        "127.0.0.2",
        "o Security warning",
        "o Security note",
        "o Security note",
    ]
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "report.nbe"
    report = read_nbe(attachment.get_content().encode())
    assert sorted({f.host for f in report.findings}) == ["127.0.0.1", "127.0.0.2"]
    assert len(report.findings) == 6


def test_a_loop_that_finds_nothing_mails_nothing(tmp_path: Path) -> None:
    with MailRelay() as relay:
        config = keeping_daemon(tmp_path, f"smtp_host = 127.0.0.1\nsmtp_port = {relay.port}\n")
        port = free_port()

        async def scenario() -> None:
            items = scan_preferences(
                detached_scan_email_address="alice@lab.test",
                plugin_set=str(STREAM),
                stream_count="0",
            )
            await detach(port, "127.0.0.1", items)
            client = await log_in(port)
            await until(lambda: "nothing found this loop" in log.read_text())
            assert await listing(client, detached=True) == []
            await client.close()

        log = tmp_path / "ixiond.log"
        with running(config, port):
            asyncio.run(asyncio.wait_for(scenario(), 60))
        assert relay.messages == []


def test_a_detached_scan_resumes_after_a_kill_9_of_the_daemon(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    marker = tmp_path / "runs"
    log = tmp_path / "ixiond.log"

    async def start(port: int) -> None:
        items = scan_preferences(
            marker, max_hosts="1", save_session="yes", stream_count="4", stream_delay="0.5"
        )
        await detach(port, "127.0.0.1, 127.0.0.2", items)
        await until(lambda: "stream 127.0.0.2" in runs(marker))

    port = free_port()
    with running(config, port, start_new_session=True) as proc:
        asyncio.run(asyncio.wait_for(start(port), 60))
        proc.kill()
        proc.wait(PATIENCE)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # what the dead daemon left behind: ours

    async def after_restart(port: int) -> list[Message]:
        client = await log_in(port)
        await until(lambda: "resumed from session" in log.read_text())
        await until(lambda: runs(marker).count("summary 127.0.0.2") == 1, 60)
        for _ in range(100):
            if not await listing(client, detached=True):
                break
            await asyncio.sleep(0.1)
        await client.send(SessionsListRequest())
        sessions = await client.receive()
        assert isinstance(sessions, SessionsList)
        newest = sessions.sessions[-1].id
        restored = await scan(client, "", scan_preferences(), SessionRestore(session_id=newest))
        await client.close()
        return restored

    port = free_port()
    with running(config, port):
        restored = asyncio.run(asyncio.wait_for(after_restart(port), 120))
    assert "detached scan 1 of 127.0.0.1, 127.0.0.2 resumed from session" in log.read_text()
    for host in ("127.0.0.1", "127.0.0.2"):
        assert notes(restored, host) == [
            f"finding {i} on {host}\nQuality of detection: 70%\n" for i in range(4)
        ]
    # The host that had finished was not scanned again.
    assert runs(marker).count("stream 127.0.0.1") == 1
    assert runs(marker).count("summary 127.0.0.1") == 1
