"""udp_scanner: open, closed and open|filtered ports told apart, services named from their
answers, the rate kept, and a few hundred ports in seconds.

Only ports the tests' own UDP services hold, and ports they held and closed, are scanned.
"""

from __future__ import annotations

import itertools
import time

import pytest

from ixion.engine.events import Finding, PortFound, Severity
from ixion.plugins._udp_probes import GENERIC, PROBES, identify, parse_service_ports, probe_for
from ixion.plugins.udp_scanner import INFO

from .helpers import Outcome, run_plugins
from .udp_lab import (
    DNS_VERSION,
    MAC,
    SYS_DESCR,
    UdpService,
    closed_udp_port,
    closed_udp_ports,
    dns,
    echo,
    netbios,
    ntp,
    services,
    silent,
    snmp,
    tftp,
    udp_socket,
)

PREFIX = "UDP scanner[entry]:"
QUICK = {f"{PREFIX}Answer timeout (seconds)": "0.3"}


def scan(ports: list[int], **preferences: str) -> Outcome:
    settings = {**QUICK, **{PREFIX + name: value for name, value in preferences.items()}}
    return run_plugins("U:" + ",".join(map(str, ports)), ["udp_scanner"], preferences=settings)


def notes(outcome: Outcome, port: int) -> str:
    found = outcome.findings(port=port, severity=Severity.NOTE, plugin_id=INFO.id)
    assert [f.proto for f in found] == ["udp"]
    return found[0].text


def test_open_closed_and_open_filtered_ports_are_told_apart() -> None:
    closed = closed_udp_port()
    with services(dns, snmp, echo, silent) as (dns_server, agent, echoer, quiet):
        outcome = scan(
            [dns_server.port, agent.port, echoer.port, quiet.port, closed],
            **{"Service ports": f"domain={dns_server.port}, snmp={agent.port}"},
        )
    answered = sorted([dns_server.port, agent.port, echoer.port])
    assert outcome.ports_found == answered
    assert {e.proto for e in outcome.events if isinstance(e, PortFound)} == {"udp"}
    assert {e.proto for e in outcome.events if isinstance(e, Finding)} == {"udp"}
    for port in answered:
        assert outcome.get(f"Ports/udp/{port}") == 1
    for port in (quiet.port, closed):
        assert f"Ports/udp/{port}" not in outcome.kb
    assert not list(outcome.kb.matching("Ports/tcp/*"))
    # Services named as the feed's scripts look them up.
    assert outcome.get(f"Known/udp/{dns_server.port}") == "domain"
    assert outcome.values("Services/udp/domain") == (dns_server.port,)
    assert outcome.get(f"Known/udp/{agent.port}") == "snmp"
    assert outcome.values("Services/udp/snmp") == (agent.port,)
    assert f"Known/udp/{echoer.port}" not in outcome.kb
    assert notes(outcome, dns_server.port).startswith(
        f"A DNS server answers on this port (domain).\nversion.bind: {DNS_VERSION.decode()}\n"
    )
    assert f"sysDescr: {SYS_DESCR.decode()}" in notes(outcome, agent.port)
    assert 'community "public"' in notes(outcome, agent.port)
    assert "(0 bytes) was not recognised" in notes(outcome, echoer.port)
    # The silent port: asked once and retried once, then open|filtered.
    assert len(quiet.received) == 2
    assert outcome.get("UDPScanner/open_filtered") == 1
    assert outcome.get("UDPScanner/open_filtered_ports") == str(quiet.port)
    assert outcome.get("UDPScanner/closed") == 1
    assert outcome.get("UDPScanner/filtered") == 0
    assert outcome.get("Host/udp_scanned") == 1
    assert outcome.get("Host/scanners/udp_scanner") == 1
    assert "Host/scanned" not in outcome.kb  # that one says a TCP scan ran


def test_well_known_protocols_are_recognised_with_what_they_say() -> None:
    with services(ntp, netbios) as (clock, names), UdpService(tftp, other_port=True) as files:
        outcome = scan(
            [clock.port, names.port, files.port],
            **{"Service ports": f"ntp={clock.port} netbios-ns={names.port} tftp={files.port}"},
        )
    assert outcome.ports_found == sorted([clock.port, names.port, files.port])
    assert "An NTP server answers on this port (ntp).\nStratum 2\n" in notes(outcome, clock.port)
    text = notes(outcome, names.port)
    assert "Computer name: IXIONLAB\nWorkgroup: LABGROUP\n" in text
    assert f"MAC address: {MAC.hex(':')}" in text
    # The TFTP server answered from another port: still taken as the port's answer.
    assert "A TFTP server answers on this port (tftp).\nIt answered: File not found" in notes(
        outcome, files.port
    )
    assert outcome.values("Services/udp/tftp") == (files.port,)
    assert files.received[0].startswith(b"\x00\x01ixion-")


def test_an_answer_that_is_not_the_service_asked_is_open_but_unnamed() -> None:
    with services(echo) as (echoer,):
        outcome = scan([echoer.port], **{"Service ports": f"domain={echoer.port}"})
    assert outcome.ports_found == [echoer.port]
    assert f"Known/udp/{echoer.port}" not in outcome.kb
    assert "not as a DNS server would" in notes(outcome, echoer.port)


def test_the_rate_limit_spaces_every_datagram_retries_included() -> None:
    rate, retries = 20, 2
    with services(*[silent] * 6) as quiet:
        started = time.monotonic()
        outcome = scan(
            [service.port for service in quiet],
            **{"Packets per second": str(rate), "Retries": str(retries)},
        )
        took = time.monotonic() - started
    assert outcome.ports_found == []
    assert outcome.get("UDPScanner/open_filtered") == 6
    assert [len(service.received) for service in quiet] == [1 + retries] * 6
    arrivals = sorted(t for service in quiet for t in service.arrivals)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) > 0.95 / rate  # never two at once, however late a wake-up was
    per_second = max(sum(1 for t in arrivals if start <= t < start + 1) for start in arrivals)
    assert per_second <= rate + 1  # the one that opens the second, and the rate's
    assert took < len(arrivals) / rate + 1  # and no slower than the rate, give or take


def test_a_few_hundred_ports_take_seconds() -> None:
    # 300 ports held bound and never read (silent), 100 closed a moment ago.
    held = [udp_socket() for _ in range(300)]
    try:
        ports = [sock.getsockname()[1] for sock in held] + closed_udp_ports(100)
        started = time.monotonic()
        outcome = run_plugins("U:" + ",".join(map(str, ports)), ["udp_scanner"])
        took = time.monotonic() - started
    finally:
        for sock in held:
            sock.close()
    assert outcome.ports_found == []
    assert outcome.get("UDPScanner/open_filtered") == 300
    assert outcome.get("UDPScanner/closed") == 100
    # 700 datagrams at the default 200/s (each silent port is retried once), one timeout:
    # about 5.5 s on a quiet machine. The bound is loose (a loaded CI machine is slower);
    # it tells seconds from minutes. bench/ is where speed is measured.
    assert took < 20, took
    progress = outcome.progress
    assert progress[-1].current == progress[-1].total == 400
    assert len(progress) <= 110


def test_a_tcp_only_range_is_not_a_udp_scan() -> None:
    outcome = run_plugins("1", ["udp_scanner"])
    assert outcome.events == []
    assert "Host/udp_scanned" not in outcome.kb


def test_the_service_ports_preference() -> None:
    ports, bad = parse_service_ports("domain=5353, snmp=1161 bogus x=1 ntp=70000")
    assert ports == {5353: "domain", 1161: "snmp"}
    assert bad == ["bogus", "x=1", "ntp=70000"]
    assert probe_for(5353, ports) is PROBES["domain"]
    assert probe_for(5353, {}) is PROBES["mdns"]
    assert probe_for(161, {}) is PROBES["snmp"]
    assert probe_for(40000, {}) is GENERIC


#: Services whose answer is anything at all (a line of text, the datagram itself).
ANSWER_ANYTHING = ("echo", "daytime", "qotd", "chargen")


@pytest.mark.parametrize("service", sorted(PROBES))
def test_every_probe_refuses_noise_and_its_own_request_reflected(service: str) -> None:
    probe = PROBES[service]
    token = 0x12345678
    request = probe.request(token)
    assert 0 < len(request) <= 512
    for noise in (b"", b"\x00", b"\xff" * 64, bytes(100), b"\x16\x03\x01" + bytes(60)):
        assert identify(probe, noise, token) is None, service
    if service not in ANSWER_ANYTHING:  # a port that sends back what it got is no service
        assert identify(probe, request, token) is None, service


def test_the_snmp_answerer_here_agrees_with_the_probe_on_the_wire() -> None:
    token = 0xFEDCBA98  # the high bit set: request-ids are non-negative INTEGERs
    answer = snmp(PROBES["snmp"].request(token))
    assert answer is not None
    assert SYS_DESCR.decode() in str(identify(PROBES["snmp"], answer, token))
    assert snmp(PROBES["snmp"].request(token), community=b"secret") is None
