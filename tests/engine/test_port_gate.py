"""A host's ports held while service detection runs, then named (:mod:`ixion.engine.port_gate`),
and the events that drive it as they cross from a worker to the daemon (``from_json``)."""

from __future__ import annotations

import json

import pytest

from ixion.engine.events import (
    DetectionEnded,
    DetectionPlanned,
    Event,
    EventError,
    Finding,
    HostFinished,
    HostStarted,
    PortFound,
    ServiceFound,
    Severity,
    from_json,
    to_json,
)
from ixion.engine.port_gate import PortGate

HOST = "192.0.2.7"


def port(number: int, proto: str = "tcp", service: str = "") -> PortFound:
    return PortFound(HOST, number, proto, 10335, service)


def note(number: int, text: str, proto: str = "tcp", service: str = "") -> Finding:
    return Finding(HOST, Severity.NOTE, number, proto, text, 90000010, 80, "", service)


def named(name: str) -> ServiceFound:
    number, proto, service = name.split(" ")
    return ServiceFound(HOST, int(number), proto, service)


def feed(gate: PortGate, *events: Event) -> list[Event]:
    """Everything the gate passes on while ``events`` arrive, in order."""
    return [passed for event in events for passed in gate.admit(event)]


def test_without_detection_ports_and_results_pass_at_once() -> None:
    gate = PortGate()
    start = HostStarted(HOST, 1.0)
    assert feed(gate, start, port(80), note(80, "a web server")) == [
        start,
        port(80),
        note(80, "a web server"),
    ]
    assert not gate.holding


def test_a_held_port_goes_out_when_named_with_the_results_held_behind_it() -> None:
    gate = PortGate()
    assert feed(gate, DetectionPlanned(HOST), port(22), port(8080), note(8080, "seen")) == []
    assert gate.holding
    # Named: the port and its result go out at once, both with the name; 22 still waits.
    assert feed(gate, named("8080 tcp http")) == [
        port(8080, service="http"),
        note(8080, "seen", service="http"),
    ]
    assert feed(gate, note(8080, "later"), note(0, "the host")) == [
        note(8080, "later", service="http"),
        note(0, "the host"),
    ]
    assert feed(gate, named("22 tcp ssh")) == [port(22, service="ssh")]
    assert feed(gate, DetectionEnded(HOST)) == []
    assert not gate.holding


def test_ports_detection_left_unnamed_go_out_in_port_order_when_it_ends() -> None:
    gate = PortGate()
    feed(gate, DetectionPlanned(HOST), port(9999), port(21), note(9999, "unknown service"))
    feed(gate, port(443), named("443 tcp ssl/http"))
    assert feed(gate, DetectionEnded(HOST)) == [
        port(21),
        port(9999),
        note(9999, "unknown service"),
    ]
    # Detection is over: ports found now pass at once, named or not.
    assert feed(gate, port(25)) == [port(25)]


def test_a_host_that_ends_during_detection_still_reports_every_port_first() -> None:
    gate = PortGate()
    end = HostFinished(HOST, 2.0, "stopped by the user")
    feed(gate, DetectionPlanned(HOST), port(80), port(22), named("80 tcp http"))
    assert feed(gate, note(22, "partial"), end) == [port(22), note(22, "partial"), end]


def test_a_port_keeps_the_name_its_port_line_carried() -> None:
    gate = PortGate()
    feed(gate, DetectionPlanned(HOST), port(8080), DetectionEnded(HOST))
    # A name that comes after the port went out unnamed would contradict its PORT line.
    assert feed(gate, named("8080 tcp http"), note(8080, "x")) == [note(8080, "x")]
    # A port no scanner reported is named for its results.
    assert feed(gate, named("81 tcp http"), note(81, "y")) == [note(81, "y", service="http")]


def test_a_name_known_before_the_port_lets_it_pass_at_once() -> None:
    gate = PortGate()
    feed(gate, DetectionPlanned(HOST), named("443 tcp ssl/http"))
    assert feed(gate, port(443)) == [port(443, service="ssl/http")]


def test_udp_ports_are_never_held_and_keep_the_scanner_s_name() -> None:
    gate = PortGate()
    feed(gate, DetectionPlanned(HOST))
    assert feed(gate, port(161, "udp", "snmp"), port(514, "udp")) == [
        port(161, "udp", "snmp"),
        port(514, "udp"),
    ]
    assert feed(gate, note(161, "community public", "udp")) == [
        note(161, "community public", "udp", "snmp")
    ]
    assert gate.holding


# --- the events, as a worker sends them -----------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        port(443, service="ssl/http"),
        port(11211, "udp", "memcached"),
        note(8080, "x", service="http"),
        ServiceFound(HOST, 3389, "tcp", "ms-wbt-server"),
        DetectionPlanned(HOST),
        DetectionEnded(HOST),
    ],
)
def test_the_events_of_service_detection_go_through_json(event: Event) -> None:
    assert from_json(to_json(event)) == event


def tampered(event: Event, **fields: object) -> bytes:
    data = json.loads(to_json(event))
    data.update(fields)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "line",
    [
        tampered(port(80), service="http (80/tcp)"),
        tampered(port(80), service="a|b"),
        tampered(port(80), service="/http"),
        tampered(port(80), service="x" * 65),
        tampered(port(80), service=7),
        tampered(note(80, "x"), service="www\n"),
        tampered(ServiceFound(HOST, 80, "tcp", "http"), service=""),
        tampered(ServiceFound(HOST, 80, "tcp", "http"), port=0),
        tampered(ServiceFound(HOST, 80, "tcp", "http"), port=65536),
        tampered(ServiceFound(HOST, 80, "tcp", "http"), proto="icmp"),
        tampered(DetectionPlanned(HOST), when=1.0),
    ],
)
def test_a_bad_service_name_or_port_is_not_an_event(line: bytes) -> None:
    with pytest.raises(EventError):
        from_json(line)
