"""The lab every plugin test scans, started once per session, and one full scan of it.

Safety: the tests connect only to 127.0.0.1, and only to ports the lab's services listen on
or ports :func:`~tests.lab.reserved_closed_ports` holds bound; every port range a test scans
is made of those alone, never a span that could include another program's port. Tests that
use the ``netlab`` fixture scan its hosts too, in their own network namespaces in 198.18.0.0/24.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lab import (
    BannerService,
    FtpService,
    HttpService,
    HttpsService,
    Lab,
    SmtpService,
    SshService,
    reserved_closed_ports,
)

# The real-daemon lab the TLS, HTTP and FTP checks are measured against.
from tests.netlab.fixture import netlab  # noqa: F401

from .helpers import Outcome, run_plugins


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    services = {
        "http": HttpService(),
        "https": HttpsService(),
        "smtp": SmtpService(),
        "ftp": FtpService(),
        "ssh": SshService(),
        # Services that warrant no finding, or a different one.
        "ftp_private": FtpService(anonymous=False),
        "smtp_cleartext_auth": SmtpService(cleartext_auth=True),
        # 220 greetings whose words say neither FTP nor SMTP: find_service must ask.
        "ftp_vague": FtpService(banner="Welcome"),
        "smtp_vague": SmtpService(ident="Welcome"),
        # Protocols with no real server in the lab: their greeting is all find_service reads.
        "pop3": BannerService(b"+OK ixion lab POP3 ready\r\n"),
        "imap": BannerService(b"* OK [CAPABILITY IMAP4rev1] ixion lab IMAP ready\r\n"),
        "ssh_1_99": BannerService(b"SSH-1.99-OpenSSH_3.9p1\r\n"),
        "ssh_1_5": BannerService(b"SSH-1.5-1.2.27\r\n"),
        # An SSH server that sends its binary KEXINIT right after its identification.
        "ssh_chatty": BannerService(b"SSH-2.0-Chatty_1.0\r\n\x00\x00\x01\x0c\x0a\x14kex"),
        "unknown": BannerService(b"\x00\x01ixion-lab\x1b[31m binary\r\n"),
        "silent": BannerService(b""),
    }
    with Lab(services) as started:
        yield started


@pytest.fixture(scope="session")
def closed_port() -> Iterator[int]:
    with reserved_closed_ports(1) as ports:
        yield ports[0]


@pytest.fixture(scope="session")
def scan(lab: Lab, closed_port: int) -> Outcome:
    """Every built-in plugin, in order, over the lab's ports and one closed port."""
    return run_plugins([*lab.ports.values(), closed_port], read_timeout=2)
