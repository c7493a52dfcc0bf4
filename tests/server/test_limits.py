"""The limits of issue 15 against a real ixiond: over each one, the client it concerns is told
(or, before any NTP, closed or kept waiting), the log says so once, and everyone else is served.

The connection limits run ixiond's accept loop in this event loop
(:mod:`tests.server.daemon_harness`), with limits small enough to reach; the scan limit and the
descriptor limit run ``ixiond`` itself, the latter with ``RLIMIT_NOFILE`` lowered under it.
Every scan here runs the test plugins of :mod:`tests.server.keeping_harness`, which send
nothing to their targets.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    Bye,
    Error,
    LongAttack,
    Message,
    NessusVersion,
    NessusVersionRequest,
    Report,
    StopDetached,
    StopWholeTest,
)
from ixion.server.accepting import RETRY_DELAY
from ixion.server.config import Locations, parse_config, resolve_settings
from ixion.server.limits import Limits
from ixion.server.users import ScryptCost, UserStore
from tests.server.daemon_harness import (
    FAST_BANNER,
    LOOPBACK,
    PASSWORD,
    PATIENCE,
    USER,
    VERSION_ANSWER,
    VERSION_ORDER,
    Daemon,
    Ending,
    RawClient,
    connections_drop_to,
    errors_logged,
    good_client,
    ixiond,
    logged,
    run,
)
from tests.server.keeping_harness import (
    add_user_with_rules,
    keeping_daemon,
    listing,
    log_in,
    scan_preferences,
    set_preferences,
)
from tests.server.test_daemon import free_port, running, write_config

#: What a client that pipelines banner, user and password sees before the daemon's verdict.
PROMPTS: Final = b"< NTP/1.2 >\nUser : Password : "
LOGIN_LINES: Final = f"{USER}\n{PASSWORD}\n".encode()
OTHER_USER: Final = "other"
#: A second loopback address: a client "from elsewhere" for the per-address limit.
ELSEWHERE: Final = "127.0.0.2"


@pytest.fixture(autouse=True)
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The test's log; no error, traceback or internal error may be in it."""
    caplog.set_level(logging.INFO)
    yield caplog
    assert errors_logged(caplog) == []
    assert not any(record.exc_info for record in caplog.records)


def lines_saying(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in record.getMessage() for record in caplog.records)


async def logged_in(daemon: Daemon) -> RawClient:
    client = await daemon.raw()
    assert await client.login() == PROMPTS + VERSION_ANSWER
    return client


async def still_served(client: RawClient) -> bool:
    await client.send(VERSION_ORDER)
    return await client.read_until(b"\n") == VERSION_ANSWER


async def close_all(clients: list[RawClient]) -> None:
    for client in clients:
        await client.close()


# --- connections in total --------------------------------------------------------------------


def test_at_max_connections_new_clients_wait_in_the_queue_until_one_ends(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    """No accept-and-close: the fourth and fifth clients are simply not accepted yet, and are
    served, in turn, as soon as connections end."""

    async def scenario() -> tuple[bool, bool, bytes, bytes, list[bool]]:
        clients: list[RawClient] = []
        async with ixiond(tmp_path, limits=Limits(max_connections=3)) as daemon:
            try:
                clients += [await logged_in(daemon) for _ in range(3)]
                waiting = [await daemon.raw(), await daemon.raw()]  # the kernel queues them
                clients += waiting
                for client in waiting:
                    await client.send(FAST_BANNER + LOGIN_LINES + VERSION_ORDER)
                not_yet = [await client.silent_for(0.3) for client in waiting]
                await logged(log, "the most this daemon serves at once")
                await clients[0].close()
                first = await waiting[0].read_until(VERSION_ANSWER)
                still_waiting = await waiting[1].silent_for(0.3)
                await clients[1].close()
                second = await waiting[1].read_until(VERSION_ANSWER)
                others = [await still_served(client) for client in clients[2:]]
            finally:
                await close_all(clients)
            await connections_drop_to(0)
            return not_yet[0], not_yet[1] and still_waiting, first, second, others

    not_yet, still_waiting, first, second, others = run(scenario)
    assert (not_yet, still_waiting) == (True, True)
    assert first == second == PROMPTS + VERSION_ANSWER
    assert others == [True] * 3
    assert lines_saying(log, "the most this daemon serves at once") == 1
    assert lines_saying(log, "below max_connections again") == 1


# --- connections per address ----------------------------------------------------------------


async def raw_from(port: int, address: str) -> RawClient:
    async with asyncio.timeout(PATIENCE):
        reader, writer = await asyncio.open_connection(LOOPBACK, port, local_addr=(address, 0))
    return RawClient(reader, writer)


def test_over_max_connections_per_address_its_new_connections_are_closed_at_once(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> tuple[list[tuple[bytes, Ending]], float, bytes, list[bool], bytes]:
        loop = asyncio.get_running_loop()
        clients: list[RawClient] = []
        limits = Limits(max_connections_per_address=2)
        async with ixiond(tmp_path, limits=limits) as daemon:
            try:
                clients += [await logged_in(daemon) for _ in range(2)]
                start = loop.time()
                refused = []
                for _ in range(3):
                    client = await daemon.raw()
                    clients.append(client)
                    refused.append(await client.read_to_end())
                took = loop.time() - start
                elsewhere = await raw_from(daemon.port, ELSEWHERE)
                clients.append(elsewhere)
                from_elsewhere = await elsewhere.login()
                others = [await still_served(client) for client in clients[:2]]
                await clients[0].close()
                await logged(log, "below max_connections_per_address again")
                again = await daemon.raw()
                clients.append(again)
                served_again = await again.login()
            finally:
                await close_all(clients)
            return refused, took, from_elsewhere, others, served_again

    refused, took, from_elsewhere, others, served_again = run(scenario)
    assert refused == [(b"", Ending.CLOSED)] * 3  # unread, unanswered
    assert took < 1.0  # closed at once, not at the login limit
    assert from_elsewhere == served_again == PROMPTS + VERSION_ANSWER
    assert others == [True, True]
    assert lines_saying(log, "127.0.0.1: over max_connections_per_address") == 1
    assert lines_saying(log, "(3 connection(s) closed)") == 1


# --- connections per user --------------------------------------------------------------------


def add_other_user(state_dir: Path) -> None:
    """A second user in the harness's user store (read at every login)."""
    locations = Locations(config_file=state_dir / "ixiond.conf", state_dir=state_dir)
    settings = resolve_settings(parse_config(""), locations).settings
    users = UserStore(settings.users, cost=ScryptCost(log2_n=10))
    users.add_user(OTHER_USER, password=PASSWORD, rules_text="default reject\n")


def test_over_max_connections_per_user_a_login_is_told_why_and_closed(
    tmp_path: Path, log: pytest.LogCaptureFixture
) -> None:
    refusal = (
        b"SERVER <|> ERROR <|> E000 - tester already has 2 connections; close one first"
        b" <|> SERVER\n"
    )

    async def scenario() -> tuple[list[tuple[bytes, Ending]], bytes, list[bool]]:
        clients: list[RawClient] = []
        async with ixiond(tmp_path, limits=Limits(max_connections_per_user=2)) as daemon:
            add_other_user(tmp_path)
            try:
                clients += [await logged_in(daemon) for _ in range(2)]
                refused = []
                for _ in range(2):
                    client = await daemon.raw()
                    clients.append(client)
                    await client.send(FAST_BANNER + LOGIN_LINES)
                    refused.append(await client.read_to_end())
                other = await daemon.raw()
                clients.append(other)
                await other.send(FAST_BANNER + f"{OTHER_USER}\n{PASSWORD}\n".encode())
                await other.send(VERSION_ORDER)
                other_answer = await other.read_until(VERSION_ANSWER)
                others = [await still_served(client) for client in clients[:2]]
                await clients[0].close()
                await logged(log, "below max_connections_per_user again")
                clients.append(await logged_in(daemon))  # room for one again
            finally:
                await close_all(clients)
            return refused, other_answer, others

    refused, other_answer, others = run(scenario)
    assert refused == [(PROMPTS + refusal, Ending.CLOSED)] * 2
    assert other_answer == PROMPTS + VERSION_ANSWER
    assert others == [True, True]
    assert lines_saying(log, "user tester: over max_connections_per_user") == 1
    assert lines_saying(log, "(2 login(s) refused)") == 1


# --- scans per user --------------------------------------------------------------------------


async def detach(port: int, targets: str) -> None:
    """Start a detached scan that reports steadily: the server says BYE and closes."""
    client = await log_in(port)
    try:
        items = scan_preferences(stream_count="600", stream_delay="0.05", detached_scan="yes")
        await set_preferences(client, items)
        await client.send(LongAttack(targets=targets))
        while not isinstance(await asyncio.wait_for(client.receive(), PATIENCE), Bye):
            pass
    finally:
        await client.close()


async def start_scan(client: ClientConnection, targets: str) -> None:
    """Start a scan that reports steadily, and wait for its first finding."""
    await set_preferences(client, scan_preferences(stream_count="600", stream_delay="0.05"))
    await client.send(LongAttack(targets=targets))
    while not isinstance(await asyncio.wait_for(client.receive(), PATIENCE), Report):
        pass


async def refused_scan(client: ClientConnection, targets: str) -> list[Message]:
    """Order a scan that the limit refuses: what the server answers, up to BYE."""
    await set_preferences(client, scan_preferences())
    await client.send(LongAttack(targets=targets))
    said = [await asyncio.wait_for(client.receive(), PATIENCE)]
    while not isinstance(said[-1], Bye):
        said.append(await asyncio.wait_for(client.receive(), PATIENCE))
    return said


async def stop_scan(client: ClientConnection) -> None:
    """STOP_WHOLE_TEST, and read up to the scan's BYE."""
    await client.send(StopWholeTest())
    while not isinstance(await asyncio.wait_for(client.receive(), PATIENCE), Bye):
        pass


def test_over_max_scans_per_user_counting_detached_ones_an_attack_is_refused(
    tmp_path: Path,
) -> None:
    """One detached and one attached scan make two; a third order of the same user gets an
    ERROR and BYE, and its connection goes on (keep-alive). Another user scans meanwhile, and
    once a scan ends the user may start one again."""
    config = keeping_daemon(tmp_path, "max_scans_per_user = 2\n")
    add_user_with_rules(config, OTHER_USER, PASSWORD, ["accept 127.0.0.0/29", "default reject"])
    port = free_port()

    async def scenario() -> tuple[list[Message], Message]:
        await detach(port, "127.0.0.1")
        attached, third, other = (
            await log_in(port),
            await log_in(port),
            await log_in(port, OTHER_USER),
        )
        try:
            await start_scan(attached, "127.0.0.2")
            said = await refused_scan(third, "127.0.0.3")
            await third.send(NessusVersionRequest())
            version = await asyncio.wait_for(third.receive(), PATIENCE)
            await start_scan(other, "127.0.0.4")  # not refused: another user's count
            await stop_scan(other)
            await stop_scan(attached)
            await start_scan(third, "127.0.0.3")  # one scan ended: room again
            await stop_scan(third)
            ((number, _),) = await listing(third, detached=True)
            await third.send(StopDetached(session_id=number))
        finally:
            for client in (attached, third, other):
                await client.close()
        return said, version

    with running(config, port):
        said, version = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert said == [
        Error(
            text="E000 - tester already has 2 scans running (detached ones included); "
            "wait for one to end"
        ),
        Bye(),
    ]
    assert isinstance(version, NessusVersion)
    log_text = (tmp_path / "ixiond.log").read_text()
    assert log_text.count("user tester: at max_scans_per_user") == 1
    assert "user other: at max_scans_per_user" not in log_text
    assert " ERROR " not in log_text


# --- descriptors -----------------------------------------------------------------------------


def open_sockets(port: int, count: int) -> list[socket.socket]:
    """``count`` connections to ``port`` that say nothing (the kernel completes them even when
    the daemon does not accept them yet)."""
    opened = []
    for _ in range(count):
        sock = socket.socket()
        sock.settimeout(2.0)  # past the kernel's queue a connect waits for ever
        try:
            sock.connect((LOOPBACK, port))
        except OSError:
            sock.close()
            break
        opened.append(sock)
    return opened


def log_after(path: Path, start: int) -> list[str]:
    return path.read_text().splitlines()[start:]


def served_after(port: int, seconds: float) -> str:
    """A full login and NESSUS_VERSION, retried for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return asyncio.run(good_client(port))
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("how", ["lowered before the start", "lowered while it serves"])
def test_out_of_descriptors_the_daemon_waits_quietly_and_serves_again(
    tmp_path: Path, how: str
) -> None:
    """Twice as many silent connections as the descriptor limit allows. Lowered before the
    start, the daemon sizes its connection limit to it and never runs out; lowered while
    it serves (``prlimit``), its accepts fail with EMFILE. Either way the log gets a line or
    two, not a traceback per accept (35 MB in 25 s once), and the daemon serves a new client
    as soon as the connections close."""
    config = write_config(tmp_path, "max_connections_per_address = 1000\n")
    add_user_with_rules(config, USER, PASSWORD, ["default reject"])
    port = free_port()
    limit = 64
    log_file = tmp_path / "ixiond.log"

    def lower_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    options: dict[str, Any] = (
        {"preexec_fn": lower_limit} if how == "lowered before the start" else {}
    )
    with running(config, port, **options) as proc:
        if how == "lowered while it serves":
            resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (limit, limit))
        start = len(log_file.read_text().splitlines())
        sockets = open_sockets(port, 2 * limit)
        try:
            assert len(sockets) > limit
            time.sleep(3 * RETRY_DELAY)  # the accept loop tries again (and again) meanwhile
            during = log_after(log_file, start)
        finally:
            for sock in sockets:
                sock.close()
        version = served_after(port, PATIENCE)
        after = log_after(log_file, start)
        proc.terminate()
        assert proc.wait(PATIENCE) == 0
    assert version == "2.2.5"
    if how == "lowered before the start":
        assert "the descriptor limit (ulimit -n) leaves room for" in log_file.read_text()
        began, ended = "the most this daemon serves at once", "below max_connections again"
    else:
        began, ended = "cannot accept connections (Too many open files)", "accepting connections"
    assert sum(began in line for line in during) == 1
    assert sum(ended in line for line in after) == 1
    assert len(during) <= 3, during
    assert "Traceback" not in log_file.read_text()
    assert "Traceback" not in (tmp_path / "ixiond.out").read_text()
