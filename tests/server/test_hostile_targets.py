"""Hostile targets (issue 15): ``name/0``, ``::/0`` or ten million addresses cost a quick
refusal, never a frozen daemon.

First the walk itself (:class:`~ixion.server.target_walk.TargetWalk`), in this process: it
yields exactly the hosts that judging each one would, names every refused one in E002, judges
a range of any size in the time of its rules, and lets no other spelling of an address past
the rules. Then a real ixiond over sockets (:mod:`tests.server.daemon_harness`): each hostile
order is answered within :data:`ANSWER_LIMIT` with E003 (over ``max_hosts_per_scan``) or a
short E002, its memory stays flat, and another client's NESSUS_VERSION is answered promptly
all along.

Safety: nothing here can send a packet to a target. The in-process walks only yield pairs of
strings. The daemon's global rules and its user's rules reject everything (the harness), the
cap refuses the largest orders before any walk, and :func:`no_worker` makes the start of any
host's worker fail the test, so a bug in the rules could not turn into a scan either.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import tracemalloc
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from pathlib import Path
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ixion.server.attack
from ixion.client.connection import ClientConnection
from ixion.engine.job import HostJob
from ixion.engine.targets import TargetError, parse_targets
from ixion.ntp import (
    Bye,
    ConnectionClosed,
    Error,
    HostsNotAllowed,
    LongAttack,
    Message,
    Preferences,
)
from ixion.server.config import ConfTable, parse_config
from ixion.server.rules import (
    Action,
    Rule,
    RuleFile,
    RuleSet,
    merge_at_login,
    parse_global_rules,
    parse_user_rules,
)
from ixion.server.target_walk import TargetWalk
from tests.engine.test_targets import lab_items
from tests.server import daemon_harness
from tests.server.daemon_harness import (
    LOOPBACK,
    PASSWORD,
    PATIENCE,
    USER,
    VERSION_ANSWER,
    VERSION_ORDER,
    Daemon,
    RawClient,
    errors_logged,
    ixiond,
    run,
)

#: Seconds within which a hostile order must be answered ("a couple of seconds").
ANSWER_LIMIT: Final = 2.0
#: The same for an order of 16 MiB, which must also travel and be read up to the item that
#: goes over the cap (65,537 of them: half a second on an idle two-core machine, more when
#: other tests share it).
LARGE_ORDER_LIMIT: Final = 5.0
#: Seconds another client may wait for NESSUS_VERSION meanwhile (a millisecond or so when
#: idle; a loaded two-core CI machine puts a round trip past 0.1 s now and then).
PROMPT_LIMIT: Final = 0.5
#: Bytes the daemon's memory may grow by while it answers an order of a few items.
MEMORY_LIMIT: Final = 2 * 1024 * 1024
#: The default ``max_hosts_per_scan``, and the largest value an ``ixiond.conf`` can give it.
DEFAULT_CAP: Final = 65536
LARGEST_CAP: Final = 999_999_999_999
#: 153 /16s: 10,026,702 addresses in 2 kB.
TEN_MILLION: Final = ",".join(f"10.{n}.0.0/16" for n in range(153))


@functools.cache
def million_items() -> str:
    """Addresses of 10.0.0.0/8 one by one, as many as a LONG_ATTACK carries (16 MiB)."""
    size = 16 * 1024 * 1024 - 64
    items: list[str] = []
    length = 0
    for n in range(1 << 24):
        item = f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"
        length += len(item) + 1
        if length > size:
            break
        items.append(item)
    return ",".join(items)


@pytest.fixture(autouse=True)
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The log of the test; nothing in it may be an error or a traceback."""
    caplog.set_level(logging.INFO)
    yield caplog
    assert errors_logged(caplog) == []
    assert not any(record.exc_info for record in caplog.records)


@pytest.fixture(autouse=True)
def no_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A host worker that is never started: if a job got that far, the test fails (here,
    and through the error it logs), and no packet leaves for its address."""
    started: list[str] = []

    def refuse(job: HostJob, *args: object, **kwargs: object) -> None:
        started.append(job.address)
        raise AssertionError(f"a worker was asked to scan {job.address}")

    monkeypatch.setattr(ixion.server.attack, "HostWorker", refuse)
    yield started
    assert started == []


def with_cap(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    """The harness's daemon with ``max_hosts_per_scan = cap`` in its configuration."""

    def config(text: str, *, path: Path | None = None) -> ConfTable:
        return parse_config(f"max_hosts_per_scan = {cap}\n{text}", path=path)

    monkeypatch.setattr(daemon_harness, "parse_config", config)


# --- the walk, in this process ---------------------------------------------------------------


def rule_set(text: str) -> RuleSet:
    global_rules, skipped = parse_global_rules(text)
    assert skipped == ()
    return merge_at_login(global_rules, RuleFile(), "127.0.0.1")


def walk(targets: str, rules: RuleSet, *, interleave: bool = False) -> TargetWalk:
    return TargetWalk(parse_targets(targets), rules, user=USER, interleave=interleave)


def hosts_of(target_walk: TargetWalk) -> list[tuple[str, str]]:
    async def collect() -> list[tuple[str, str]]:
        return [host async for host in target_walk.hosts()]

    return asyncio.run(collect())


def named_by(entries: list[str]) -> set[IPv4Address | IPv6Address]:
    """Every address the E002 entries name: each is a host or a range, as a target item."""
    return {t.address for entry in entries for t in parse_targets(entry) if t.address}


#: Two /24s of the lab range and the IPv6 addresses ``lab_items`` use, as rule networks.
_LAB_NETWORKS = st.one_of(
    st.builds(
        lambda offset, prefix: ip_network((0xC612_0000 + offset, prefix), strict=False),
        st.integers(0, 511),
        st.integers(22, 32),
    ),
    st.builds(
        lambda offset, prefix: ip_network(((0x2001_0DB8 << 96) + offset, prefix), strict=False),
        st.integers(0, 511),
        st.integers(118, 128),
    ),
    st.sampled_from([ip_network("0.0.0.0/0"), ip_network("::/0")]),
)


@st.composite
def lab_rule_sets(draw: st.DrawFn) -> RuleSet:
    rules = draw(
        st.lists(
            st.builds(
                lambda action, target, negated: Rule(action=action, target=target, negated=negated),
                st.sampled_from(Action),
                _LAB_NETWORKS,
                st.booleans(),
            ),
            max_size=6,
        )
    )
    default = draw(st.sampled_from(Action))
    return RuleSet(rules=tuple(rules), default=default, client=IPv4Address("127.0.0.1"))


@settings(max_examples=150, deadline=None)
@given(st.lists(lab_items, min_size=1, max_size=4), lab_rule_sets(), st.booleans())
def test_the_walk_yields_what_judging_each_host_would_and_names_every_refused_one(
    items: list[str], rules: RuleSet, interleave: bool
) -> None:
    spec = parse_targets(",".join(items))
    target_walk = TargetWalk(spec, rules, user=USER, interleave=interleave)
    every = [t.address for t in spec.hosts(interleave=interleave) if t.address is not None]
    assert hosts_of(target_walk) == [(str(a), str(a)) for a in every if rules.allows(a)]
    named = named_by(target_walk.denied)
    assert {address for address in every if not rules.allows(address)} <= named
    assert not any(rules.allows(address) for address in named)


@pytest.mark.parametrize(
    ("targets", "entries"),
    [
        ("0.0.0.0/0", ["0.0.0.0/0"]),
        ("::/0", ["::/0"]),
        ("198.18.0.0/17", ["198.18.0.0/17"]),
        ("198.18.0.0-198.18.1.9", ["198.18.0.0-198.18.1.9"]),
        ("198.18-19.0-255.1-254", ["198.18-19.0-255.1-254"]),
        ("198.18.0.0/24", [f"198.18.0.{host}" for host in range(1, 255)]),
    ],
)
def test_a_refused_block_of_more_than_a_few_hundred_hosts_is_one_entry_naming_it(
    targets: str, entries: list[str]
) -> None:
    target_walk = walk(targets, rule_set("default reject"))
    assert hosts_of(target_walk) == []
    assert target_walk.denied == entries
    assert target_walk.refused == parse_targets(targets).count()


def test_the_refused_parts_of_a_block_are_named_apart_from_the_allowed_ones() -> None:
    rules = rule_set("reject 198.18.0.128/25\naccept 198.18.0.0/23\ndefault reject")
    target_walk = walk("198.18.0.0/22", rules)
    assert [name for name, _ in hosts_of(target_walk)] == [
        *(f"198.18.0.{host}" for host in range(1, 128)),
        *(f"198.18.1.{host}" for host in range(256)),
    ]
    assert target_walk.denied[:2] == ["198.18.0.128", "198.18.0.129"]
    assert target_walk.denied[128:] == ["198.18.2.0-198.18.3.254"]


def test_a_range_of_any_size_is_judged_in_the_time_of_its_rules() -> None:
    """Two thousand rules, and 2**128 addresses with one /120 allowed among them; judged
    address by address, ``::/0`` would never end and ``0.0.0.0/0`` would take hours."""
    lines = [f"reject 198.{n >> 8}.{n & 255}.0/24" for n in range(2000)]
    rules = rule_set("\n".join([*lines, "accept 2001:db8::/120", "default reject", ""]))
    start = time.perf_counter()
    for interleave in (False, True):
        hosts = hosts_of(walk("0.0.0.0/0, ::/0", rules, interleave=interleave))
        assert sorted(int(ip_address(address)) for _, address in hosts) == list(
            range(0x2001_0DB8 << 96, (0x2001_0DB8 << 96) + 256)
        )
    assert time.perf_counter() - start < 1.0


def test_no_other_spelling_of_an_address_gets_past_the_rules() -> None:
    """The rule-bypass forms of issue 15's probe. An IPv4-mapped IPv6 address is the IPv4
    address, one by one or in a range; the other IPv6 forms of an IPv4 address (NAT64, 6to4,
    IPv4-compatible) are IPv6 addresses, which only IPv6 rules open; a name is judged by the
    address it resolves to; and the short forms ``inet_aton`` reads do not parse."""
    rules = rule_set("accept 192.0.2.0/24\nreject 127.0.0.0/8\ndefault reject")
    allowed = ["::ffff:192.0.2.1", "[::ffff:c000:202]", "::ffff:192.0.2.3-::ffff:192.0.2.4"]
    refused = [
        "::ffff:127.0.0.1",
        "[::ffff:7f00:2]",
        "::ffff:127.0.0.0/120",
        "::ffff:198.18.0.1-::ffff:198.18.0.3",
        "64:ff9b::c000:201",  # NAT64 of an allowed address
        "2002:c000:201::",  # 6to4
        "::192.0.2.1",  # IPv4-compatible
        "[64:ff9b::c000:200]/120",
        "localhost",
        "localhost/16",
        "0x7f.0.0.1",  # a host name to us; the resolver may read it as 127.0.0.1
    ]
    target_walk = walk(",".join([*allowed, *refused]), rules)
    mapped = [str(IPv6Address(f"::ffff:192.0.2.{host}")) for host in range(1, 5)]
    assert hosts_of(target_walk) == [(name, name) for name in mapped]
    assert "localhost/16" in target_walk.denied
    assert not any(rules.allows(address) for address in named_by(target_walk.denied))
    for short_form in ("0177.0.0.1", "2130706433", "127.1", "0300.0.2.1", "127.000.0.1."):
        with pytest.raises(TargetError):
            parse_targets(short_form)


def test_a_range_across_the_edge_of_the_ipv4_mapped_addresses_is_judged_on_both_sides() -> None:
    rules = rule_set("accept 192.0.2.0/24\naccept ::/0\ndefault reject")
    # Over four billion addresses: those below ::ffff:0:0 are IPv6 (accepted by ::/0), then
    # the mapped ones are IPv4, only 192.0.2.0-5 of which are accepted.
    target_walk = walk("::fffe:ffff:fffe-::ffff:192.0.2.5", rules)
    names = ["::fffe:ffff:fffe", "::fffe:ffff:ffff"]
    names += [f"::ffff:192.0.2.{host}" for host in range(6)]
    assert [name for name, _ in hosts_of(target_walk)] == [str(IPv6Address(n)) for n in names]
    first, last = IPv6Address("::ffff:0.0.0.0"), IPv6Address("::ffff:192.0.1.255")
    assert target_walk.denied == [f"{first}-{last}"]


# --- a real ixiond ---------------------------------------------------------------------------


async def order(daemon: Daemon, *messages: Message) -> tuple[list[Message], float]:
    """Log in as a client, send ``messages`` (the last one the attack), and read the answers
    up to BYE; them, and the seconds from the attack to BYE."""
    client = await ClientConnection.open(LOOPBACK, daemon.port, io_timeout=PATIENCE)
    try:
        await client.login(USER, PASSWORD)
        for msg in messages[:-1]:
            await client.send(msg)
        start = time.perf_counter()
        await client.send(messages[-1])
        answers = [await client.receive()]
        while not isinstance(answers[-1], Bye | ConnectionClosed):
            answers.append(await client.receive())
        assert isinstance(answers[-1], Bye), answers
        return answers, time.perf_counter() - start
    finally:
        await client.close()


async def while_answered(
    other: RawClient, work: asyncio.Task[tuple[list[Message], float]]
) -> float:
    """Ask NESSUS_VERSION of ``other`` until ``work`` is done (once at least); the longest wait."""
    worst = 0.0
    while True:
        start = time.perf_counter()
        await other.send(VERSION_ORDER)
        assert await other.read_until(b"\n") == VERSION_ANSWER
        worst = max(worst, time.perf_counter() - start)
        if work.done():
            return worst
        await asyncio.sleep(0.005)


def answered(tmp_path: Path, *messages: Message) -> tuple[list[Message], float, float]:
    """The answers to the order, its time, and the longest wait of another client meanwhile."""

    async def scenario() -> tuple[list[Message], float, float]:
        async with ixiond(tmp_path, scanning=True) as daemon:
            other = await daemon.raw()
            try:
                await other.login()
                work = asyncio.create_task(order(daemon, *messages))
                worst = await while_answered(other, work)
            finally:
                await other.close()
            answers, took = await work
            return answers, took, worst

    return run(scenario)


def refusal(answers: list[Message]) -> Error | HostsNotAllowed:
    (refused,) = [msg for msg in answers if isinstance(msg, Error | HostsNotAllowed)]
    return refused


HOSTILE: Final[dict[str, Callable[[], str]]] = {
    "localhost/8": lambda: "localhost/8",
    "localhost/0": lambda: "localhost/0",
    "0.0.0.0/0": lambda: "0.0.0.0/0",
    "::/0": lambda: "::/0",
    "ten million addresses": lambda: TEN_MILLION,
    "a million items": million_items,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_order_over_the_cap_is_refused_at_once_and_scans_nothing(
    tmp_path: Path, log: pytest.LogCaptureFixture, name: str
) -> None:
    targets = HOSTILE[name]()
    answers, took, worst = answered(tmp_path, LongAttack(targets=targets))
    error = refusal(answers)
    assert isinstance(error, Error)
    assert error.text.startswith("E003 - Invalid target specification: bad target ")
    assert error.text.endswith(f"more than the {DEFAULT_CAP} allowed")
    assert took < (ANSWER_LIMIT if len(targets) < 4096 else LARGE_ORDER_LIMIT), took
    assert worst < PROMPT_LIMIT, worst
    assert "over max_hosts_per_scan" in log.text


REFUSED_ENTRIES: Final = {
    "localhost/8": ["localhost/8"],
    "localhost/0": ["localhost/0"],
    "0.0.0.0/0": ["0.0.0.0/0"],
    "2001:db8::/89": ["2001:db8::/89"],
    TEN_MILLION: TEN_MILLION.split(","),
}


@pytest.mark.parametrize("targets", REFUSED_ENTRIES, ids=["l8", "l0", "v4", "v6", "10M"])
def test_with_the_largest_cap_the_rules_refuse_each_block_as_one_entry_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, targets: str
) -> None:
    with_cap(monkeypatch, LARGEST_CAP)
    answers, took, worst = answered(tmp_path, LongAttack(targets=targets))
    assert refusal(answers) == HostsNotAllowed(hosts=tuple(REFUSED_ENTRIES[targets]))
    assert took < ANSWER_LIMIT, took
    assert worst < PROMPT_LIMIT, worst


def test_no_configuration_lets_a_scan_name_all_of_ipv6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_cap(monkeypatch, LARGEST_CAP)
    error = refusal(answered(tmp_path, LongAttack(targets="::/0"))[0])
    assert isinstance(error, Error)
    assert error.text.endswith(f"more than the {LARGEST_CAP} allowed")


def test_a_client_cannot_raise_the_cap_with_its_preferences(tmp_path: Path) -> None:
    wish = Preferences(items=(("max_hosts_per_scan", str(LARGEST_CAP)),))
    error = refusal(answered(tmp_path, wish, LongAttack(targets="0.0.0.0/0"))[0])
    assert isinstance(error, Error)
    assert error.text.endswith(f"more than the {DEFAULT_CAP} allowed")


@pytest.mark.parametrize("cap", [DEFAULT_CAP, LARGEST_CAP])
def test_a_hostile_order_leaves_the_daemon_s_memory_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """Traced over the whole process (the daemon runs in this event loop); before issue 15,
    ``localhost/8`` alone took 3.3 GB."""
    with_cap(monkeypatch, cap)

    async def scenario() -> list[int]:
        async with ixiond(tmp_path, scanning=True) as daemon:
            await order(daemon, LongAttack(targets="198.18.0.1"))  # warm up
            growth = []
            for targets in ("localhost/8", "localhost/0", "0.0.0.0/0", TEN_MILLION):
                tracemalloc.start()
                try:
                    before, _ = tracemalloc.get_traced_memory()
                    await order(daemon, LongAttack(targets=targets))
                    growth.append(tracemalloc.get_traced_memory()[1] - before)
                finally:
                    tracemalloc.stop()
            return growth

    growth = run(scenario)
    assert max(growth) < MEMORY_LIMIT, growth


def test_the_test_daemon_s_rules_refuse_every_address_of_either_family() -> None:
    """What makes the orders above safe even with the largest cap."""
    text = daemon_harness.REJECT_ALL_RULES
    rules = merge_at_login(parse_global_rules(text)[0], parse_user_rules(text), LOOPBACK)
    for everything in (
        (IPv4Address(0), IPv4Address(-1 % (1 << 32))),
        (IPv6Address(0), IPv6Address(-1 % (1 << 128))),
    ):
        (stretch,) = rules.classify(*everything)
        assert (stretch.first, stretch.last, stretch.allowed) == (*everything, False)
