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
import shutil
from typing import TYPE_CHECKING, Final

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    PublicFormat,
)

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    AttachedFile,
    Bye,
    FileAccepted,
    LongAttack,
    Message,
    Preferences,
    PreferencesErrors,
    Report,
    ReportKind,
)
from tests.lab import DebianHostService
from tests.lab._debian import PASSWORD, USER
from tests.server.test_daemon import PATIENCE, add_user, free_port, running, write_config
from tests.server.test_feed_scan import FEED, SCANNER, closure

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
    scripts = closure((ADVISORY,))
    config = write_config(tmp_path, "auto_enable_dependencies = yes\nplugins_timeout = 60\n")
    add_user(config)
    folder = tmp_path / "state" / "plugins"
    folder.mkdir(parents=True)
    for path in FEED.glob("*.inc"):
        shutil.copy(path, folder)
    for name, (path, _) in scripts.items():
        shutil.copy(path, folder / name)
    ids = {name: plugin_id for name, (_, plugin_id) in scripts.items()}

    async def scenario(port: int, ssh_port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE * 4)
        await client.login("tester", "testpass")
        items = [
            ("port_range", str(ssh_port)),
            ("plugin_set", ";".join(map(str, [SCANNER, ids[ADVISORY]]))),
            ("ntp_client_accepts_notes", "yes"),
            ("SSH Authorization[entry]:SSH login name:", USER),
        ]
        if key is None:
            items.append(("SSH Authorization[password]:SSH password (unsafe!):", PASSWORD))
        else:
            items.append(("SSH Authorization[file]:SSH private key:", "/home/tester/id_ed25519"))
            items.append(("SSH Authorization[password]:SSH key passphrase:", PASSPHRASE))
        await client.send(Preferences(items=tuple(items)))
        assert isinstance(await client.receive(), PreferencesErrors)
        if key is not None:
            secret = key.private_bytes(
                Encoding.PEM, PrivateFormat.OpenSSH, BestAvailableEncryption(PASSPHRASE.encode())
            )
            await client.send(AttachedFile(name="/home/tester/id_ed25519", data=secret))
            assert isinstance(await client.receive(), FileAccepted)
        await client.send(LongAttack(targets="127.0.0.1"))
        seen: list[Message] = []
        while not isinstance(msg := await client.receive(), Bye):
            seen.append(msg)
        await client.close()
        return seen

    packages = {"openssh-server": openssh, "libc6": "2.36-9+deb12u4"}
    public = None
    if key is not None:
        public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    with DebianHostService(packages, public) as host:
        port = free_port()
        with running(config, port):
            seen = asyncio.run(asyncio.wait_for(scenario(port, host.port), 300))
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
