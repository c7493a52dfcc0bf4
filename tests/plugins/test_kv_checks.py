"""redis_noauth, memcached_open, memcached_udp against real redis-server and memcached.

Each daemon runs on 127.0.0.1 ports this module picked, once open (the weak configuration)
and once hardened (a password; UDP off), and the hardened ones must not be flagged.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.engine.context import HostContext
from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.qod import QodType
from ixion.plugins._checks import check_ports
from ixion.plugins.memcached_udp import frame
from ixion.plugins.redis_noauth import info_fields

from .daemons import daemon, free_port, owned_dir, tcp_answers, udp_answers, wait_until
from .helpers import Outcome, make_job, plugin, run_plugins

REDIS, MEMCACHED, MEMCACHED_UDP = 90000044, 90000045, 90000046
PASSWORD = "kv-lab-secret-7f3c"


def _redis(tmp: Path, *extra: str) -> Iterator[int]:
    port = free_port()
    conf = tmp / "redis.conf"
    lines = [f"port {port}", "bind 127.0.0.1", "daemonize no", 'save ""', f"dir {tmp}", *extra]
    conf.write_text("\n".join(lines) + "\n")
    with daemon(["redis-server", conf], ready=tcp_answers(port), log=tmp / "redis.log"):
        yield port


@pytest.fixture(scope="module")
def redis_open() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _redis(tmp, "protected-mode no")


@pytest.fixture(scope="module")
def redis_password() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _redis(tmp, "protected-mode yes", f"requirepass {PASSWORD}")


def _memcached(tmp: Path, udp: bool) -> Iterator[tuple[int, int]]:
    tcp_port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    argv = ["memcached", "-u", "memcache", "-m", "8", "-l", "127.0.0.1", "-p", str(tcp_port)]
    argv += ["-U", str(udp_port) if udp else "0"]
    with daemon(argv, ready=tcp_answers(tcp_port), log=tmp / "memcached.log"):
        if udp:  # the UDP socket may come up a moment after the TCP one
            wait_until(udp_answers(udp_port, frame(1, b"version\r\n")), "memcached over UDP")
        yield tcp_port, udp_port


@pytest.fixture(scope="module")
def memcached_open() -> Iterator[tuple[int, int]]:
    with owned_dir() as tmp:
        yield from _memcached(tmp, udp=True)


@pytest.fixture(scope="module")
def memcached_tcp_only() -> Iterator[tuple[int, int]]:
    with owned_dir() as tmp:
        yield from _memcached(tmp, udp=False)


def _kb(**services: int) -> KnowledgeBase:
    """What find_service and the UDP scanner would have recorded (``udp_memcached``:
    ``Services/udp/memcached``)."""
    kb = KnowledgeBase()
    for name, port in services.items():
        kb.add(f"Services/{name.replace('udp_', 'udp/')}", port)
    return kb


# --- redis -------------------------------------------------------------------------------------


def test_redis_without_a_password_is_a_hole(redis_open: int) -> None:
    outcome = run_plugins([redis_open], ["redis_noauth"], kb=_kb(redis=redis_open))
    [hole] = outcome.findings(plugin_id=REDIS)
    assert hole.severity is Severity.HOLE
    assert hole.port == redis_open
    assert hole.qod_type == QodType.REMOTE_VUL.value
    assert "runs commands without authentication" in hole.text
    assert "redis_version: 7." in hole.text
    assert "Solution: require authentication" in hole.text
    assert outcome.get(f"redis/{redis_open}/noauth") == 1


def test_redis_found_by_find_service_is_checked(redis_open: int) -> None:
    outcome = run_plugins([redis_open], ["tcp_scanner", "find_service", "redis_noauth"])
    assert outcome.values("Services/redis") == (redis_open,)
    assert [f.severity for f in outcome.findings(plugin_id=REDIS)] == [Severity.HOLE]


def test_redis_with_a_password_gets_a_note_only(redis_password: int) -> None:
    outcome = run_plugins([redis_password], ["redis_noauth"], kb=_kb(redis=redis_password))
    [note] = outcome.findings(plugin_id=REDIS)
    assert note.severity is Severity.NOTE
    assert "-NOAUTH" in note.text
    assert f"redis/{redis_password}/noauth" not in outcome.kb


def test_info_fields_skips_section_headers() -> None:
    text = b"# Server\r\nredis_version:7.0.15\r\nos:Linux x\r\n\r\n"
    assert info_fields(text) == {"redis_version": "7.0.15", "os": "Linux x"}


# --- memcached ---------------------------------------------------------------------------------


def test_memcached_over_tcp_is_a_warning(memcached_open: tuple[int, int]) -> None:
    tcp_port, _ = memcached_open
    outcome = run_plugins([tcp_port], ["memcached_open"], kb=_kb(memcached=tcp_port))
    [warning] = outcome.findings(plugin_id=MEMCACHED)
    assert warning.severity is Severity.WARNING
    assert "answers without authentication" in warning.text
    assert "curr_items: 0" in warning.text
    assert str(outcome.get(f"memcached/{tcp_port}/version")).startswith("1.6.")


def test_memcached_found_by_find_service_is_checked(memcached_open: tuple[int, int]) -> None:
    tcp_port, _ = memcached_open
    outcome = run_plugins([tcp_port], ["tcp_scanner", "find_service", "memcached_open"])
    assert outcome.values("Services/memcached") == (tcp_port,)
    assert len(outcome.findings(plugin_id=MEMCACHED, severity=Severity.WARNING)) == 1


def test_memcached_over_udp_is_a_hole_with_its_amplification(
    memcached_open: tuple[int, int],
) -> None:
    _, udp_port = memcached_open
    outcome = run_plugins(f"U:{udp_port}", ["memcached_udp"], kb=_kb(udp_memcached=udp_port))
    [hole] = outcome.findings(plugin_id=MEMCACHED_UDP)
    assert (hole.severity, hole.port, hole.proto) == (Severity.HOLE, udp_port, "udp")
    assert "reflection and amplification" in hole.text
    factor = outcome.get(f"memcached/udp/{udp_port}/amplification")
    assert isinstance(factor, int)
    assert factor > 20  # a stats answer is over a kilobyte for a 15-byte request
    assert f"amplification factor of {factor}" in hole.text
    assert "CVE-2018-1000115" in hole.text


def test_memcached_with_udp_off_is_not_flagged_on_udp(
    memcached_tcp_only: tuple[int, int],
) -> None:
    _, udp_port = memcached_tcp_only
    outcome = run_plugins(f"U:{udp_port}", ["memcached_udp"], kb=_kb(udp_memcached=udp_port))
    assert outcome.findings() == []


def test_a_udp_answer_to_another_request_id_is_ignored() -> None:
    """A datagram that is not the answer to our request (wrong id) makes no finding."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        outcome_box: list[Outcome] = []

        def answer_wrongly() -> None:
            sock.settimeout(5)
            data, peer = sock.recvfrom(2048)
            request_id = struct.unpack(">H", data[:2])[0]
            sock.sendto(frame(request_id ^ 0x5A5A, b"STAT pid 1\r\nEND\r\n"), peer)

        thread = threading.Thread(target=answer_wrongly)
        thread.start()
        outcome_box.append(run_plugins(f"U:{port}", ["memcached_udp"], kb=_kb(udp_memcached=port)))
        thread.join()
    assert outcome_box[0].findings() == []


# --- which ports a check looks at ----------------------------------------------------------------


def _ports_for(port_range: str, kb: KnowledgeBase) -> list[int]:
    job = make_job(port_range)
    ctx = HostContext(info=plugin("redis_noauth").info, job=job, kb=kb, emit=lambda e: None)
    return check_ports(ctx, "redis", 6379)


def test_the_usual_port_is_tried_only_inside_the_port_range() -> None:
    """nessusd's rules count a port outside the range as open; ixion still never touches it."""
    assert _ports_for("T:6379", KnowledgeBase()) == [6379]
    assert _ports_for("T:6380", KnowledgeBase()) == []
    assert _ports_for("T:6380,U:6379", KnowledgeBase()) == []


def test_the_usual_port_is_skipped_when_closed_or_another_service() -> None:
    scanned = KnowledgeBase()
    scanned.add("Host/scanned", 1)
    assert _ports_for("T:6379", scanned) == []  # the port scan did not find it open
    other = KnowledgeBase()
    other.add("Known/tcp/6379", "www")
    assert _ports_for("T:6379", other) == []


def test_detected_ports_come_first_wherever_they_are() -> None:
    kb = _kb(redis=7000)
    kb.add("Services/redis", 6999)
    assert _ports_for("T:6379", kb) == [6999, 7000]
