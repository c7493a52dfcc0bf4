"""The port_range preference, services databases, and the port state check (§5.2, §6.4)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.plugin_api.ports import (
    MAX_PORT,
    PORT_RANGE_WHEN_ABSENT,
    PortRange,
    PortRangeError,
    PortSet,
    Transport,
    load_services,
    parse_port_range,
    parse_services,
    port_counts_as_open,
)

if TYPE_CHECKING:
    from pathlib import Path

TCP, UDP = Transport.TCP, Transport.UDP


def spans(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    port_range = parse_port_range(text)
    return port_range.tcp.spans, port_range.udp.spans


def error(text: str) -> str:
    with pytest.raises(PortRangeError) as caught:
        parse_port_range(text)
    return str(caught.value)


# --- syntax ------------------------------------------------------------------------------------


def test_ports_and_ranges_with_an_open_end_up_to_65535() -> None:
    assert spans("1-1024,8080,60000-") == (((1, 1024), (8080, 8080), (60000, 65535)), ())


def test_a_leading_dash_starts_at_port_one() -> None:
    assert spans("-100") == (((1, 100),), ())


def test_a_lone_dash_is_every_port() -> None:
    assert spans("-") == (((1, 65535),), ())


def test_the_t_and_u_prefixes_split_tcp_from_udp() -> None:
    assert spans("T:1-65535,U:1-1024") == (((1, 65535),), ((1, 1024),))


def test_ports_before_any_prefix_are_tcp_and_a_prefix_holds_until_the_next() -> None:
    assert spans("22,80,U:53,161,T:443") == (
        ((22, 22), (80, 80), (443, 443)),
        ((53, 53), (161, 161)),
    )


def test_a_range_of_udp_ports_only_has_no_tcp_port() -> None:
    assert spans("U:53") == ((), ((53, 53),))


def test_spaces_are_tolerated_around_the_punctuation() -> None:
    assert spans(" T : 1 - 10 , 22 ,U: 53 ") == (((1, 10), (22, 22)), ((53, 53),))


def test_lowercase_prefixes_are_accepted() -> None:
    assert spans("t:80,u:53") == (((80, 80),), ((53, 53),))


def test_empty_items_are_ignored() -> None:
    assert spans(",1-10,,20,") == (((1, 10), (20, 20)), ())


def test_overlapping_and_adjacent_ranges_are_merged() -> None:
    assert spans("30,1-10,5-20,21,31-40,2") == (((1, 21), (30, 40)), ())


def test_leading_zeros_are_decimal() -> None:
    assert spans("0080,000443") == (((80, 80), (443, 443)), ())


def test_the_value_nessusd_uses_when_the_preference_is_absent() -> None:
    assert spans(PORT_RANGE_WHEN_ABSENT) == (((1, 15000),), ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "port 0 is not a port (they start at 1)"),
        ("0-5", "port 0 is not a port (they start at 1)"),
        ("65536", "port 65536 is above 65535"),
        ("70000-", "port 70000 is above 65535"),
        ("1-123456", "port 123456 is above 65535"),
        ("1-" + "9" * 5000, f"port {'9' * 17}... is above 65535"),
        ("100-1", "the range 100-1 goes backwards"),
        ("abc", "'abc' is not a port or a port range"),
        ("1 024", "'1 024' is not a port or a port range"),
        ("1-2-3", "'1-2-3' is not a port or a port range"),
        ("80/tcp", "'80/tcp' is not a port or a port range"),
        ("X:80", "'X:80' is not a port or a port range"),
        ("T:U:53", "'U:53' is not a port or a port range"),
        ("8080," + "x" * 40, f"'{'x' * 17}...' is not a port or a port range"),
        ("T:", "no port after T:"),
        ("T:1-100,U:", "no port after U:"),
        ("", "no port given"),
        (" , ", "no port given"),
        ("default,80", "default cannot be combined with other ports"),
        ("default", "default needs a services database"),
    ],
)
def test_an_invalid_range_is_a_short_clear_error(text: str, message: str) -> None:
    assert error(text) == message


# --- default: the TCP ports of a services database ---------------------------------------------

ETC_SERVICES = """\
# Network services, Internet style
tcpmux		1/tcp				# TCP port service multiplexer
echo		7/tcp
echo		7/udp
ssh		22/tcp				# SSH Remote Login Protocol
domain		53/tcp
domain		53/udp
http		80/tcp		www		# WorldWideWeb HTTP
www-alt		80/tcp
ddp-rtmp	1/ddp
reserved	0/tcp
toobig		70000/tcp
notaport	x/tcp
lonely
sctp-thing	9/sctp
"""

NMAP_SERVICES = """\
# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments
tcpmux	1/tcp	0.001995	# TCP Port Service Multiplexer [rfc-1078]
compressnet	2/tcp	0.000013	# Management Utility
snmp	161/udp	0.433467	# Simple Net Mgmt Proto
"""


def test_services_are_read_from_etc_services_text() -> None:
    assert parse_services(ETC_SERVICES) == {
        (1, TCP): "tcpmux",
        (7, TCP): "echo",
        (7, UDP): "echo",
        (22, TCP): "ssh",
        (53, TCP): "domain",
        (53, UDP): "domain",
        (80, TCP): "http",
    }


def test_services_are_read_from_nmap_services_text() -> None:
    assert parse_services(NMAP_SERVICES) == {
        (1, TCP): "tcpmux",
        (2, TCP): "compressnet",
        (161, UDP): "snmp",
    }


def test_default_is_the_tcp_ports_of_a_services_mapping() -> None:
    port_range = parse_port_range(" default ", services=parse_services(ETC_SERVICES))
    assert port_range.tcp.spans == ((1, 1), (7, 7), (22, 22), (53, 53), (80, 80))
    assert not port_range.udp


def test_default_reads_a_services_file_given_by_path(tmp_path: Path) -> None:
    path = tmp_path / "nmap-services"
    path.write_text(NMAP_SERVICES, encoding="utf-8")
    assert load_services(path) == parse_services(NMAP_SERVICES)
    assert str(parse_port_range("default", services=path)) == "1-2"
    assert str(parse_port_range("default", services=str(path))) == "1-2"


def test_a_services_file_is_read_only_for_default(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert str(parse_port_range("22", services=missing)) == "22"
    with pytest.raises(PortRangeError) as caught:
        parse_port_range("default", services=missing)
    assert str(caught.value) == f"default: cannot read {missing}: No such file or directory"


def test_default_from_a_database_without_tcp_ports_is_an_error() -> None:
    with pytest.raises(PortRangeError, match="lists no TCP port"):
        parse_port_range("default", services={(53, UDP): "domain"})


# --- the structure -----------------------------------------------------------------------------


def test_a_port_set_answers_membership_at_the_edges_of_its_spans() -> None:
    ports = parse_port_range("1-1024,8080,60000-").tcp
    inside = [1, 1024, 8080, 60000, 65535]
    outside = [0, 1025, 8079, 8081, 59999, 65536, -1]
    assert all(port in ports for port in inside)
    assert not any(port in ports for port in outside)
    assert "80" not in ports
    assert 80 not in PortSet()


def test_a_port_set_has_a_length_and_iterates_in_order() -> None:
    ports = parse_port_range("8080,1-3,60000-60001").tcp
    assert len(ports) == 6
    assert list(ports) == [1, 2, 3, 8080, 60000, 60001]
    assert str(ports) == "1-3,8080,60000-60001"


def test_every_port_is_one_pair_and_iterates_lazily() -> None:
    ports = parse_port_range("1-65535").tcp
    assert ports.spans == ((1, 65535),)
    assert len(ports) == MAX_PORT
    assert list(itertools.islice(ports, 3)) == [1, 2, 3]


def test_a_port_range_holds_transport_and_port_pairs_tcp_first() -> None:
    port_range = parse_port_range("T:21-22,U:53")
    assert list(port_range) == [(TCP, 21), (TCP, 22), (UDP, 53)]
    assert len(port_range) == 3
    assert (UDP, 53) in port_range
    assert ("udp", 53) in port_range
    assert (TCP, 53) not in port_range
    assert 22 not in port_range
    assert ("sctp", 22) not in port_range
    assert port_range.ports(UDP) is port_range.udp


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1-1024,8080", "1-1024,8080"),
        ("T:1-10,U:53", "T:1-10,U:53"),
        ("U:53, T: 1-10", "T:1-10,U:53"),
        ("U:53, 1-10", "U:1-10,53"),
        ("U:53", "U:53"),
        ("-3, 65535-", "1-3,65535"),
    ],
)
def test_the_text_of_a_port_range_is_its_canonical_preference_value(
    text: str, canonical: str
) -> None:
    assert str(parse_port_range(text)) == canonical


def test_a_port_set_built_by_code_must_be_sorted_and_merged() -> None:
    with pytest.raises(PortRangeError, match="meets the one before"):
        PortSet(((10, 20), (21, 30)))
    with pytest.raises(PortRangeError, match="meets the one before"):
        PortSet(((10, 20), (1, 5)))
    with pytest.raises(PortRangeError, match="goes backwards"):
        PortSet.of([(1, 10), (5, 3)])
    assert PortSet.of([(21, 30), (10, 20)]) == PortSet(((10, 30),))


# --- properties --------------------------------------------------------------------------------


@st.composite
def span_lists(draw: st.DrawFn) -> list[tuple[int, int]]:
    ports = st.integers(1, MAX_PORT)
    pairs = draw(st.lists(st.tuples(ports, ports), max_size=6))
    return [(min(pair), max(pair)) for pair in pairs]


port_ranges = st.builds(
    lambda tcp, udp: PortRange(tcp=PortSet.of(tcp), udp=PortSet.of(udp)), span_lists(), span_lists()
).filter(len)


@settings(max_examples=100, deadline=None)
@given(port_ranges)
def test_a_port_range_reads_back_from_its_text(port_range: PortRange) -> None:
    assert parse_port_range(str(port_range)) == port_range


@settings(max_examples=100, deadline=None)
@given(span_lists(), st.lists(st.integers(0, MAX_PORT + 1), max_size=20))
def test_a_port_set_holds_exactly_the_ports_of_its_spans(
    pairs: list[tuple[int, int]], probes: list[int]
) -> None:
    ports = PortSet.of(pairs)
    expected = {port for low, high in pairs for port in range(low, high + 1)}
    assert len(ports) == len(expected)
    assert all((probe in ports) == (probe in expected) for probe in probes)
    if len(expected) < 5000:
        assert list(ports) == sorted(expected)


# --- the port state check (§6.4 item 4) --------------------------------------------------------

SCANNED = parse_port_range("T:1-1024,U:1-200")


def counts_as_open(
    port: int, transport: Transport, *, scanned: bool = True, unscanned_closed: bool = False
) -> bool:
    return port_counts_as_open(
        port,
        transport,
        host_scanned=scanned,
        port_range=SCANNED,
        unscanned_closed=unscanned_closed,
        open_ports={22, 53},
    )


def test_a_port_of_an_unscanned_host_counts_as_open() -> None:
    assert counts_as_open(80, TCP, scanned=False)
    assert counts_as_open(80, UDP, scanned=False)


def test_unscanned_closed_closes_the_tcp_ports_of_an_unscanned_host_only() -> None:
    assert not counts_as_open(80, TCP, scanned=False, unscanned_closed=True)
    assert counts_as_open(80, UDP, scanned=False, unscanned_closed=True)


def test_a_port_outside_the_scanned_range_counts_as_open_unless_unscanned_closed() -> None:
    assert counts_as_open(8080, TCP)
    assert not counts_as_open(8080, TCP, unscanned_closed=True)


def test_udp_ports_are_checked_against_the_udp_part_of_the_range() -> None:
    # 443 is in the T: part but not the U: part, so the UDP scanner never probed it.
    assert counts_as_open(443, UDP)
    assert not counts_as_open(443, UDP, unscanned_closed=True)
    assert not counts_as_open(161, UDP)


def test_a_scanned_port_is_open_only_if_a_scanner_found_it_open() -> None:
    assert counts_as_open(22, TCP)
    assert not counts_as_open(21, TCP)
    assert counts_as_open(53, UDP, unscanned_closed=True)
    assert not counts_as_open(54, UDP, unscanned_closed=True)


def test_open_ports_can_be_a_predicate_over_the_knowledge_base() -> None:
    kb = {"Ports/tcp/22": 1, "Ports/tcp/23": 0}

    def is_open(port: int) -> bool:
        return kb.get(f"Ports/tcp/{port}", 0) > 0

    def check(port: int) -> bool:
        return port_counts_as_open(
            port,
            TCP,
            host_scanned=True,
            port_range=SCANNED,
            unscanned_closed=False,
            open_ports=is_open,
        )

    assert check(22)
    assert not check(23)
