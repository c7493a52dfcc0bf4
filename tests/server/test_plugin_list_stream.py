"""Long answers do not stall the other clients (issue 15, item 8).

A real ixiond (the accept loop of ``ixion.server.daemon``, in this event loop) shows an offer
the size of the whole community feed: 136,000 made-up plugins. Three clients list them at
once, the way the nessus 2.2.5 client does at login and the way an md5-caching client asks
again; meanwhile a fourth asks NESSUS_VERSION over and over and must be answered each time
within a loose bound (CI machines are loaded; ``bench/plugin_list_load.py`` measures the
real figures). Each listing must arrive byte for byte as ``encode_server_message`` writes it,
and the process must not grow by anything like a copy of the list per client. A client that
stops reading holds only its own connection, and only until the stall limit; one that reads
slowly but steadily is served to the end.

Both ends run in this process, so the memory measured is the daemon's plus the clients'; the
clients keep nothing of what they read but a digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from ixion.ntp import (
    Category,
    CompleteList,
    Dependency,
    Features,
    GoOn,
    Md5Entry,
    Message,
    PluginList,
    PluginRecord,
    PluginsDependencies,
    PluginsMd5,
    PluginsMd5List,
    Preferences,
    Rules,
    SendPluginsMd5,
    encode_client_message,
    encode_server_message,
)
from ixion.server.limits import Limits
from ixion.server.offer import Offer
from tests.server.daemon_harness import (
    LOOPBACK,
    PASSWORD,
    USER,
    VERSION_ANSWER,
    VERSION_ORDER,
    RawClient,
    ixiond,
    run,
)

PLUGINS: Final = 136_000
#: The longest a NESSUS_VERSION may wait while the others list: a whole-list send stops the
#: loop for seconds; chunks for a few milliseconds.
PROMPT: Final = 0.5
#: What the reference client asks for (spec §3.2), and the md5 loop on top for the relister.
PLUGIN_WORDS: Final = (
    "plugins_version",
    "plugins_cve_id",
    "plugins_bugtraq_id",
    "plugins_xrefs",
    "dependencies",
)
BLOCK_END: Final = b"\n<|> SERVER\n"
LISTING_PATIENCE: Final = 120.0


def _made_up_offer() -> Offer:
    plugins = tuple(
        PluginRecord(
            id=str(1_000_000 + i),
            name=f"Made-up check {i}",
            category=Category.ATTACK if i % 3 else Category.GATHER_INFO,
            copyright="Nobody, made up for a test",
            description=(
                f"Made-up plugin {i} looks for a made-up flaw.\n\n"
                + "It reads a banner and compares a version. " * 6
                + f"\nRisk factor : {('Low', 'Medium', 'High')[i % 3]}"
            ),
            summary=f"Checks made-up flaw {i}",
            family=f"Made-up family {i % 50}",
            version=f"$Revision: 1.{i} $",
            cve=(f"CVE-2024-{i:05d}", f"CVE-2025-{i:05d}"),
            bid=(str(i),),
            xref=(f"URL:https://example.invalid/{i}",),
        )
        for i in range(PLUGINS)
    )
    return Offer(
        plugins=plugins,
        dependencies=tuple(
            Dependency(name=p.name, dependencies=(plugins[0].name,)) for p in plugins[1::4]
        ),
        preferences=(("max_hosts", "30"), ("max_checks", "10")),
        md5="982a9436a301d545326cba4f4eff4cdd",
        md5_entries=tuple(
            Md5Entry(key=p.id, md5=hashlib.md5(p.id.encode()).hexdigest()) for p in plugins
        ),
    )


def _digest(messages: list[Message], features: Features) -> tuple[str, int]:
    """The digest and length of what the daemon must send for ``messages``, whole sends."""
    digest, size = hashlib.sha256(), 0
    for msg in messages:
        data = encode_server_message(msg, features)
        digest.update(data)
        size += len(data)
    return digest.hexdigest(), size


PLAIN: Final = Features(extensions=frozenset(PLUGIN_WORDS))
MD5: Final = Features(extensions=frozenset({*PLUGIN_WORDS, "md5_caching"}))


@dataclass(frozen=True)
class Feed:
    """The made-up offer, and the digest and size of what each kind of lister must read."""

    offer: Offer
    #: After the password prompt, at login: the list and the three blocks.
    at_login: tuple[str, int]
    #: In the md5 loop: the digest line, the list, the md5s, then GO_ON's three blocks.
    in_md5_loop: tuple[str, int]


@pytest.fixture(scope="module")
def feed() -> Feed:
    offer = _made_up_offer()
    after_login = [
        Preferences(items=offer.preferences),
        Rules(),
        PluginsDependencies(entries=offer.dependencies),
    ]
    listing = PluginList(plugins=offer.plugins)
    at_login = _digest([listing, *after_login], PLAIN)
    md5s = PluginsMd5List(entries=offer.md5_entries)
    in_md5_loop = _digest([PluginsMd5(md5=offer.md5), listing, md5s, *after_login], MD5)
    # The scenarios mean something only with a list of about the size of a whole feed's.
    assert at_login[1] > 50_000_000
    return Feed(offer, at_login, in_md5_loop)


def _banner(words: tuple[str, ...]) -> bytes:
    return f"< NTP/1.2 >< {' '.join(words)} >\n".encode()


class Lister:
    """A client that logs in and reads the plugin list, keeping only a digest of it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.digest = hashlib.sha256()
        self.size = 0
        self._tail = b""

    @classmethod
    async def log_in(cls, port: int, words: tuple[str, ...], window: int = 0) -> Lister:
        """Log in; with ``window``, a receive buffer of that size (no autotuning)."""
        sock = socket.socket()
        if window:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, window)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (LOOPBACK, port))
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(_banner(words) + f"{USER}\n{PASSWORD}\n".encode())
        lister = cls(reader, writer)
        seen = b""
        while (index := seen.find(b"Password : ")) < 0:
            chunk = await reader.read(4096)
            assert chunk, f"the daemon hung up during the login: {seen!r}"
            seen += chunk
        lister._take(seen[index + len(b"Password : ") :])
        return lister

    def _take(self, data: bytes) -> int:
        """Account for ``data``; how many block ends it completes."""
        self.digest.update(data)
        self.size += len(data)
        window = self._tail + data
        ends = window.count(BLOCK_END) - self._tail.count(BLOCK_END)
        self._tail = window[-(len(BLOCK_END) - 1) :]
        return ends

    async def read_blocks(self, count: int) -> None:
        seen = self._take(b"")
        while seen < count:
            data = await self.reader.read(256 * 1024)
            assert data, "the daemon hung up in the middle of a listing"
            seen += self._take(data)

    def send(self, *messages: Message) -> None:
        self.writer.write(b"".join(encode_client_message(m, MD5) for m in messages))

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def list_at_login(port: int) -> tuple[str, int]:
    lister = await Lister.log_in(port, PLUGIN_WORDS)
    await lister.read_blocks(4)  # PLUGIN_LIST, PREFERENCES, RULES, PLUGINS_DEPENDENCIES
    await lister.close()
    return lister.digest.hexdigest(), lister.size


async def list_in_the_md5_loop(port: int) -> tuple[str, int]:
    lister = await Lister.log_in(port, (*PLUGIN_WORDS, "md5_caching"))
    lister.send(CompleteList(), SendPluginsMd5(), GoOn())
    await lister.read_blocks(5)  # the list, the md5s, PREFERENCES, RULES, PLUGINS_DEPENDENCIES
    await lister.close()
    return lister.digest.hexdigest(), lister.size


def resident() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class PeakMemory:
    """The largest VmRSS of this process seen every 10 ms while in the block."""

    def __init__(self) -> None:
        self.before = self.peak = resident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, resident())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.before


async def version_round_trips(prober: RawClient, until: asyncio.Future[Any]) -> list[float]:
    """NESSUS_VERSION, answer, 10 ms pause, until ``until`` is done: the round trips."""
    trips = []
    while not until.done():
        began = time.perf_counter()
        await prober.send(VERSION_ORDER)
        await prober.read_until(VERSION_ANSWER)
        trips.append(time.perf_counter() - began)
        await asyncio.sleep(0.01)
    return trips


def test_three_clients_listing_plugins_at_once_leave_nessus_version_prompt(
    tmp_path: Path, feed: Feed
) -> None:
    async def scenario() -> None:
        async with ixiond(tmp_path, offer=feed.offer) as daemon:
            prober = await daemon.raw()
            await prober.login()
            with PeakMemory() as memory:
                listings = asyncio.gather(
                    list_at_login(daemon.port),
                    list_at_login(daemon.port),
                    list_in_the_md5_loop(daemon.port),
                )
                trips = await version_round_trips(prober, listings)
                results = list(await listings)
            await prober.close()
        assert results == [feed.at_login, feed.at_login, feed.in_md5_loop]
        assert len(trips) >= 10, "the listings ended before NESSUS_VERSION was asked"
        assert max(trips) < PROMPT, f"NESSUS_VERSION waited {max(trips):.3f} s"
        # A whole-list send holds the encoded list (str and bytes) per client, a few times
        # the list's size in all; chunks hold a few hundred kB.
        assert memory.growth < feed.at_login[1] // 4, f"grew by {memory.growth / 1e6:.0f} MB"

    run(scenario, timeout=LISTING_PATIENCE)


def test_a_client_that_stops_reading_the_list_holds_only_its_own_connection(
    tmp_path: Path, feed: Feed
) -> None:
    async def scenario() -> None:
        async with ixiond(tmp_path, offer=feed.offer) as daemon:
            prober = await daemon.raw()
            await prober.login()
            with PeakMemory() as memory:
                stalled = await Lister.log_in(daemon.port, PLUGIN_WORDS)
                await stalled.reader.read(4096)  # the daemon has begun the list
                trips = await version_round_trips(prober, asyncio.ensure_future(asyncio.sleep(1.0)))
                assert await list_in_the_md5_loop(daemon.port) == feed.in_md5_loop
            await stalled.close()
            await prober.close()
        assert max(trips) < PROMPT, f"NESSUS_VERSION waited {max(trips):.3f} s"
        assert memory.growth < feed.at_login[1] // 4, f"grew by {memory.growth / 1e6:.0f} MB"

    run(scenario, timeout=LISTING_PATIENCE)


#: A stall limit short enough for a test; the rate a reader must keep is STALL_RATE.
SHORT_STALL: Final = 1


async def _read_all(lister: Lister) -> int:
    """Read until the daemon hangs up; the bytes read (a reset counts as the end)."""
    size = 0
    try:
        while data := await lister.reader.read(256 * 1024):
            size += len(data)
    except ConnectionResetError:
        pass
    return size


def test_a_client_that_stops_reading_is_dropped_after_the_stall_limit(
    tmp_path: Path, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        limits = Limits(client_stall_timeout=SHORT_STALL)
        async with ixiond(tmp_path, offer=feed.offer, limits=limits) as daemon:
            stalled = await Lister.log_in(daemon.port, PLUGIN_WORDS)
            await stalled.reader.read(4096)  # the daemon has begun the list
            began = time.monotonic()
            while "stopped reading" not in caplog.text:
                assert time.monotonic() - began < 10 * SHORT_STALL, "never dropped"
                await asyncio.sleep(0.1)
            # What the kernel held is still read, then the end: not the whole list.
            assert await _read_all(stalled) < feed.at_login[1] // 2
            await stalled.close()
            assert await list_at_login(daemon.port) == feed.at_login

    run(scenario, timeout=LISTING_PATIENCE)
    (line,) = [r.getMessage() for r in caplog.records if "stopped reading" in r.getMessage()]
    assert line.startswith("127.0.0.1: stopped reading, connection dropped: took ")


def test_a_slow_but_steady_reader_is_not_dropped(
    tmp_path: Path, feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        limits = Limits(client_stall_timeout=SHORT_STALL)
        async with ixiond(tmp_path, offer=feed.offer, limits=limits) as daemon:
            # A fixed receive window: an autotuned one grows to megabytes, and the kernel then
            # opens it (and acknowledges what was read) only after hundreds of kB were read.
            slow = await Lister.log_in(daemon.port, PLUGIN_WORDS, window=64 * 1024)
            # 16 KiB every 0.1 s: far above STALL_RATE, far below what the daemon could send.
            for _ in range(int(4 * SHORT_STALL / 0.1)):
                data = await slow.reader.read(16 * 1024)
                assert data, "a slow reader was dropped"
                slow._take(data)
                await asyncio.sleep(0.1)
            await slow.read_blocks(4)
            assert (slow.digest.hexdigest(), slow.size) == feed.at_login
            await slow.close()

    run(scenario, timeout=LISTING_PATIENCE)
    assert "stopped reading" not in caplog.text
