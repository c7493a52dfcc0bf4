"""UDP through the engine: the context's datagrams, the UDP scanner joining a scan whose
range has ``U:`` ports, UDP findings keeping their protocol, and NASL's ``protocol:``.

Every datagram goes to a port a test's own service holds, or held and closed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from pathlib import Path

import pytest

from ixion.engine.context import HostContext
from ixion.engine.events import Event, Finding, PortFound, Severity
from ixion.engine.host import HostScan
from ixion.engine.job import ScanSettings
from ixion.engine.loader import builtin_origins, load_plugins
from ixion.engine.schedule import UDP_SCANNER, plan
from ixion.plugin_api.context import Datagrams
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.ports import parse_port_range
from tests.engine.test_nasl_plugins import make_job as nasl_job
from tests.engine.test_nasl_plugins import nasl, scan
from tests.lab import LOOPBACK, HttpService
from tests.plugins.helpers import make_job
from tests.plugins.udp_lab import (
    UdpService,
    closed_udp_port,
    dns,
    echo,
    services,
    silent,
    tftp,
)

INFO = PluginInfo(
    id=91000200,
    filename="udp_probe.py",
    name="UDP probe",
    family="Test",
    category=Category.GATHER_INFO,
    summary="Talks UDP",
    description="Talks UDP to a test service.",
)
TCP_SCANNER, UDP_SCANNER_ID = 10335, 90000003


def context(port: int) -> HostContext:
    return HostContext(info=INFO, job=make_job([port]), kb=KnowledgeBase(), emit=lambda _: None)


async def exchange(port: int, data: bytes, **options: bool) -> bytes | None:
    async with await context(port).datagram(port, timeout=0.3, **options) as datagrams:
        await datagrams.send(data)
        return await datagrams.recv()


# --- the plugin vocabulary: PluginContext.datagram ----------------------------------------------


def test_a_datagram_goes_to_the_port_and_its_answer_comes_back() -> None:
    with services(echo) as (echoer,):
        assert asyncio.run(exchange(echoer.port, b"ping")) == b"ping"
        # An empty datagram is an answer too, told apart from silence.
        assert asyncio.run(exchange(echoer.port, b"")) == b""
    assert echoer.received == [b"ping", b""]


def test_silence_is_none_after_the_timeout() -> None:
    with services(silent) as (quiet,):
        started = time.monotonic()
        assert asyncio.run(exchange(quiet.port, b"anyone?")) is None
        assert 0.25 < time.monotonic() - started < 2
    assert quiet.received == [b"anyone?"]


def test_a_closed_port_is_a_refused_connection() -> None:
    port = closed_udp_port()
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(exchange(port, b"hello"))


def test_answers_from_another_port_come_only_to_an_unconnected_socket() -> None:
    with UdpService(tftp, other_port=True) as files:
        request = b"\x00\x01missing\x00octet\x00"
        assert asyncio.run(exchange(files.port, request)) is None  # connected: dropped
        answer = asyncio.run(exchange(files.port, request, any_source_port=True))
    assert answer is not None
    assert answer.startswith(b"\x00\x05")


def test_an_unconnected_socket_hears_only_the_scanned_address_and_its_icmp() -> None:
    async def scenario(quiet: int, closed: int) -> bytes | None:
        ctx = context(quiet)
        async with await ctx.datagram(quiet, timeout=0.3, any_source_port=True) as datagrams:
            await datagrams.send(b"hello")
            # Another address of this machine writes to our socket: it is not the target.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                other.bind(("127.0.0.2", 0))
                other.sendto(b"not the target", (LOOPBACK, datagrams.local_port))
            answer = await datagrams.recv()
        # IP_RECVERR brings the port unreachable back although the socket is not connected.
        async with await ctx.datagram(closed, timeout=1, any_source_port=True) as datagrams:
            await datagrams.send(b"closed?")
            with pytest.raises(ConnectionRefusedError):
                await datagrams.recv()
        return answer

    with services(silent) as (quiet,):
        assert asyncio.run(scenario(quiet.port, closed_udp_port())) is None


def test_ports_outside_1_to_65535_are_refused() -> None:
    ctx = context(1)
    for port in (0, 65536, -1):
        with pytest.raises(ValueError, match="out of range"):
            asyncio.run(ctx.datagram(port))


def test_a_socket_that_would_talk_to_itself_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    # On the scanned host's own address, a socket whose port is the port asked would get
    # its own datagram back as an "answer". Make the first socket the kernel gives be one.
    port = closed_udp_port()
    real_socket = socket.socket
    made: list[socket.socket] = []

    def first_one_on_the_port(family: int, kind: int) -> socket.socket:
        sock = real_socket(family, kind)
        if not made:
            sock.bind((LOOPBACK, port))
        made.append(sock)
        return sock

    monkeypatch.setattr(socket, "socket", first_one_on_the_port)
    datagrams = Datagrams.open(socket.AF_INET, (LOOPBACK, port), timeout=0.3)
    monkeypatch.undo()

    async def ask() -> bytes | None:
        async with datagrams:
            await datagrams.send(b"me?")
            return await datagrams.recv()

    assert len(made) == 2
    assert made[0].fileno() == -1  # closed, not handed out
    assert datagrams.local_port != port
    with pytest.raises(ConnectionRefusedError):  # nobody else holds the port: closed
        asyncio.run(ask())


# --- the scheduler: U: ports bring the UDP scanner -----------------------------------------------


def planned(port_range: str, enabled: set[int]) -> list[str]:
    infos = [plugin.info for plugin in load_plugins(builtin_origins()).all]
    settings = ScanSettings(port_range=parse_port_range(port_range))
    return [p.info.filename for p in plan(infos, frozenset(enabled), settings) if not p.silent]


def test_the_udp_scanner_joins_port_scanners_when_the_range_has_udp_ports() -> None:
    assert UDP_SCANNER in planned("T:22,U:53,161", {TCP_SCANNER})
    assert UDP_SCANNER not in planned("22", {TCP_SCANNER})  # no U: part
    assert UDP_SCANNER not in planned("T:22,U:53", {90000010})  # no port scanner asked for
    assert planned("U:53", {UDP_SCANNER_ID}) == [UDP_SCANNER]


def test_a_host_scan_with_tcp_and_udp_ports_scans_both(tmp_path: Path) -> None:
    plugins = load_plugins(builtin_origins()).all
    closed = closed_udp_port()
    with HttpService() as web, services(dns) as (dns_server,):
        job = dataclasses.replace(
            make_job(
                f"T:{web.port},U:{dns_server.port},{closed}",
                preferences={"UDP scanner[entry]:Service ports": f"domain={dns_server.port}"},
            ),
            enabled=frozenset({TCP_SCANNER}),
        )
        events: list[Event] = []
        host = HostScan(job, plugins, events.append)
        asyncio.run(asyncio.wait_for(host.run(), 60))
    found = {(e.port, e.proto) for e in events if isinstance(e, PortFound)}
    assert found == {(web.port, "tcp"), (dns_server.port, "udp")}
    notes = [e for e in events if isinstance(e, Finding) and e.plugin_id == UDP_SCANNER_ID]
    assert [(e.port, e.proto, e.severity) for e in notes] == [
        (dns_server.port, "udp", Severity.NOTE)
    ]
    assert host.kb.get("Host/scanned") == 1
    assert host.kb.get("Host/udp_scanned") == 1
    assert host.kb.get("UDPScanner/closed") == 1


# --- NASL: protocol:, get_udp_port_state, open_sock_udp -----------------------------------------

REPORTS = b"""\
security_note(port:%(p)d, protocol:"udp", data:"note");
log_message(port:%(p)d, proto:"udp", data:"log");
security_warning(port:%(p)d, data:"warning");
security_hole(port:%(p)d, protocol:"udp", proto:"tcp", data:"hole");
security_message(port:0, protocol:"udp", data:"general");
"""
STATE = b"""\
if (get_udp_port_state(%(open)d) && !get_udp_port_state(%(closed)d)) {
  soc = open_sock_udp(%(open)d);
  send(socket:soc, data:"marco");
  r = recv(socket:soc, length:100);
  security_note(port:%(open)d, protocol:"udp", data:"answered " + r);
}
"""


def test_nasl_reports_take_openvas_protocol_and_nessus_proto(tmp_path: Path) -> None:
    nasl(tmp_path, "reports.nasl", REPORTS % {b"p": 5353}, oid=900901)
    _, events = scan(nasl_job(tmp_path, {900901}))
    found = [(e.text.split("\n")[0], e.port, e.proto) for e in events if isinstance(e, Finding)]
    assert found == [
        ("note", 5353, "udp"),
        ("log", 5353, "udp"),
        ("warning", 5353, "tcp"),
        ("hole", 5353, "udp"),  # OpenVAS reads protocol: first
        ("general", 0, "udp"),
    ]


def test_nasl_sees_the_udp_scan_in_the_kb_and_talks_udp(tmp_path: Path) -> None:
    closed = closed_udp_port()
    with services(echo) as (echoer,):
        values = {b"open": echoer.port, b"closed": closed}
        nasl(
            tmp_path,
            "udp_state.nasl",
            STATE % values,
            oid=900902,
            extra=b'  script_dependencies("udp_scanner.py");\n',
        )
        _, events = scan(nasl_job(tmp_path, {900902}, ports=f"U:{echoer.port},{closed}"))
    found = [(e.text.split("\n")[0], e.port, e.proto) for e in events if isinstance(e, Finding)]
    assert found == [("answered marco", echoer.port, "udp")]
