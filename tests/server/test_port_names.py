"""The names ports go out with (:mod:`ixion.server.port_names`), and their way through the
wire, a stored session and the reports."""

from __future__ import annotations

import pytest

from ixion.ntp import Port, PortRef
from ixion.plugin_api.ports import Transport
from ixion.reports.collect import collect_results
from ixion.reports.nbe import read_nbe, write_nbe
from ixion.reports.text import text_report
from ixion.server.port_names import port_name
from ixion.server.recorder import stored_line, stored_message

SERVICES = {(80, Transport.TCP): "http", (8080, Transport.TCP): "http-alt"}


@pytest.mark.parametrize(
    ("detected", "port", "proto", "expected"),
    [
        ("http", 8080, "tcp", "http"),
        ("ssl/http", 8443, "tcp", "https"),
        ("ssl/imap", 993, "tcp", "imaps"),
        ("ssl/pop3", 995, "tcp", "pop3s"),
        ("ssl/smtp", 465, "tcp", "smtps"),
        ("ssl/ldap", 636, "tcp", "ldaps"),
        ("ssl/ftp", 990, "tcp", "ftps"),
        ("ssl/redis", 6380, "tcp", "ssl/redis"),
        ("ssl/unknown", 80, "tcp", "ssl/unknown"),
        ("memcached", 11211, "udp", "memcached"),
        ("", 8080, "tcp", "http-alt"),
        ("", 8080, "udp", "unknown"),
        ("", 31337, "tcp", "unknown"),
        ("", 7, "sctp", "unknown"),
    ],
)
def test_a_port_is_named_for_its_service_else_its_number(
    detected: str, port: int, proto: str, expected: str
) -> None:
    assert port_name(detected, port, proto, SERVICES) == expected


@pytest.mark.parametrize("name", ["https", "ssl/unknown", "ms-wbt-server", "ssl/redis"])
def test_every_name_survives_the_wire_a_stored_session_and_the_reports(name: str) -> None:
    where = PortRef(service=name, number=8443, protocol="tcp")
    message = Port(host="192.0.2.7", port=where)
    assert stored_message(stored_line(message)) == message
    results = collect_results([message])
    assert read_nbe(write_nbe(results)) == results
    assert f"{name} (8443/tcp)" in text_report(results)
