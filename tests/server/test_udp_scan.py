"""A scan with ``U:`` ports through a real ixiond: UDP services on 127.0.0.1 found, named,
and reported to the client as ``(port/udp)``, next to the TCP ports of the same range.

The clients enable the classic scanners only (10180 and 10335, what nessusd's clients know):
the UDP scanner joins because the range asks for UDP ports. Only ports this test's services
hold, and one it held and closed, are scanned.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ixion.reports.nbe import read_nbe
from tests.lab import HttpService
from tests.plugins.udp_lab import closed_udp_port, dns, services, silent, snmp
from tests.server.test_daemon import BIN, add_user, free_port, running, write_config

PING, SCANNER, UDP_SCANNER = 10180, 10335, 90000003
SERVICE_PORTS = "UDP scanner[entry]:Service ports"


def test_the_batch_client_gets_udp_ports_and_findings_as_udp(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_user(config)
    closed = closed_udp_port()
    with HttpService() as web, services(dns, snmp, silent) as (dns_server, agent, quiet):
        udp = sorted([dns_server.port, agent.port, quiet.port, closed])
        rc = tmp_path / "nessusrc"
        rc.write_text(
            "ssl_version = NONE\n"
            "begin(SERVER_PREFS)\n"
            f" port_range = T:{web.port},U:{','.join(map(str, udp))}\n"
            "end(SERVER_PREFS)\n"
            "begin(PLUGINS_PREFS)\n"
            f" {SERVICE_PORTS} = domain={dns_server.port} snmp={agent.port}\n"
            "end(PLUGINS_PREFS)\n"
            f"begin(SCANNER_SET)\n {PING} = yes\n {SCANNER} = yes\nend(SCANNER_SET)\n"
        )
        targets = tmp_path / "targets"
        targets.write_text("127.0.0.1\n")
        result = tmp_path / "result.nbe"
        port = free_port()
        with running(config, port):
            login = ["127.0.0.1", str(port), "tester", "testpass"]
            subprocess.run(
                [BIN / "ixion", "-q", "-c", rc, *login, targets, result],
                check=True,
                timeout=120,
                capture_output=True,
            )
    results = read_nbe(result.read_bytes())
    assert {where(p.port) for p in results.open_ports} == {
        (web.port, "tcp"),
        (dns_server.port, "udp"),
        (agent.port, "udp"),
    }
    # The UDP ports are named for the service whose request they answered, whatever their
    # number, and the TCP port for the service detection found there.
    assert {p.port for p in results.open_ports} == {
        f"http ({web.port}/tcp)",
        f"domain ({dns_server.port}/udp)",
        f"snmp ({agent.port}/udp)",
    }
    notes = {where(f.port): f.text for f in results.findings if f.plugin_id == str(UDP_SCANNER)}
    assert set(notes) == {(dns_server.port, "udp"), (agent.port, "udp")}
    assert "A DNS server answers on this port (domain)" in notes[dns_server.port, "udp"]
    assert "An SNMP agent answers on this port (snmp)" in notes[agent.port, "udp"]
    assert len(quiet.received) == 2  # asked, asked again, never reported


def where(field: str) -> tuple[int, str]:
    """``(port, protocol)`` of an NBE port field, ``name (53/udp)``, whatever the name."""
    match = re.fullmatch(r"\S+ \((\d+)/(tcp|udp)\)", field)
    assert match, field
    return int(match[1]), match[2]
