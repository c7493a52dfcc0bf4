"""An authenticated check through ixiond: the feed's own scripts log in over SSH, list the
installed packages, and a Debian advisory check flags the one that is out of date.

The target is the lab's pretend Debian 12.5 host (:class:`tests.lab.DebianHostService`),
whose packages each test chooses. The client gives the SSH account as the preferences of
the feed's "SSH Authorization" script, as a user of any NTP client would (a password, or a
private key attached as a file with its passphrase); the rest is the
feed, unchanged: ``ssh_authorization_init.nasl`` puts the account in the KB,
``ssh_authorization.nasl`` logs in, ``gather-package-list.nasl`` runs its commands
(``ssh_request_exec``) and ``deb_5724.nasl`` (DSA-5724-1, CVE-2024-6387 "regreSSHion")
compares versions. Skipped without the feed snapshot, as ``test_feed_scan``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    PublicFormat,
)

from ixion.ntp import (
    AttachedFile,
    Message,
    Report,
    ReportKind,
)
from tests.lab import DebianHostService
from tests.lab._debian import PASSWORD, USER
from tests.server.test_daemon import free_port, running
from tests.server.test_feed_scan import FEED, SCANNER, attack, feed_daemon

if TYPE_CHECKING:
    from pathlib import Path

ADVISORY: Final = "deb_5724.nasl"
INVENTORY: Final = "gather-package-list.nasl"
#: The version DSA-5724-1 fixed, and the one before it.
FIXED: Final = "1:9.2p1-2+deb12u3"
VULNERABLE: Final = "1:9.2p1-2+deb12u2"
PASSPHRASE: Final = "lab key phrase"

pytestmark = pytest.mark.skipif(
    not (FEED / "ssh_func.inc").is_file(),
    reason=f"no NASL feed snapshot at {FEED} (set IXION_NASL_FEED; see bench/extract_feed.py)",
)


def scan(
    tmp_path: Path, openssh: str, key: Ed25519PrivateKey | None = None
) -> tuple[DebianHostService, list[Message], dict[str, int]]:
    """Scan the pretend host with ``openssh-server`` at version ``openssh``; with ``key``,
    the account logs in with that key (attached as a file), not a password."""
    config, ids = feed_daemon(tmp_path, (ADVISORY,))
    items = [
        ("plugin_set", ";".join(map(str, [SCANNER, ids[ADVISORY]]))),
        ("ntp_client_accepts_notes", "yes"),
        ("SSH Authorization[entry]:SSH login name:", USER),
    ]
    files = []
    if key is None:
        items.append(("SSH Authorization[password]:SSH password (unsafe!):", PASSWORD))
    else:
        items.append(("SSH Authorization[file]:SSH private key:", "/home/tester/id_ed25519"))
        items.append(("SSH Authorization[password]:SSH key passphrase:", PASSPHRASE))
        secret = key.private_bytes(
            Encoding.PEM, PrivateFormat.OpenSSH, BestAvailableEncryption(PASSPHRASE.encode())
        )
        files.append(AttachedFile(name="/home/tester/id_ed25519", data=secret))

    packages = {"openssh-server": openssh, "libc6": "2.36-9+deb12u4"}
    public = None
    if key is not None:
        public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    with DebianHostService(packages, public) as host:
        port = free_port()
        with running(config, port):
            ssh_port = [("port_range", str(host.port))]
            seen = asyncio.run(asyncio.wait_for(attack(port, ssh_port + items, files), 300))
    return host, seen, ids


def reports(seen: list[Message], plugin_id: int) -> str:
    return "\n".join(
        m.text for m in seen if isinstance(m, Report) and m.plugin_id == str(plugin_id)
    )


def test_an_outdated_package_is_found_by_its_advisory(tmp_path: Path) -> None:
    host, seen, ids = scan(tmp_path, VULNERABLE)
    # uname through an interactive shell with a terminal, the rest through exec.
    assert "uname -a" in host.commands
    assert "cat /etc/debian_version" in host.commands
    assert "dpkg --no-pager -l" in host.commands
    inventory = reports(seen, ids[INVENTORY])
    assert "Debian GNU/Linux 12.5" in inventory
    finding = reports(seen, ids[ADVISORY])
    assert "Vulnerable package: openssh-server" in finding
    assert f"Fixed version:      {FIXED}" in finding
    holes = [m for m in seen if isinstance(m, Report) and m.plugin_id == str(ids[ADVISORY])]
    assert holes
    assert {m.kind for m in holes} == {ReportKind.HOLE}


def test_the_fixed_version_is_not_flagged_and_a_key_logs_in(tmp_path: Path) -> None:
    # The usual way in: an encrypted OpenSSH key the client attaches, and its passphrase
    # (the lab refuses every password but its own, which this scan does not give).
    host, seen, ids = scan(tmp_path, FIXED, Ed25519PrivateKey.generate())
    assert "dpkg --no-pager -l" in host.commands  # logged in: the inventory did run
    assert "Debian GNU/Linux 12.5" in reports(seen, ids[INVENTORY])
    assert reports(seen, ids[ADVISORY]) == ""
