"""udp_scanner: open, closed and open|filtered ports told apart, services named from their
answers (an SNMP agent by SNMPv1 or by SNMPv3 engine discovery), the rate kept, and a few
hundred ports in seconds.

Only ports the tests' own UDP services hold, and ports they held and closed, are scanned,
and udp/161 of the netlab's two hosts.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import pytest

from ixion.engine.events import Finding, PortFound, Severity
from ixion.engine.job import HostJob, ScanSettings
from ixion.plugin_api.ports import parse_port_range
from ixion.plugins._udp_formats import snmpv3_report
from ixion.plugins._udp_probes import GENERIC, PROBES, identify, parse_service_ports, probe_for
from ixion.plugins.udp_scanner import INFO
from tests.netlab.fixture import NetLab

from .helpers import FAST, Outcome, run_async, run_plugins
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


# --- SNMPv3 engine discovery (RFC 3412 §6, RFC 3414 §4) ---------------------------------------

ENGINE_ID = bytes.fromhex("80001f88800102030405060708")  # Net-SNMP's enterprise, format 128
REPORT_PDU, GET_PDU = 0xA8, 0xA0
#: usmStatsUnknownEngineIDs.0 (1.3.6.1.6.3.15.1.1.4.0), as BER contents.
UNKNOWN_ENGINE_IDS = bytes.fromhex("2b060106030f01010400")


def _elements(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, contents) of each BER element of ``data``, read independently of ixion's code."""
    found, at = [], 0
    while at < len(data):
        tag, size, at = data[at], data[at + 1], at + 2
        if size & 0x80:
            count = size & 0x7F
            size, at = int.from_bytes(data[at : at + count], "big"), at + count
        found.append((tag, data[at : at + size]))
        at += size
    assert at == len(data)
    return found


def _number(element: tuple[int, bytes]) -> int:
    assert element[0] == 0x02
    return int.from_bytes(element[1], "big", signed=True)


def _ber(tag: int, contents: bytes) -> bytes:
    assert len(contents) < 128
    return bytes([tag, len(contents)]) + contents


def _report(msg_id: bytes, request_id: bytes, *, pdu_tag: int = REPORT_PDU) -> bytes:
    """An agent's answer to a discovery: msgID and request-id as given (INTEGER contents)."""
    header = _ber(0x30, _ber(0x02, msg_id) + _ber(0x02, b"\xff\xe3") + b"\x04\x01\x00\x02\x01\x03")
    usm = _ber(
        0x30,
        _ber(0x04, ENGINE_ID) + _ber(0x02, b"\x07") + _ber(0x02, b"\x01\x2c") + b"\x04\x00" * 3,
    )
    binding = _ber(0x30, _ber(0x06, UNKNOWN_ENGINE_IDS) + _ber(0x41, b"\x01"))
    pdu = _ber(0x02, request_id) + b"\x02\x01\x00\x02\x01\x00" + _ber(0x30, binding)
    scoped = _ber(0x30, _ber(0x04, ENGINE_ID) + b"\x04\x00" + _ber(pdu_tag, pdu))
    return _ber(0x30, b"\x02\x01\x03" + header + _ber(0x04, usm) + scoped)


def snmpv3_agent(data: bytes) -> bytes | None:
    """An agent that speaks SNMPv3 only, as the netlab's hardened snmpd does to strangers:
    a v3 message from an unknown engine gets a usmStatsUnknownEngineIDs Report carrying the
    request's msgID and request-id; anything else (v1, v2c) is dropped."""
    (message,) = _elements(data)
    parts = _elements(message[1])
    if _number(parts[0]) != 3:
        return None
    _, header, _, scoped = parts
    request_pdu = _elements(scoped[1])[2]
    return _report(_elements(header[1])[0][1], _elements(request_pdu[1])[0][1])


def test_the_snmpv3_discovery_is_the_request_rfc_3414_describes() -> None:
    token = 0xFEDCBA98
    probe = PROBES["snmp"]
    v1, v3 = probe.requests(token)
    assert v1 == probe.request(token)
    (message,) = _elements(v3)
    assert message[0] == 0x30
    version, header, security, scoped = _elements(message[1])
    assert _number(version) == 3
    msg_id, max_size, flags, model = _elements(header[1])
    assert _number(msg_id) == token & 0x7FFFFFFF
    assert 484 <= _number(max_size) <= 65507
    assert flags == (0x04, b"\x04")  # reportable, noAuthNoPriv
    assert _number(model) == 3  # USM
    assert security[0] == 0x04
    (usm,) = _elements(security[1])
    engine, boots, clock, user, auth, privacy = _elements(usm[1])
    assert (engine, user, auth, privacy) == ((0x04, b""),) * 4
    assert (_number(boots), _number(clock)) == (0, 0)
    context_engine, context_name, pdu = _elements(scoped[1])
    assert (context_engine, context_name) == ((0x04, b""), (0x04, b""))
    assert pdu[0] == GET_PDU
    request_id, status, index, bindings = _elements(pdu[1])
    assert (_number(request_id), _number(status), _number(index)) == (token & 0x7FFFFFFF, 0, 0)
    assert bindings == (0x30, b"")


def test_an_snmpv3_report_is_read_with_the_agents_engine() -> None:
    token = 0x12345678
    answer = snmpv3_agent(PROBES["snmp"].requests(token)[1])
    assert answer is not None
    assert identify(PROBES["snmp"], answer, token) == (
        "It answers SNMPv3 (engine discovery, RFC 3414).\n"
        f"Engine ID: {ENGINE_ID.hex()} (enterprise 8072); engine boots 7, engine time 300 s\n"
        "Report: usmStatsUnknownEngineIDs"
    )
    # Another msgID is someone else's answer; our own request sent back is no agent.
    assert identify(PROBES["snmp"], answer, token + 1) is None
    assert identify(PROBES["snmp"], PROBES["snmp"].requests(token)[1], token) is None


MSG_ID = (0x12345678).to_bytes(4, "big")
GOOD_REPORT = _report(MSG_ID, MSG_ID)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(GOOD_REPORT.replace(b"\x02\x01\x03", b"\x02\x01\x01", 1), id="version 1"),
        pytest.param(_report(b"\x12\x34\x56\x79", MSG_ID), id="another msgID"),
        pytest.param(_report(MSG_ID, MSG_ID, pdu_tag=GET_PDU), id="a GetRequest"),
        pytest.param(_report(MSG_ID, MSG_ID, pdu_tag=0x04), id="an encrypted scopedPDU"),
        pytest.param(b"\x30\x80" + GOOD_REPORT[2:], id="indefinite length"),
        pytest.param(b"\x30\x84\xff\xff\xff\xff" + GOOD_REPORT[2:], id="a length past the end"),
        pytest.param(b"\x30\x03\x02\x01\x03", id="nothing but the version"),
        pytest.param(b"\x30\x06\x02\x01\x03\x30\x01\x02", id="a header cut short"),
        *(pytest.param(GOOD_REPORT[:n], id=f"cut at {n}") for n in range(0, len(GOOD_REPORT), 7)),
    ],
)
def test_answers_that_are_not_our_report_are_not_snmp(answer: bytes) -> None:
    assert identify(PROBES["snmp"], answer, 0x12345678) is None


def test_a_report_with_broken_details_still_names_the_agent() -> None:
    usm_start = GOOD_REPORT.index(ENGINE_ID)
    broken = GOOD_REPORT[: usm_start - 4] + b"\x05" + GOOD_REPORT[usm_start - 3 :]  # not a SEQ
    assert identify(PROBES["snmp"], broken, 0x12345678) == (
        "It answers SNMPv3 (engine discovery, RFC 3414)."
    )


def test_no_mangled_report_breaks_the_reader() -> None:
    noise = random.Random(3414)
    for _ in range(3000):
        mangled = bytearray(GOOD_REPORT)
        for _ in range(noise.randint(1, 4)):
            mangled[noise.randrange(len(mangled))] = noise.randrange(256)
        said = snmpv3_report(bytes(mangled), 0x12345678)  # raises nothing, whatever comes
        assert said is None or said.startswith("It answers SNMPv3")


def test_an_agent_that_speaks_only_snmpv3_is_found() -> None:
    with services(snmpv3_agent) as (agent,):
        outcome = scan([agent.port], **{"Service ports": f"snmp={agent.port}"})
    assert outcome.ports_found == [agent.port]
    assert outcome.get(f"Known/udp/{agent.port}") == "snmp"
    assert outcome.values("Services/udp/snmp") == (agent.port,)
    text = notes(outcome, agent.port)
    assert text.startswith("An SNMP agent answers on this port (snmp).\nIt answers SNMPv3")
    assert f"Engine ID: {ENGINE_ID.hex()}" in text
    # One try carried both questions: the community (v1) and the discovery (v3).
    assert [_number(_elements(_elements(d)[0][1])[0]) for d in agent.received] == [0, 3]


def _lab_udp_scan(address: str) -> Outcome:
    job = HostJob(
        host=address,
        address=address,
        origins=(),
        enabled=frozenset(),
        settings=ScanSettings(port_range=parse_port_range("U:161")),
        preferences=FAST,
    )
    return asyncio.run(run_async(job, ["udp_scanner"]))


def test_the_netlab_snmp_agents_are_found_the_hardened_one_by_snmpv3(netlab: NetLab) -> None:
    hardened = _lab_udp_scan(netlab.hardened)
    assert hardened.ports_found == [161]
    assert hardened.get("Known/udp/161") == "snmp"
    text = notes(hardened, 161)
    # Its community is a secret, so only the v3 discovery got an answer.
    assert "It answers SNMPv3" in text
    assert "(enterprise 8072)" in text  # Net-SNMP
    assert "community" not in text
    weak = _lab_udp_scan(netlab.weak)
    assert weak.ports_found == [161]
    assert weak.get("Known/udp/161") == "snmp"
