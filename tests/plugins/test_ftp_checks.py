"""ftp_writable against real vsftpd (writable, writable and deletable, read-only, no anonymous),
pyftpdlib naming a foreign address in its PASV replies, and the netlab; ftp_cleartext against
the netlab, real vsftpd offering TLS (required or not) and scripted servers, broken ones too."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import struct
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugins.ftp_writable import passive_port
from tests.lab import LOOPBACK, ScriptedService, scripted
from tests.netlab.fixture import NetLab

from .helpers import Outcome
from .lab_truth import false_alarms, missed
from .real_daemons import Running, free_ports, make_pki, running, scan, scratch, vsftpd

FTP_ANONYMOUS, FTP_WRITABLE = 90000022, 90000035
FTP_PLUGINS = ("tcp_scanner", "find_service", "ftp_anonymous", "ftp_writable")
#: An address of the lab range where nothing lives: what the fake server's PASV names.
ELSEWHERE = "198.18.0.254"

# pyftpdlib warns on import under Python 3.11 (asyncore, asynchat); see tests/lab/_ftp.py.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The asyn(core|chat) module", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer  # type: ignore[import-untyped]
    from pyftpdlib.handlers import FTPHandler  # type: ignore[import-untyped]
    from pyftpdlib.servers import ThreadedFTPServer  # type: ignore[import-untyped]


def _upload_dir(directory: Path) -> list[Path]:
    return sorted((directory / "anon" / "upload").iterdir())


def test_an_upload_that_cannot_be_deleted_is_named() -> None:
    # The netlab's weak vsftpd: anonymous uploads allowed, deleting them not.
    with vsftpd(anonymous=True, writable=True) as ftp:
        outcome = scan(ftp.ports.values(), FTP_PLUGINS)
        [left] = _upload_dir(ftp.directory)
        assert left.read_text().startswith("ixion write test ")
    port = ftp.ports["ftp"]
    [finding] = outcome.findings(port=port, plugin_id=FTP_WRITABLE)
    assert finding.severity is Severity.HOLE
    assert (finding.qod, finding.qod_type) == (99, "remote_vul")
    assert finding.text.startswith(
        "Anonymous users can write to this FTP server: logged in as 'anonymous', ixion was "
        "able to upload a file to this place and read it back:\n\n"
        f"  /upload/{left.name}  (could NOT be deleted (reply 550): please remove it)\n\n"
        "The directory /upload is writable by anyone."
    )
    assert "\n\nSolution: disable anonymous uploads" in finding.text
    assert outcome.get(f"ftp/{port}/writable") == 1


def test_an_upload_that_can_be_deleted_leaves_nothing() -> None:
    with vsftpd(anonymous=True, writable=True, delete=True) as ftp:
        outcome = scan(ftp.ports.values(), FTP_PLUGINS)
        assert _upload_dir(ftp.directory) == []
    [text] = outcome.texts(plugin_id=FTP_WRITABLE, severity=Severity.HOLE)
    assert "/upload/ixion-ftp-test-" in text
    assert ".txt  (deleted again)\n" in text


def test_read_only_anonymous_ftp_is_not_writable() -> None:
    with vsftpd(anonymous=True) as ftp:
        outcome = scan(ftp.ports.values(), FTP_PLUGINS)
    port = ftp.ports["ftp"]
    assert outcome.findings(port=port, plugin_id=FTP_ANONYMOUS) != []  # it did log in
    assert outcome.findings(plugin_id=FTP_WRITABLE) == []
    assert outcome.get(f"ftp/{port}/writable") is None


def test_no_anonymous_login_no_write_attempt() -> None:
    with vsftpd(anonymous=False) as ftp:
        outcome = scan(ftp.ports.values(), FTP_PLUGINS)
    assert outcome.skipped == {"ftp_writable": "required KB item ftp/anonymous is missing"}


def test_the_upload_can_be_turned_off() -> None:
    off = {"Anonymous FTP: writable directories[checkbox]:Upload a test file": "no"}
    with vsftpd(anonymous=True, writable=True, delete=True) as ftp:
        outcome = scan(ftp.ports.values(), FTP_PLUGINS, preferences=off)
    assert outcome.findings(plugin_id=FTP_WRITABLE) == []
    assert outcome.findings(plugin_id=FTP_ANONYMOUS) != []


# --- passive mode goes to the scanned host, whatever the server says ---------------------------


class _NoEpsv(FTPHandler):  # type: ignore[misc]
    """Refuses EPSV, so that PASV (and its address) is used."""

    def ftp_EPSV(self, line: str) -> None:
        self.respond("502 EPSV not implemented here.")


@pytest.fixture
def pasv_elsewhere(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """pyftpdlib, anonymous and writable in ``incoming``, whose 227 names another address."""
    (tmp_path / "incoming").mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(str(tmp_path), perm="elr")
    with warnings.catch_warnings():  # "write permissions assigned to anonymous user": yes
        warnings.simplefilter("ignore", RuntimeWarning)
        authorizer.override_perm("anonymous", str(tmp_path / "incoming"), perm="elradfmw")

    class Handler(_NoEpsv):
        pass

    Handler.authorizer = authorizer
    Handler.masquerade_address = ELSEWHERE
    server = ThreadedFTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.1})
    thread.start()
    try:
        yield server.address[1], tmp_path
    finally:
        server.close_all()
        thread.join()


def test_pasv_addresses_are_ignored(pasv_elsewhere: tuple[int, Path]) -> None:
    port, root = pasv_elsewhere
    outcome = scan([port], FTP_PLUGINS)
    [text] = outcome.texts(plugin_id=FTP_WRITABLE, severity=Severity.HOLE)
    # The data connections went to 127.0.0.1, the port the 227 reply gave.
    assert "  /incoming/ixion-ftp-test-" in text
    assert ".txt  (deleted again)\n" in text
    assert list((root / "incoming").iterdir()) == []


@pytest.mark.parametrize(
    ("reply", "port"),
    [
        ("229 Entering Extended Passive Mode (|||50000|)", 50000),
        ("229 Entering Extended Passive Mode (!!!2121!)", 2121),
        ("227 Entering Passive Mode (10,9,8,7,195,80).", 50000),  # 10.9.8.7 is ignored
        ("227 =192,0,2,1,0,21", 21),
        ("227 Entering Passive Mode (1,2,3,4,0,0)", None),
        ("229 Entering Extended Passive Mode (|||99999|)", None),
        ("229 Entering Extended Passive Mode (|1|10.0.0.1|21|)", None),
        ("500 EPSV not understood", None),
    ],
)
def test_passive_port(reply: str, port: int | None) -> None:
    assert passive_port(reply) == port


# --- the netlab --------------------------------------------------------------------------------


def test_netlab_ftp_as_the_ground_truth_says(netlab: NetLab) -> None:
    weak = scan([21], FTP_PLUGINS, host=netlab.weak, address=netlab.weak)
    assert missed(weak, netlab.host_truth("weak"), ["ftp-writable"], [FTP_WRITABLE]) == []
    assert false_alarms(weak, netlab.host_truth("weak"), [FTP_WRITABLE]) == []
    hardened: Outcome = scan([21], FTP_PLUGINS, host=netlab.hardened, address=netlab.hardened)
    assert hardened.findings(plugin_id=FTP_WRITABLE) == []
    assert "ftp_writable" in hardened.skipped  # no anonymous login there


# --- ftp_cleartext -----------------------------------------------------------------------------

FTP_CLEARTEXT = 90000036
CLEARTEXT_PLUGINS = ("tcp_scanner", "find_service", "ftp_cleartext")
CLEARTEXT_LOG = "ixion.plugin.ftp_cleartext.py"
#: The user name the check makes up: "ixion" and 12 random hex digits.
MADE_UP_USER = re.compile(r"USER ixion[0-9a-f]{12}")


def test_netlab_ftp_cleartext_as_the_ground_truth_says(netlab: NetLab) -> None:
    truth = netlab.host_truth("weak")
    weak = scan([21], CLEARTEXT_PLUGINS, host=netlab.weak, address=netlab.weak)
    assert missed(weak, truth, ["ftp-cleartext"], [FTP_CLEARTEXT]) == []
    assert false_alarms(weak, truth, [FTP_CLEARTEXT]) == []
    [finding] = weak.findings(port=21, plugin_id=FTP_CLEARTEXT)
    assert finding.severity is Severity.WARNING
    assert (finding.qod, finding.qod_type) == (95, "remote_active")
    assert finding.text.startswith("FTP logins on this server are unencrypted")
    assert "  AUTH TLS\n    530 Please login with USER and PASS.\n" in finding.text
    # The text is about this weakness alone: no other regex of the truth claims it.
    claimed = {c.id for c in truth.weaknesses if c.matches("tcp/21", finding.text, None)}
    assert claimed == {"ftp-cleartext"}
    assert weak.get("ftp/21/cleartext_login") == 1
    assert weak.get("ftp/21/auth_tls") is None
    # The hardened vsftpd requires TLS before USER ("530 Non-anonymous sessions must use
    # encryption."): it offers AUTH TLS, and nothing is reported.
    hardened = scan([21], CLEARTEXT_PLUGINS, host=netlab.hardened, address=netlab.hardened)
    assert hardened.findings(plugin_id=FTP_CLEARTEXT) == []
    assert hardened.get("ftp/21/auth_tls") == 1
    assert hardened.get("ftp/21/cleartext_login") is None


@contextlib.contextmanager
def tls_vsftpd(*, required: bool) -> Iterator[Running]:
    """vsftpd for local users, offering AUTH TLS; ``required``: for every login and transfer.
    It logs the whole conversation (``log_ftp_protocol``), so a test sees what was sent."""
    directory = scratch("vsftpd-tls")
    (directory / "empty").mkdir(mode=0o755)
    pki = make_pki(directory, ("ftp.ixion.test",))
    (port,) = free_ports(1)
    lines = [
        "listen=YES",
        "listen_ipv6=NO",
        f"listen_address={LOOPBACK}",
        f"listen_port={port}",
        "background=NO",
        "seccomp_sandbox=NO",
        f"secure_chroot_dir={directory / 'empty'}",
        "ftpd_banner=ixion test FTP",
        "connect_from_port_20=NO",
        "anonymous_enable=NO",
        "local_enable=YES",
        "write_enable=NO",
        "pam_service_name=vsftpd",
        "xferlog_enable=YES",
        "xferlog_std_format=NO",
        "log_ftp_protocol=YES",
        f"vsftpd_log_file={directory / 'vsftpd.log'}",
        "ssl_enable=YES",
        f"rsa_cert_file={pki.signed[0]}",
        f"rsa_private_key_file={pki.signed[1]}",
        "ssl_ciphers=ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL",
        f"force_local_logins_ssl={'YES' if required else 'NO'}",
        f"force_local_data_ssl={'YES' if required else 'NO'}",
    ]
    conf = directory / "vsftpd.conf"
    conf.write_text("\n".join(lines) + "\n")
    conf.chmod(0o600)
    with running("vsftpd", ["/usr/sbin/vsftpd", str(conf)], {"ftp": port}, directory) as daemon:
        yield daemon


def test_a_server_requiring_tls_before_user_is_not_flagged() -> None:
    with tls_vsftpd(required=True) as ftp:
        outcome = scan(ftp.ports.values(), CLEARTEXT_PLUGINS)
        heard = (ftp.directory / "vsftpd.log").read_text(errors="replace")
    port = ftp.ports["ftp"]
    assert outcome.findings(plugin_id=FTP_CLEARTEXT) == []
    assert outcome.get(f"ftp/{port}/auth_tls") == 1
    # The check did ask, with a made-up user, and got vsftpd's refusal.
    assert MADE_UP_USER.search(heard), heard
    assert "530 Non-anonymous sessions must use encryption." in heard


def test_a_server_offering_tls_without_requiring_it_is_flagged() -> None:
    with tls_vsftpd(required=False) as ftp:
        outcome = scan(ftp.ports.values(), CLEARTEXT_PLUGINS)
        heard = (ftp.directory / "vsftpd.log").read_text(errors="replace")
    port = ftp.ports["ftp"]
    [finding] = outcome.findings(port=port, plugin_id=FTP_CLEARTEXT)
    assert finding.severity is Severity.WARNING
    assert finding.text.startswith(
        "FTP logins on this server can be made without encryption: it offers TLS"
    )
    assert "331 Please specify the password." in finding.text
    assert "no password was sent" in finding.text
    assert outcome.get(f"ftp/{port}/auth_tls") == 1
    assert outcome.get(f"ftp/{port}/cleartext_login") == 1
    # vsftpd heard a made-up user, then QUIT, and never a password.
    assert MADE_UP_USER.search(heard), heard
    assert '"QUIT"' in heard
    assert '"PASS' not in heard


# --- fakes: what a vsftpd does not do ----------------------------------------------------------


@dataclass
class FakeFtp:
    """A scripted FTP server: a reply per command or verb, recording each connection's
    commands (``sessions``, in the order the connections came)."""

    replies: dict[str, bytes]
    #: Commands after whose reply the server hangs up (AUTH accepted: a TLS handshake is due).
    hang_up_after: tuple[str, ...] = ()
    sessions: list[list[str]] = field(default_factory=list)

    @property
    def heard(self) -> list[str]:
        return [command for session in self.sessions for command in session]

    def __call__(self, sock: socket.socket) -> None:
        session: list[str] = []
        self.sessions.append(session)
        sock.sendall(b"220 fake FTP ready\r\n")
        for line in scripted.read_lines(sock):
            command = line.decode("latin-1")
            session.append(command)
            verb = command.split(" ", 1)[0].upper()
            if verb == "QUIT":
                sock.sendall(b"221 Bye.\r\n")
                return
            key = command.upper() if command.upper() in self.replies else verb
            sock.sendall(self.replies.get(key, b"502 Command not implemented.\r\n"))
            if key in self.hang_up_after:
                return


FEATURES_WITH_TLS = b"211-Features:\r\n PASV\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n"


def _scan_fake(fake: FakeFtp) -> tuple[Outcome, int]:
    with ScriptedService(fake) as service:
        outcome = scan([service.port], CLEARTEXT_PLUGINS)
    return outcome, service.port


def test_a_fake_offering_auth_tls_and_refusing_user_before_it_is_not_flagged() -> None:
    fake = FakeFtp({"FEAT": FEATURES_WITH_TLS, "USER": b"534 Policy requires TLS first.\r\n"})
    outcome, port = _scan_fake(fake)
    assert outcome.get("Services/ftp") == port  # find_service named it: the check ran
    assert outcome.findings(plugin_id=FTP_CLEARTEXT) == []
    assert outcome.get(f"ftp/{port}/auth_tls") == 1
    # The check's one session (after the port scan's and detection's silent connections):
    # FEAT, a made-up USER, QUIT; no AUTH needed, no password.
    feat, user, goodbye = fake.sessions[-1]
    assert (feat, goodbye) == ("FEAT", "QUIT")
    assert MADE_UP_USER.fullmatch(user)
    assert not [command for command in fake.heard if command.upper().startswith("PASS")]


@pytest.mark.parametrize(
    ("user_reply", "flagged"), [(b"331 Password?\r\n", True), (b"530 TLS first.\r\n", False)]
)
def test_auth_tls_accepted_though_not_listed_is_asked_about_user_again(
    user_reply: bytes, flagged: bool
) -> None:
    # FEAT unknown; AUTH TLS answered 234, after which the server expects a handshake: the
    # check drops that connection and asks USER on a new one.
    replies = {"FEAT": b"500 Unknown.\r\n", "AUTH TLS": b"234 Proceed.\r\n", "USER": user_reply}
    fake = FakeFtp(replies, hang_up_after=("AUTH TLS",))
    outcome, port = _scan_fake(fake)
    assert outcome.get(f"ftp/{port}/auth_tls") == 1
    texts = outcome.texts(port=port, plugin_id=FTP_CLEARTEXT)
    assert len(texts) == int(flagged)
    if flagged:
        assert "  AUTH TLS\n    234 Proceed.\n" in texts[0]
        assert "  USER ixion" in texts[0]
    assert "AUTH SSL" not in fake.heard


def test_auth_refused_with_502_and_504_is_flagged() -> None:
    fake = FakeFtp({"AUTH TLS": b"504 Unknown mechanism.\r\n", "AUTH SSL": b"502 No.\r\n"})
    outcome, port = _scan_fake(fake)
    [text] = outcome.texts(port=port, plugin_id=FTP_CLEARTEXT)
    assert text.startswith("FTP logins on this server are unencrypted")
    assert not [command for command in fake.heard if command.upper().startswith(("USER", "PASS"))]


def _garbage_after_greeting(sock: socket.socket) -> None:
    sock.sendall(b"220 fake FTP ready\r\n")
    for _ in scripted.read_lines(sock):
        sock.sendall(b"\x8f\x00\xfe garbage \x1b[31m\r\n")


def _reset_after_greeting(sock: socket.socket) -> None:
    sock.sendall(b"220 fake FTP ready\r\n")
    sock.recv(4096)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize(
    ("script", "logged"),
    [
        (scripted.greet(b"\x00\x01\xff not FTP at all\r\n"), "no 220 greeting"),
        (_garbage_after_greeting, "TLS UNCLEAR"),
        (_reset_after_greeting, "ConnectionResetError"),
        (scripted.reset_after_connect, "ConnectionResetError"),
    ],
    ids=["garbage greeting", "garbage replies", "reset after greeting", "reset on connect"],
)
def test_a_broken_server_ends_the_check_quietly(
    script: scripted.Script, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=CLEARTEXT_LOG)
    with ScriptedService(script) as service:
        # Service detection would not call these FTP: tell the check they are.
        kb = KnowledgeBase()
        kb.add("Services/ftp", service.port)
        outcome = scan([service.port], ["ftp_cleartext"], kb=kb)
    assert outcome.skipped == {}
    assert outcome.findings(plugin_id=FTP_CLEARTEXT) == []
    assert any(
        message.startswith(f"port {service.port}: ") and logged in message
        for message in caplog.messages
    ), caplog.messages
