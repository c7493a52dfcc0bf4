"""ftp_writable against real vsftpd (writable, writable and deletable, read-only, no anonymous),
pyftpdlib naming a foreign address in its PASV replies, and the netlab."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.engine.events import Severity
from ixion.plugins.ftp_writable import passive_port
from tests.lab import LOOPBACK
from tests.netlab.fixture import NetLab

from .helpers import Outcome
from .lab_truth import false_alarms, missed
from .real_daemons import scan, vsftpd

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
