"""tcp_scanner: exactly the open ports of the range, nothing outside it, and fast."""

from __future__ import annotations

import socket

from ixion.engine.events import PortFound
from ixion.plugins.tcp_scanner import _connected_to_itself
from tests.lab import LOOPBACK, HttpService, Lab, reserved_closed_ports

from .helpers import Outcome, run_plugins


def test_finds_exactly_the_open_ports_of_the_range(lab: Lab, closed_port: int) -> None:
    ports = [*lab.ports.values(), closed_port]
    outcome = run_plugins(ports, ["tcp_ping", "tcp_scanner"])
    assert outcome.ports_found == sorted(lab.ports.values())
    for port in lab.ports.values():
        assert outcome.get(f"Ports/tcp/{port}") == 1
    assert f"Ports/tcp/{closed_port}" not in outcome.kb
    assert outcome.get("Host/scanned") == 1
    assert outcome.get("Host/num_ports_scanned") == len(ports)
    assert outcome.get("Host/scanners/tcp_scanner") == 1
    assert outcome.get("TCPScanner/closed") == 1
    assert "Host/full_scan" not in outcome.kb
    assert all(event.plugin_id == 10335 for event in outcome.events if isinstance(event, PortFound))


def test_never_reports_a_port_outside_the_range(lab: Lab, closed_port: int) -> None:
    # Every other lab service is listening too; only the range's own port may come out.
    outcome = run_plugins([lab.ports["ftp"], closed_port], ["tcp_scanner"])
    assert outcome.ports_found == [lab.ports["ftp"]]
    assert [key for key, _ in outcome.kb.matching("Ports/tcp/*")] == [
        f"Ports/tcp/{lab.ports['ftp']}"
    ]


def check_progress(outcome: Outcome, total: int) -> None:
    progress = outcome.progress
    assert all(event.phase == "portscan" and event.total == total for event in progress)
    assert [event.current for event in progress] == sorted(event.current for event in progress)
    assert progress[-1].current == total
    assert len(progress) <= 110  # a hundred or so updates, not one per port


def test_scans_thousands_of_closed_ports_and_finds_the_one_open() -> None:
    # Closed ports we hold bound (so they are ours and nobody listens), plus one listener.
    with reserved_closed_ports(3000) as closed, HttpService() as http:
        outcome = run_plugins([*closed, http.port], ["tcp_scanner"])
    assert outcome.ports_found == [http.port]
    assert outcome.get("Host/num_ports_scanned") == 3001
    assert outcome.get("TCPScanner/closed") == 3000
    assert outcome.get("TCPScanner/filtered") == 0
    check_progress(outcome, 3001)


def test_a_small_parallelism_still_scans_every_port(lab: Lab) -> None:
    with reserved_closed_ports(50) as closed:
        outcome = run_plugins(
            [*closed, lab.ports["ssh"], lab.ports["http"]],
            ["tcp_scanner"],
            preferences={"TCP connect scanner[entry]:Maximum simultaneous connections": "3"},
        )
    assert outcome.ports_found == sorted([lab.ports["ssh"], lab.ports["http"]])
    assert outcome.get("TCPScanner/closed") == 50
    check_progress(outcome, 52)


def test_a_udp_only_range_is_not_a_tcp_scan() -> None:
    outcome = run_plugins("U:53", ["tcp_scanner"])
    assert "Host/scanned" not in outcome.kb
    assert outcome.events == []


def test_a_connection_to_itself_is_recognised() -> None:
    # A TCP simultaneous open onto our own port: bind, then connect to that same address.
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        sock.connect(sock.getsockname())
        assert _connected_to_itself(sock)
    with HttpService() as http, socket.create_connection((LOOPBACK, http.port)) as client:
        assert not _connected_to_itself(client)
