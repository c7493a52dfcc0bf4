"""``ixion scan --plugins-dir FEED --credentials FILE``: the feed's own scripts, run by the
embedded engine, log in with the account a TOML file gives, inventory the packages of the
lab's pretend Debian 12.5 host and flag the outdated ``openssh-server`` (DSA-5724-1), as
they do through ixiond (``tests/server/test_feed_lsc.py``). Skipped without the feed
snapshot; the folder holds only the advisory's dependency closure and the feed's includes.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    PublicFormat,
)

from ixion.reports.nbe import read_nbe
from ixion.reports.results import Finding, Severity
from tests.app.helpers import run_ixion
from tests.lab import DebianHostService
from tests.lab._debian import USER
from tests.server.test_feed_lsc import ADVISORY, INVENTORY, PASSPHRASE, VULNERABLE
from tests.server.test_feed_scan import FEED, SCANNER, closure

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(
    not (FEED / "ssh_func.inc").is_file(),
    reason=f"no NASL feed snapshot at {FEED} (set IXION_NASL_FEED; see bench/extract_feed.py)",
)
#: The feed's own SSH reading waits ~30 s for silence after each command (see the README).
FEED_TIMEOUT = 400.0


def test_a_key_from_the_credentials_file_logs_in_and_the_advisory_flags_the_package(
    tmp_path: Path,
) -> None:
    scripts = closure((ADVISORY,))
    folder = tmp_path / "feed"
    folder.mkdir()
    for path in FEED.glob("*.inc"):
        shutil.copy(path, folder)
    for name, (path, _) in scripts.items():
        shutil.copy(path, folder / name)
    key = Ed25519PrivateKey.generate()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "lab_ed25519").write_bytes(
        key.private_bytes(
            Encoding.PEM, PrivateFormat.OpenSSH, BestAvailableEncryption(PASSPHRASE.encode())
        )
    )
    (tmp_path / "creds.toml").write_text(
        f'[ssh]\nuser = "{USER}"\nprivate_key = "keys/lab_ed25519"\npassphrase = "{PASSPHRASE}"\n'
    )
    public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    packages = {"openssh-server": VULNERABLE, "libc6": "2.36-9+deb12u4"}
    with DebianHostService(packages, public) as host:
        done = run_ixion(
            ["scan", "127.0.0.1", "-p", str(host.port), "--plugins-dir", str(folder),
             "--plugins", f"{SCANNER},{scripts[ADVISORY][1]}", "--credentials", "creds.toml",
             "--timeout", "120", "-o", "x.nbe", "--fail-on", "hole"],
            tmp_path,
            timeout=FEED_TIMEOUT,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "dpkg --no-pager -l" in host.commands  # logged in by the key: the inventory ran
    results = read_nbe((tmp_path / "x.nbe").read_bytes())
    by_plugin: dict[str | None, list[Finding]] = {}
    for finding in results.findings:
        by_plugin.setdefault(finding.plugin_id, []).append(finding)
    assert "Debian GNU/Linux 12.5" in " ".join(
        f.text for f in by_plugin[str(scripts[INVENTORY][1])]
    )
    holes = by_plugin[str(scripts[ADVISORY][1])]
    assert {f.severity for f in holes} == {Severity.HOLE}
    assert "Vulnerable package: openssh-server" in holes[0].text
    # The scripts' descriptions were cached under the user's cache directory.
    assert list((tmp_path / "ixion" / "nasl").glob("*.sqlite"))
