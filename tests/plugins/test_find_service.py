"""find_service: its rules and plans, and every lab service named, in clear or through TLS,
with its banner. Fakes of other protocols and misbehaving services: ``test_find_service_fakes``."""

from __future__ import annotations

import struct

import pytest

from ixion.engine.events import Severity
from ixion.plugins._service_probes import (
    AMBIGUOUS,
    DNS,
    GET,
    LDAP,
    LISTEN,
    MEMCACHED,
    POSTGRES,
    PROBES,
    RDP,
    REDIS,
    SMB,
    TLS,
    TLS_HINT,
    Probe,
    plan,
    recognise,
)
from tests.lab import Lab
from tests.lab import protocols as fake

from .find_service_kb import NOTE_ID, failure_of, name_of, note_of
from .helpers import Outcome

SERVICES = {
    "http": "www",
    "https": "www",
    "smtp": "smtp",
    "ftp": "ftp",
    "ssh": "ssh",
    "ftp_private": "ftp",
    "smtp_cleartext_auth": "smtp",
    "ftp_vague": "ftp",
    "smtp_vague": "smtp",
    "pop3": "pop3",
    "imap": "imap",
    "ssh_1_99": "ssh",
    "ssh_1_5": "ssh",
    "ssh_chatty": "ssh",
}


# --- the rules, without a network -------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "service"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "ssh"),
        (b"HTTP/1.1 400 Bad Request\r\n", "www"),
        (b"+OK Dovecot ready.\r\n", "pop3"),
        (b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "imap"),
        (b"220 (vsFTPd 3.0.5)\r\n", "ftp"),
        (b"220-Welcome\r\n220 ProFTPD Server\r\n", "ftp"),
        (b"220 mx.example.com ESMTP Postfix\r\n", "smtp"),
        (b"220 ftp.example.com Sendmail ready\r\n", AMBIGUOUS),
        (b"220 Welcome\r\n", AMBIGUOUS),
        (b"RFB 003.008\n", "vnc"),
        (fake.MYSQL_GREETING, "mysql"),
        (fake.MYSQL_REFUSED, "mysql"),
        (b"-DENIED Redis is running in protected mode\r\n", "redis"),
        (b"\x15\x03\x01\x00\x02\x02\x28", TLS_HINT),  # a TLS alert
        (b"hello\r\n", None),
        (b"\x00\x01\x02\x03garbage", None),
        (b"", None),
    ],
)
def test_greetings(answer: bytes, service: str | None) -> None:
    assert recognise(answer, LISTEN) == service


RDP_CONFIRM = bytes.fromhex("03 00 00 13 0e d0 00 00 12 34 00 02 00 08 00 01 00 00 00")


def as_reply(request: bytes | None, offset: int, flag: int) -> bytes:
    """``request`` with the bit that marks a reply set."""
    reply = bytearray(request or b"")
    reply[offset] |= flag
    return bytes(reply)


NGINX_400 = (
    b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n<html><head><title>400 The plain HTTP "
    b"request was sent to HTTPS port</title></head></html>"
)


@pytest.mark.parametrize(
    ("probe", "answer", "service"),
    [
        (GET, NGINX_400, TLS_HINT),
        (GET, b"HTTP/1.1 400 Bad Request\r\nServer: Apache/2.4 OpenSSL/3.0\r\n\r\n", "www"),
        (GET, b"-ERR wrong number of arguments for 'get' command\r\n", "redis"),
        (GET, b"-NOAUTH Authentication required.\r\n", "redis"),
        (GET, b"-ERR this is POP3 talking\r\n", None),
        (REDIS, b"+PONG\r\n", "redis"),
        (REDIS, b"ERROR\r\n", None),
        (MEMCACHED, b"VERSION 1.6.18\r\n", "memcached"),
        (MEMCACHED, b"version\r\n", None),  # an echo
        (POSTGRES, b"R\0\0\0\x08\0\0\0\0", "postgresql"),
        (POSTGRES, b"R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0", "postgresql"),
        (POSTGRES, b"E\0\0\0\x1bSFATAL\0VFATAL\0C28000\0M\0\0", "postgresql"),
        (POSTGRES, POSTGRES.payload, None),
        (LDAP, bytes.fromhex("30 0c 02 01 01 61 07 0a 01 00 04 00 04 00"), "ldap"),
        (LDAP, bytes.fromhex("30 84 00 00 00 10 02 01 01 61 84 00 00 00 07 0a 01 00"), "ldap"),
        (LDAP, LDAP.payload, None),
        (RDP, RDP_CONFIRM, "ms-wbt-server"),
        (RDP, RDP.payload, None),
        (SMB, as_reply(SMB.payload, 20, 0x01), "cifs"),  # SMB2 flag SERVER_TO_REDIR
        (SMB, SMB.payload, None),  # a request, not a reply
        (SMB, b"\x83\x00\x00\x01\x82", "smb"),
        (DNS, as_reply(DNS.payload, 4, 0x80), "domain"),  # QR: a response
        (DNS, DNS.payload, None),
    ],
)
def test_answers_to_probes(probe: Probe, answer: bytes | None, service: str | None) -> None:
    assert recognise(answer or b"", probe) == service


def test_the_probes_frame_their_messages_as_their_protocols_say() -> None:
    postgres = POSTGRES.payload or b""
    assert struct.unpack(">II", postgres[:8]) == (len(postgres), 196608)
    ldap = LDAP.payload or b""
    assert (ldap[1], ldap[6]) == (len(ldap) - 2, len(ldap) - 7)
    rdp = RDP.payload or b""
    assert (int.from_bytes(rdp[2:4], "big"), rdp[4]) == (len(rdp), len(rdp) - 5)
    smb = SMB.payload or b""
    assert (int.from_bytes(smb[1:4], "big"), smb[4:8]) == (len(smb) - 4, b"\xfeSMB")
    dns = DNS.payload or b""
    assert int.from_bytes(dns[:2], "big") == len(dns) - 2


@pytest.mark.parametrize(
    ("port", "tls", "first"),
    [
        (443, False, [TLS, GET]),
        (443, True, [GET]),
        (6379, False, [REDIS]),
        (11211, False, [MEMCACHED]),
        (5432, False, [POSTGRES]),
        (636, False, [TLS, LDAP]),
        (3389, False, [RDP]),
        (445, False, [SMB]),
        (53, False, [DNS]),
        (80, False, [GET]),
        (22, False, [LISTEN]),
        (993, True, [LISTEN]),
        (40000, False, [LISTEN]),
    ],
)
def test_a_port_starts_with_its_usual_service(port: int, tls: bool, first: list[Probe]) -> None:
    steps = plan(port, tls=tls)
    assert steps[: len(first)] == first
    # Every probe once, TLS never inside TLS, and listening only where no probe comes first.
    expected = {probe for probe in PROBES if not (tls and probe is TLS)}
    assert set(steps) - {LISTEN} == expected
    assert len(steps) == len(set(steps))
    assert (LISTEN in steps) == (steps[0] is LISTEN)


# --- the lab every plugin test scans ---------------------------------------------------------


@pytest.mark.parametrize(("name", "service"), SERVICES.items())
def test_each_lab_service_is_identified(scan: Outcome, lab: Lab, name: str, service: str) -> None:
    port = lab.ports[name]
    assert port in scan.values(f"Services/{service}")
    assert scan.get(f"Known/tcp/{port}") == service
    nmap = {"www": "http"}.get(service, service)
    assert name_of(scan, port) == ("ssl/" if name == "https" else "") + nmap
    [note] = scan.findings(port=port, plugin_id=NOTE_ID)
    assert note.severity is Severity.NOTE
    assert "is running on this port" in note.text


def test_services_keys_hold_nothing_else(scan: Outcome, lab: Lab) -> None:
    named = {
        key: sorted(int(v) for v in scan.values(key)) for key, _ in scan.kb.matching("Services/*")
    }
    expected: dict[str, list[int]] = {
        "Services/unknown": sorted([lab.ports["unknown"], lab.ports["silent"]])
    }
    for name, service in SERVICES.items():
        expected.setdefault(f"Services/{service}", []).append(lab.ports[name])
    assert named == {key: sorted(ports) for key, ports in expected.items()}


def test_tls_is_detected_and_its_version_recorded(scan: Outcome, lab: Lab) -> None:
    https = lab.ports["https"]
    assert scan.get(f"Transports/TCP/{https}") == 8  # TLSv1.3, OpenVAS's ENCAPS_TLSv13
    assert note_of(scan, https).startswith("A web server is running on this port through TLSv1.3.")
    for name in ("http", "ftp", "smtp", "ssh", "pop3"):
        assert scan.get(f"Transports/TCP/{lab.ports[name]}") == 1


def test_banners_go_to_the_kb(scan: Outcome, lab: Lab) -> None:
    assert scan.get(f"ftp/banner/{lab.ports['ftp']}") == "220 pyftpdlib 2.2.0 ready."
    assert scan.get(f"smtp/banner/{lab.ports['smtp']}") == "220 lab.ixion.test Python SMTP 1.4.6"
    assert str(scan.get(f"SSH/banner/{lab.ports['ssh']}")).startswith("SSH-2.0-AsyncSSH_")
    assert scan.get(f"pop3/banner/{lab.ports['pop3']}") == "+OK ixion lab POP3 ready"
    head = str(scan.get(f"www/banner/{lab.ports['https']}"))
    assert head.startswith("HTTP/1.0 200 OK\r\n")
    assert "\r\nServer: SimpleHTTP/" in head
    raw = scan.get(f"FindService/tcp/{lab.ports['unknown']}/spontaneous")
    assert raw == "\x00\x01ixion-lab\x1b[31m binary\r\n"


def test_the_ssh_banner_is_the_identification_line_alone(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["ssh_chatty"]
    assert scan.get(f"SSH/banner/{port}") == "SSH-2.0-Chatty_1.0"
    assert note_of(scan, port).endswith("Its banner:\n\nSSH-2.0-Chatty_1.0\n")
    assert scan.get(f"SSH/software/{port}") == "Chatty_1.0"


def test_the_ftp_banner_is_quoted_in_the_note(scan: Outcome, lab: Lab) -> None:
    assert (
        note_of(scan, lab.ports["ftp"])
        == "An FTP server is running on this port.\nIts banner:\n\n220 pyftpdlib 2.2.0 ready.\n"
    )


def test_an_unknown_service_is_noted_with_the_printable_part_of_its_banner(
    scan: Outcome, lab: Lab
) -> None:
    port = lab.ports["unknown"]
    assert f"Known/tcp/{port}" not in scan.kb
    assert name_of(scan, port) is None
    assert failure_of(scan, port) == "null: 25 bytes, not recognised"
    # Control characters (NUL, ESC) never reach a report.
    assert (
        note_of(scan, port)
        == "An unknown service is running on this port. It sent:\n\n..ixion-lab.[31m binary\n"
    )


def test_a_silent_service_is_unknown_and_not_reported(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["silent"]
    assert port in scan.values("Services/unknown")
    assert scan.findings(port=port) == []
    assert scan.get(f"Transports/TCP/{port}") == 1  # its TLS handshake failed
    # Every probe was tried, and each step says how it ended.
    failure = failure_of(scan, port)
    assert failure.startswith("null: silent for 0.5 s; get_http: no answer; ssl/null: ")
    assert failure.endswith("; dns: no answer")


def test_a_closed_port_is_not_probed(scan: Outcome, closed_port: int) -> None:
    assert not [key for key, _ in scan.kb.matching(f"*/{closed_port}")]
