"""snmp_community against a real Net-SNMP snmpd, and the BER it is built on.

snmpd runs on a 127.0.0.1 UDP port this module picked, once with the community ``public``
(read-only), once with ``private`` (read-write) and once with a long random community only
(the hardened configuration, which must not be flagged).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugins._ber import (
    BerError,
    Tlv,
    decode_integer,
    decode_oid,
    encode_integer,
    encode_oid,
    read_tlv,
    tlv,
)
from ixion.plugins.snmp_community import SYS_DESCR, get_request, parse_response

from .daemons import daemon, free_port, owned_dir, udp_answers
from .helpers import Outcome, run_plugins

SNMP = 90000051
SECRET = "x8Qe2-snmp-lab-3vT9k"


def _snmpd(tmp: Path, line: str) -> Iterator[int]:
    port = free_port(socket.SOCK_DGRAM)
    conf = tmp / "snmpd.conf"
    conf.write_text(f"{line}\nsysName lab-agent\nsysLocation ixion tests\n")
    argv: list[str | Path] = ["snmpd", "-f", "-C", "-c", conf, "-Le", "-p", tmp / "pid"]
    argv.append(f"udp:127.0.0.1:{port}")
    community = line.split()[1].encode()
    probe = udp_answers(port, get_request(1, community, 7, [SYS_DESCR]))
    env = {"SNMP_PERSISTENT_DIR": str(tmp), "MIBS": ""}
    with daemon(argv, ready=probe, log=tmp / "log", env=env):
        yield port


@pytest.fixture(scope="module")
def snmp_public() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _snmpd(tmp, "rocommunity public 127.0.0.1")


@pytest.fixture(scope="module")
def snmp_private() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _snmpd(tmp, "rwcommunity private 127.0.0.1")


@pytest.fixture(scope="module")
def snmp_secret() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _snmpd(tmp, f"rocommunity {SECRET} 127.0.0.1")


def _scan(port: int, communities: str | None = None) -> Outcome:
    kb = KnowledgeBase()
    kb.add("Services/udp/snmp", port)
    preferences = {}
    if communities is not None:
        preferences["SNMP agent with a default community[entry]:Communities"] = communities
    return run_plugins(f"U:{port}", ["snmp_community"], kb=kb, preferences=preferences)


def test_the_community_public_is_a_warning_with_sysdescr(snmp_public: int) -> None:
    outcome = _scan(snmp_public)
    [warning] = outcome.findings(plugin_id=SNMP)
    assert (warning.severity, warning.port, warning.proto) == (Severity.WARNING, snmp_public, "udp")
    assert "answers to the community 'public' (SNMPv2c)" in warning.text
    assert "sysDescr.0: Linux " in warning.text
    assert "sysName.0: lab-agent" in warning.text
    assert "Solution: disable SNMPv1 and v2c" in warning.text
    assert "CVE-1999-0517" in warning.text
    assert outcome.values("SNMP/community") == ("public",)


def test_the_community_private_is_a_hole(snmp_private: int) -> None:
    outcome = _scan(snmp_private)
    [hole] = outcome.findings(plugin_id=SNMP)
    assert hole.severity is Severity.HOLE
    assert "answers to the community 'private'" in hole.text
    assert "Write access was not tried" in hole.text


def test_a_random_community_is_not_guessed(snmp_secret: int) -> None:
    assert _scan(snmp_secret).findings() == []


def test_the_communities_tried_are_a_preference(snmp_secret: int) -> None:
    outcome = _scan(snmp_secret, f"public; {SECRET}")
    [warning] = outcome.findings(plugin_id=SNMP)
    assert f"community '{SECRET}'" in warning.text


def test_an_answer_to_another_request_is_ignored() -> None:
    """A Response whose request id is not ours (a stray or forged datagram) counts for
    nothing: the agent must answer the request itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        port = sock.getsockname()[1]

        def answer_wrongly() -> None:
            for _ in range(4):  # public and private, over v2c and v1
                try:
                    data, peer = sock.recvfrom(2048)
                except OSError:
                    return
                request = parse_response(data.replace(b"\xa0", b"\xa2", 1))
                assert request is not None
                reply = get_request(1, b"public", request.request_id + 1, [SYS_DESCR])
                sock.sendto(reply.replace(b"\xa0", b"\xa2", 1), peer)

        thread = threading.Thread(target=answer_wrongly)
        thread.start()
        outcome = _scan(port)
        thread.join()
    assert outcome.findings() == []


# --- BER -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**31 - 1])
def test_integers_round_trip_in_minimal_form(number: int) -> None:
    encoded = encode_integer(number)
    element, end = read_tlv(encoded)
    assert end == len(encoded)
    assert decode_integer(element) == number
    assert len(element.value) == max(1, (number + (number < 0)).bit_length() // 8 + 1)


def test_object_identifiers_round_trip() -> None:
    assert encode_oid("1.3.6.1.2.1.1.1.0") == bytes.fromhex("06082b06010201010100")
    for dotted in ("1.3.6.1.4.1.8072.3.2.10", "2.999.3", "0.0"):
        assert decode_oid(read_tlv(encode_oid(dotted))[0]) == dotted


def test_long_lengths_are_read_and_written() -> None:
    value = b"x" * 300
    encoded = tlv(0x04, value)
    assert encoded[:4] == b"\x04\x82\x01\x2c"
    assert read_tlv(encoded) == (Tlv(0x04, value), len(encoded))


@pytest.mark.parametrize(
    "data", [b"\x30", b"\x30\x05abc", b"\x30\x80\x00\x00", b"\x04\x85\x01\x00\x00\x00\x00"]
)
def test_bad_ber_is_refused(data: bytes) -> None:
    with pytest.raises(BerError):
        read_tlv(data)


def test_a_garbled_response_parses_to_nothing() -> None:
    assert parse_response(b"\x30\x03\x02\x01\x01") is None
    assert parse_response(b"junk") is None
