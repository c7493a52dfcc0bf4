"""find_service: every lab service named, in clear or through TLS, with its banner."""

from __future__ import annotations

import pytest

from ixion.engine.events import Severity
from ixion.plugins.find_service import classify
from tests.lab import Lab

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
        (b"220 ftp.example.com Sendmail ready\r\n", "ftp-or-smtp"),
        (b"220 Welcome\r\n", "ftp-or-smtp"),
        (b"\x16\x03\x01\x00\x02\x02\x28", None),
        (b"hello\r\n", None),
        (b"", None),
    ],
)
def test_classify(answer: bytes, service: str | None) -> None:
    assert classify(answer) == service


@pytest.mark.parametrize(("name", "service"), SERVICES.items())
def test_each_lab_service_is_identified(scan: Outcome, lab: Lab, name: str, service: str) -> None:
    port = lab.ports[name]
    assert port in scan.values(f"Services/{service}")
    assert scan.get(f"Known/tcp/{port}") == service
    [note] = scan.findings(port=port, plugin_id=90000010)
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
    [note] = scan.texts(port=https, plugin_id=90000010)
    assert note.startswith("A web server is running on this port through TLSv1.3.")
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
    [note] = scan.texts(port=port, plugin_id=90000010)
    assert note.endswith("Its banner:\n\nSSH-2.0-Chatty_1.0\n")
    assert scan.get(f"SSH/software/{port}") == "Chatty_1.0"


def test_the_ftp_banner_is_quoted_in_the_note(scan: Outcome, lab: Lab) -> None:
    [note] = scan.texts(port=lab.ports["ftp"], plugin_id=90000010)
    assert (
        note
        == "An FTP server is running on this port.\nIts banner:\n\n220 pyftpdlib 2.2.0 ready.\n"
    )


def test_an_unknown_service_is_noted_with_the_printable_part_of_its_banner(
    scan: Outcome, lab: Lab
) -> None:
    port = lab.ports["unknown"]
    assert f"Known/tcp/{port}" not in scan.kb
    [note] = scan.texts(port=port, plugin_id=90000010)
    # Control characters (NUL, ESC) never reach a report.
    assert (
        note == "An unknown service is running on this port. It sent:\n\n..ixion-lab.[31m binary\n"
    )


def test_a_silent_service_is_unknown_and_not_reported(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["silent"]
    assert port in scan.values("Services/unknown")
    assert scan.findings(port=port) == []
    assert scan.get(f"Transports/TCP/{port}") == 1  # its TLS handshake failed


def test_a_closed_port_is_not_probed(scan: Outcome, closed_port: int) -> None:
    assert not [key for key, _ in scan.kb.matching(f"*/{closed_port}")]
