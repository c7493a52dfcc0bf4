"""The checks after find_service: each reports what the lab shows, and nothing more."""

from __future__ import annotations

import logging

import pytest

from ixion.engine.events import Severity
from ixion.plugins.http_version import server_header
from ixion.plugins.ssh_version import parse_banner
from tests.lab import FtpService, Lab

from .helpers import Outcome, run_plugins

HTTP_VERSION, SSH_VERSION, FTP_ANONYMOUS, SMTP_BANNER = 90000020, 90000021, 90000022, 90000023
QUIET = ("http", "ssh", "smtp", "ftp_private", "smtp_vague", "pop3", "imap")


@pytest.mark.parametrize("name", QUIET)
def test_services_without_problems_get_notes_only(scan: Outcome, lab: Lab, name: str) -> None:
    found = scan.findings(port=lab.ports[name])
    assert found
    assert {finding.severity for finding in found} == {Severity.NOTE}


def test_nothing_is_reported_for_the_host_as_a_whole(scan: Outcome) -> None:
    assert scan.findings(port=0) == []


# --- http_version ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["http", "https"])
def test_the_server_header_of_each_web_port_is_noted(scan: Outcome, lab: Lab, name: str) -> None:
    port = lab.ports[name]
    server = str(scan.get(f"www/{port}/server"))
    assert server.startswith("SimpleHTTP/0.6 Python/3.")
    [note] = scan.texts(port=port, plugin_id=HTTP_VERSION)
    assert note.startswith(f"The web server on this port identifies itself as:\n\n  {server}\n")
    assert "version numbers" in note


def test_server_header() -> None:
    head = b"HTTP/1.1 200 OK\r\nDate: x\r\nserver:  nginx/1.25.3 \r\n\r\n"
    assert server_header(head) == "nginx/1.25.3"
    assert server_header(b"HTTP/1.1 200 OK\r\nDate: x\r\n\r\nServer: body\r\n") is None
    assert server_header(b"SSH-2.0-x\r\nServer: no\r\n\r\n") is None
    assert server_header(b"HTTP/1.0 200 OK\nServer: a\x1b[2Jb\n\n") == "a.[2Jb"


# --- ssh_version -------------------------------------------------------------------------------


def test_ssh_2_is_noted_without_a_warning(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["ssh"]
    assert scan.get(f"SSH/protocol/{port}") == "2.0"
    assert str(scan.get(f"SSH/software/{port}")).startswith("AsyncSSH_")
    [note] = scan.findings(port=port, plugin_id=SSH_VERSION)
    assert note.severity is Severity.NOTE
    assert "protocol 2.0 and software AsyncSSH_" in note.text
    assert f"SSH/v1_supported/{port}" not in scan.kb


def test_ssh_1_99_is_a_warning(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["ssh_1_99"]
    [warning] = scan.findings(port=port, plugin_id=SSH_VERSION, severity=Severity.WARNING)
    assert "accepts protocol 1 as well as 2" in warning.text
    assert scan.findings(port=port, severity=Severity.HOLE) == []
    assert scan.get(f"SSH/v1_supported/{port}") == 1


def test_ssh_1_only_is_a_hole(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["ssh_1_5"]
    [hole] = scan.findings(port=port, plugin_id=SSH_VERSION, severity=Severity.HOLE)
    assert "only speaks protocol 1 (it announces 1.5)" in hole.text
    assert scan.findings(port=port, severity=Severity.WARNING) == []


def test_parse_banner() -> None:
    banner = parse_banner("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
    assert banner is not None
    assert (banner.protocol, banner.software, banner.comments) == (
        "2.0",
        "OpenSSH_9.6p1",
        "Ubuntu-3ubuntu13",
    )
    assert not banner.ssh1
    one_99 = parse_banner("SSH-1.99-Cisco-1.25")
    assert one_99 is not None
    assert one_99.ssh1
    assert not one_99.ssh1_only
    assert one_99.software == "Cisco-1.25"
    assert parse_banner("HTTP/1.0 200 OK") is None


# --- ftp_anonymous -----------------------------------------------------------------------------


def test_anonymous_ftp_is_a_warning(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["ftp"]
    [warning] = scan.findings(port=port, plugin_id=FTP_ANONYMOUS)
    assert warning.severity is Severity.WARNING
    assert warning.text.startswith("Anonymous FTP login is allowed on this server")
    assert "220 pyftpdlib 2.2.0 ready." in warning.text
    assert scan.get("ftp/anonymous") == 1
    assert scan.get(f"ftp/{port}/anonymous") == 1


def test_ftp_without_anonymous_login_gets_no_warning(scan: Outcome, lab: Lab) -> None:
    assert scan.findings(port=lab.ports["ftp_private"], plugin_id=FTP_ANONYMOUS) == []


def test_anonymous_ftp_is_found_behind_a_vague_greeting(scan: Outcome, lab: Lab) -> None:
    [warning] = scan.texts(port=lab.ports["ftp_vague"], plugin_id=FTP_ANONYMOUS)
    assert warning.endswith(
        "The server's greeting:\n\n220 Welcome\nQuality of detection: 99% (remote_vul)\n"
    )


def test_a_lone_private_ftp_server_leaves_no_trace(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ixion.plugin.ftp_anonymous.py")
    with FtpService(anonymous=False) as ftp:
        outcome = run_plugins([ftp.port])
    assert outcome.findings(severity=Severity.WARNING) == []
    assert "ftp/anonymous" not in outcome.kb
    assert outcome.findings(plugin_id=FTP_ANONYMOUS) == []
    # Silence for the right reason: the server said no (530), it did not time out.
    assert f"port {ftp.port}: anonymous login refused (reply 530)" in caplog.messages


def test_the_password_preference_cannot_smuggle_a_command() -> None:
    with FtpService() as ftp:
        outcome = run_plugins(
            [ftp.port],
            preferences={"Anonymous FTP enabled[entry]:Password": "\nx@y.z\r\nDELE README"},
        )
    [warning] = outcome.texts(plugin_id=FTP_ANONYMOUS)
    assert "the password 'x@y.z' was accepted" in warning


# --- smtp_banner -------------------------------------------------------------------------------


def test_smtp_banner_and_extensions_are_noted(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["smtp"]
    [note] = scan.findings(port=port, plugin_id=SMTP_BANNER)
    assert note.severity is Severity.NOTE
    assert note.text.startswith(
        "The SMTP server on this port greets with:\n\n220 lab.ixion.test Python SMTP 1.4.6\n"
    )
    assert "  8BITMIME\n" in note.text
    assert "8BITMIME" in scan.values(f"smtp/{port}/extensions")
    assert scan.get(f"smtp/banner/{port}") == "220 lab.ixion.test Python SMTP 1.4.6"


def test_cleartext_smtp_auth_is_a_warning(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["smtp_cleartext_auth"]
    [warning] = scan.findings(port=port, plugin_id=SMTP_BANNER, severity=Severity.WARNING)
    assert "(AUTH LOGIN PLAIN) on an unencrypted connection" in warning.text
    assert any(str(e).startswith("AUTH ") for e in scan.values(f"smtp/{port}/extensions"))
