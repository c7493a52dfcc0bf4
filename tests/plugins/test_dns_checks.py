"""dns_zone_transfer and dns_recursion against real BIND servers on 127.0.0.1.

The weak named allows transfers and recursion for anyone; the hardened one neither. Neither
ever reaches the Internet: their root hints and forwarder are :class:`Upstream`, a tiny
name server of this module on 127.77.0.53 port 53 (a loopback address, bound by this test),
which either answers every name with 192.0.2.1 or refuses everything (so that a recursive
lookup fails, as in a lab with no route out).
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.qod import QodType
from ixion.plugins._dns_wire import DnsError, parse_message, query
from ixion.plugins.dns_recursion import Verdict, judge

from .daemons import daemon, free_port, owned_dir, tcp_answers
from .helpers import Outcome, run_plugins

AXFR, RECURSION = 90000049, 90000050
UPSTREAM = "127.77.0.53"
#: Names in lab.test that only a transfer shows.
HIDDEN = ("intranet", "backup-db", "printer-3f")


class Upstream:
    """A name server on UPSTREAM:53 answering any question with an A record (``refuse``:
    REFUSED to everything); written from RFC 1035 here, apart from the plugins' code."""

    def __init__(self) -> None:
        self.refuse = False
        self.questions = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((UPSTREAM, 53))
        self._stop_read, self._stop_write = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _answer(self, request: bytes) -> bytes:
        message_id, flags = struct.unpack(">HH", request[:4])
        end = request.index(b"\0", 12) + 5
        question = request[12:end]
        rd = flags & 0x0100
        if self.refuse:
            return struct.pack(">HHHHHH", message_id, 0x8000 | rd | 5, 1, 0, 0, 0) + question
        header = struct.pack(">HHHHHH", message_id, 0x8400 | rd, 1, 1, 0, 0)
        qtype = struct.unpack(">H", question[-4:-2])[0]
        if qtype == 2 and question[0] == 0:  # priming: ". NS"
            rdata = b"\x01a\x04root\x04test\0"
            return (
                header + question + b"\xc0\x0c" + struct.pack(">HHIH", 2, 1, 60, len(rdata)) + rdata
            )
        record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.1")
        return header + question + record

    def _serve(self) -> None:
        while True:
            ready, _, _ = select.select([self.sock, self._stop_read], [], [])
            if self._stop_read in ready:
                return
            data, peer = self.sock.recvfrom(4096)
            self.questions += 1
            try:
                self.sock.sendto(self._answer(data), peer)
            except (ValueError, struct.error):
                continue

    def close(self) -> None:
        self._stop_write.send(b"x")
        self._thread.join()
        for sock in (self.sock, self._stop_read, self._stop_write):
            sock.close()


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    try:
        yield server
    finally:
        server.close()


def _zone(serial: int = 1) -> str:
    lines = [
        "$TTL 300",
        f"@ IN SOA ns.lab.test. hostmaster.lab.test. {serial} 3600 600 86400 300",
        "@ IN NS ns.lab.test.",
        "ns IN A 127.0.0.1",
        *(f"{name} IN A 10.9.8.{i}" for i, name in enumerate(HIDDEN, start=2)),
    ]
    return "\n".join(lines) + "\n"


REVERSE = """$TTL 300
@ IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 300
@ IN NS ns.lab.test.
1 IN PTR ns.lab.test.
"""


def _named(tmp: Path, weak: bool) -> Iterator[int]:
    port = free_port()
    (tmp / "lab.zone").write_text(_zone())
    (tmp / "reverse.zone").write_text(REVERSE)
    (tmp / "root.hint").write_text(
        f". 3600 IN NS a.root.test.\na.root.test. 3600 IN A {UPSTREAM}\n"
    )
    if weak:
        policy = f"""recursion yes; allow-recursion {{ any; }}; allow-query-cache {{ any; }};
    allow-transfer {{ any; }}; forward only; forwarders {{ {UPSTREAM}; }};"""
    else:
        policy = "recursion no; allow-transfer { none; }; version none;"
    (tmp / "named.conf").write_text(f"""
options {{
    directory "{tmp}";
    pid-file "{tmp}/named.pid";
    session-keyfile "{tmp}/session.key";
    managed-keys-directory "{tmp}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    allow-query {{ any; }};
    dnssec-validation no;
    notify no;
    {policy}
}};
controls {{ }};
zone "." {{ type hint; file "{tmp}/root.hint"; }};
zone "lab.test" {{ type primary; file "{tmp}/lab.zone"; }};
zone "0.0.127.in-addr.arpa" {{ type primary; file "{tmp}/reverse.zone"; }};
""")
    argv: list[str | Path] = ["named", "-g", "-4", "-c", tmp / "named.conf"]
    with daemon(argv, ready=_zones_loaded(port), log=tmp / "log"):
        yield port


def _zones_loaded(port: int) -> Callable[[], bool]:
    """Whether named answers for both zones with authority (it listens before loading)."""
    questions = [b"\x03lab\x04test\0", b"\x010\x010\x03127\x07in-addr\x04arpa\0"]

    def probe() -> bool:
        if not tcp_answers(port)():
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.5)
            for name in questions:
                sock.sendto(
                    struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + name + b"\0\x06\0\x01",
                    ("127.0.0.1", port),
                )
                try:
                    answer = sock.recv(4096)
                except OSError:
                    return False
                if not answer[2] & 0x04:  # AA
                    return False
        return True

    return probe


@pytest.fixture(scope="module")
def named_weak(upstream: Upstream) -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _named(tmp, weak=True)


@pytest.fixture(scope="module")
def named_hardened(upstream: Upstream) -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _named(tmp, weak=False)


def _scan(port: int, plugin: str, preferences: dict[str, str] | None = None) -> Outcome:
    kb = KnowledgeBase()
    kb.add("Services/domain", port)
    kb.add("Services/udp/domain", port)
    return run_plugins(f"T:{port},U:{port}", [plugin], kb=kb, preferences=preferences)


# --- zone transfers ---------------------------------------------------------------------------


def test_the_zones_found_from_the_ptr_are_transferred(named_weak: int) -> None:
    outcome = _scan(named_weak, "dns_zone_transfer")
    found = outcome.findings(plugin_id=AXFR)
    assert [f.severity for f in found] == [Severity.WARNING, Severity.WARNING]
    forward, reverse = sorted(found, key=lambda f: "in-addr" in f.text)
    assert "allows a zone transfer (AXFR) of the zone lab.test. to anyone" in forward.text
    assert "ixion received 6 records for 5 distinct names" in forward.text
    for number, name in enumerate(HIDDEN, start=2):
        assert f"  {name}.lab.test.  A 10.9.8.{number}\n" in forward.text
    assert forward.qod_type == QodType.REMOTE_VUL.value
    assert "Solution: allow zone transfers only to the secondary servers" in forward.text
    assert "CVE-1999-0532" in forward.text
    assert "zone 0.0.127.in-addr.arpa." in reverse.text
    assert "  1.0.0.127.in-addr.arpa.  PTR ns.lab.test.\n" in reverse.text
    assert outcome.values(f"DNS/{named_weak}/axfr") == ("lab.test.", "0.0.127.in-addr.arpa.")


def test_a_zone_named_in_the_preference_is_transferred_once(named_weak: int) -> None:
    preferences = {"DNS zone transfer (AXFR) allowed[entry]:Zones": "LAB.test; lab.test."}
    outcome = _scan(named_weak, "dns_zone_transfer", preferences)
    assert len(outcome.findings(plugin_id=AXFR)) == 2


def test_a_server_refusing_transfers_is_not_flagged(named_hardened: int) -> None:
    preferences = {"DNS zone transfer (AXFR) allowed[entry]:Zones": "lab.test"}
    assert _scan(named_hardened, "dns_zone_transfer", preferences).findings() == []


# --- recursion -----------------------------------------------------------------------------------


def test_recursion_that_resolves_is_a_warning(named_weak: int, upstream: Upstream) -> None:
    upstream.refuse = False
    asked = upstream.questions
    outcome = _scan(named_weak, "dns_recursion")
    [warning] = outcome.findings(plugin_id=RECURSION)
    assert (warning.severity, warning.proto, warning.port) == (Severity.WARNING, "udp", named_weak)
    assert warning.qod_type == QodType.REMOTE_VUL.value
    assert "performs recursive queries for anyone (an open resolver)" in warning.text
    assert "answered with 1 record(s), with 'recursion available' (RA) set" in warning.text
    assert upstream.questions > asked  # it did go and ask


def test_recursion_that_fails_upstream_is_a_warning_of_lower_quality(
    named_weak: int, upstream: Upstream
) -> None:
    upstream.refuse = True
    try:
        outcome = _scan(named_weak, "dns_recursion")
    finally:
        upstream.refuse = False
    [warning] = outcome.findings(plugin_id=RECURSION)
    assert warning.qod_type == QodType.REMOTE_ACTIVE.value
    assert "answered SERVFAIL with 'recursion available' (RA) set" in warning.text


def test_without_a_udp_port_recursion_is_asked_over_tcp(
    named_weak: int, upstream: Upstream
) -> None:
    upstream.refuse = False
    kb = KnowledgeBase()
    kb.add("Services/domain", named_weak)
    outcome = run_plugins(f"T:{named_weak}", ["dns_recursion"], kb=kb)
    [warning] = outcome.findings(plugin_id=RECURSION)
    assert (warning.proto, warning.port) == ("tcp", named_weak)
    assert "answered with 1 record(s)" in warning.text


def test_a_server_without_recursion_is_not_flagged(named_hardened: int, upstream: Upstream) -> None:
    asked = upstream.questions
    assert _scan(named_hardened, "dns_recursion").findings() == []
    assert upstream.questions == asked


def _answer(flags: int) -> bytes:
    return struct.pack(">HHHHHH", 9, flags, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("flags", "verdict"),
    [
        (0x8180, Verdict.RESOLVED),  # RA, NOERROR
        (0x8183, Verdict.RESOLVED),  # RA, NXDOMAIN
        (0x8182, Verdict.TRIED),  # RA, SERVFAIL
        (0x8105, None),  # REFUSED, no RA
        (0x8185, None),  # REFUSED with RA
        (0x8100, None),  # NOERROR without RA (a referral)
        (0x8580, None),  # RA but authoritative: its own zone
    ],
)
def test_the_verdict_reads_ra_aa_and_the_code(flags: int, verdict: Verdict | None) -> None:
    assert judge(parse_message(_answer(flags))) is verdict


# --- the wire ----------------------------------------------------------------------------------


def test_a_query_is_rfc_1035() -> None:
    data = query(0x1234, "www.example.com", 1, recursion=True)
    assert (
        data
        == bytes.fromhex("123401000001000000000000") + b"\x03www\x07example\x03com\0\0\x01\0\x01"
    )


def test_compression_pointers_must_point_backwards() -> None:
    header = struct.pack(">HHHHHH", 1, 0x8000, 0, 1, 0, 0)
    looping = header + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 0)
    with pytest.raises(DnsError):
        parse_message(looping)
    with pytest.raises(DnsError):
        parse_message(b"\x00\x01")
