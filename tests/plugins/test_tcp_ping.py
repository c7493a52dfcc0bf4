"""tcp_ping: a refused or accepted connection proves life; silence everywhere marks it dead."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from ixion.engine.events import Severity
from ixion.plugin_api.ports import parse_port_range
from ixion.plugins import tcp_ping
from tests.lab import LOOPBACK, Lab, reserved_closed_ports

from .helpers import run_plugins

DEAD = "TCP ping[checkbox]:Mark unreachable hosts as dead"
TIMEOUT = {"TCP ping[entry]:Timeout (seconds)": "0.5"}


@contextlib.contextmanager
def unanswering_port() -> Iterator[int]:
    """A port of ours whose SYNs are dropped: a listener whose accept queue is full.

    With a backlog of 0, Linux queues one connection and drops later SYNs without a reply
    while it stays unaccepted, so a connect() there times out, as on a host that is down.
    """
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind((LOOPBACK, 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(8):
            filler = stack.enter_context(socket.socket())
            filler.settimeout(0.5)
            try:
                filler.connect((LOOPBACK, port))
            except TimeoutError:
                break
        else:
            raise AssertionError("the accept queue never filled")
        yield port


def test_probe_ports_prefers_well_known_ports_of_the_range() -> None:
    ports = tcp_ping.probe_ports(parse_port_range("1-1024").tcp)
    assert ports[:5] == [80, 443, 22, 25, 21]
    assert len(ports) == tcp_ping.PROBES
    assert len(set(ports)) == len(ports)


def test_probe_ports_never_leave_the_range() -> None:
    port_range = parse_port_range("1000-1002,30000,40000-40100,65535").tcp
    ports = tcp_ping.probe_ports(port_range)
    assert all(port in port_range for port in ports)
    # None of the well-known ports is in it: 8 indices spread evenly over its 106 ports.
    assert ports == [1000, 40009, 40022, 40035, 40049, 40062, 40075, 40088]


def test_probe_ports_of_a_small_range_are_all_its_ports() -> None:
    assert sorted(tcp_ping.probe_ports(parse_port_range("7,9").tcp)) == [7, 9]


def test_an_open_port_proves_the_host_alive(lab: Lab) -> None:
    outcome = run_plugins([lab.ports["http"]], ["tcp_ping"], preferences=TIMEOUT)
    assert "Host/dead" not in outcome.kb
    assert outcome.events == []


def test_a_refused_connection_proves_the_host_alive() -> None:
    with reserved_closed_ports(3) as closed:
        outcome = run_plugins(closed, ["tcp_ping"], preferences=TIMEOUT)
    assert "Host/dead" not in outcome.kb
    assert outcome.events == []


def test_silence_on_every_probe_marks_the_host_dead() -> None:
    with unanswering_port() as port:
        outcome = run_plugins([port], ["tcp_ping"], preferences=TIMEOUT)
    assert outcome.get("Host/dead") == 1
    [note] = outcome.findings(severity=Severity.NOTE)
    assert note.port == 0
    assert f"ports {port} within 0.5 seconds" in note.text
    assert "did not answer" in note.text


def test_a_dead_host_is_only_noted_when_the_preference_says_so() -> None:
    with unanswering_port() as port:
        outcome = run_plugins([port], ["tcp_ping"], preferences={**TIMEOUT, DEAD: "no"})
    assert "Host/dead" not in outcome.kb
    assert outcome.events == []


def test_a_udp_only_range_gives_nothing_to_ping() -> None:
    outcome = run_plugins("U:53", ["tcp_ping"])
    assert "Host/dead" not in outcome.kb
