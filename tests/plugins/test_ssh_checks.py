"""ssh_auth and ssh_default_credentials against real OpenSSH servers, and asyncssh.

Each sshd runs on a 127.0.0.1 port this module picked, with its own host key and
configuration: weak (password logins, root allowed), hardened (public keys only, root not
allowed), and password logins with root *not* allowed, which must look exactly like the weak
one from outside (the claim ssh_auth makes about PermitRootLogin). ``AllowUsers`` names an
account that does not exist: no account of this machine can log in through them. Logins
that succeed are tried against asyncssh lab servers (a known account, and one that lets
anyone in).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import asyncssh
import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.qod import QodType
from ixion.plugins.ssh_default_credentials import parse_credentials
from tests.lab import DebianHostService, SshService
from tests.lab._debian import PASSWORD, USER

from .daemons import daemon, free_port, owned_dir, tcp_answers
from .helpers import Outcome, run_plugins

AUTH, CREDENTIALS = 90000042, 90000043
NOBODY = "ixion-test-nobody"
CREDENTIALS_PREFERENCE = "SSH login with default credentials[entry]:Credentials"


def _sshd(tmp: Path, *settings: str) -> Iterator[int]:
    key = tmp / "host_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    conf = tmp / "sshd_config"
    lines = [
        "ListenAddress 127.0.0.1",
        f"Port {port}",
        f"HostKey {key}",
        "PidFile none",
        f"AllowUsers {NOBODY}",
        "AuthorizedKeysFile none",
        "KbdInteractiveAuthentication no",
        "UsePAM yes",
        *settings,
    ]
    conf.write_text("\n".join(lines) + "\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    with daemon(
        ["/usr/sbin/sshd", "-D", "-e", "-f", conf], ready=tcp_answers(port), log=tmp / "log"
    ):
        yield port


@pytest.fixture(scope="module")
def sshd_weak() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _sshd(tmp, "PasswordAuthentication yes", "PermitRootLogin yes")


@pytest.fixture(scope="module")
def sshd_no_root() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _sshd(tmp, "PasswordAuthentication yes", "PermitRootLogin no")


@pytest.fixture(scope="module")
def sshd_hardened() -> Iterator[int]:
    with owned_dir() as tmp:
        yield from _sshd(
            tmp,
            "PasswordAuthentication no",
            "PermitRootLogin no",
            "AuthenticationMethods publickey",
        )


class _Open(asyncssh.SSHServer):
    """Lets anyone in without authentication (``none`` succeeds)."""

    def begin_auth(self, username: str) -> bool:
        return False


class OpenSshService(SshService):
    def _listen_options(self) -> dict[str, object]:
        return {"server_factory": _Open}


class _KeyboardOnly(asyncssh.SSHServer):
    """Only keyboard-interactive, one prompt that does not echo, one account."""

    def begin_auth(self, username: str) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return True

    def get_kbdint_challenge(
        self, username: str, lang: str, submethods: str
    ) -> tuple[str, str, str, list[tuple[str, bool]]]:
        return "", "", "", [("Password: ", False)]

    def validate_kbdint_response(self, username: str, responses: Sequence[str]) -> bool:
        return (username, list(responses)) == ("admin", ["admin"])


class KeyboardSshService(SshService):
    def _listen_options(self) -> dict[str, object]:
        return {"server_factory": _KeyboardOnly}


@pytest.fixture(scope="module")
def debian_host() -> Iterator[int]:
    with DebianHostService({}) as service:
        yield service.port


def _scan(port: int, plugin: str, preferences: dict[str, str] | None = None) -> Outcome:
    kb = KnowledgeBase()
    kb.add("Services/ssh", port)
    return run_plugins([port], [plugin], kb=kb, preferences=preferences, read_timeout=5)


# --- ssh_auth ------------------------------------------------------------------------------------


def test_password_authentication_is_a_warning(sshd_weak: int) -> None:
    outcome = _scan(sshd_weak, "ssh_auth")
    [note] = outcome.findings(plugin_id=AUTH, severity=Severity.NOTE)
    [warning] = outcome.findings(plugin_id=AUTH, severity=Severity.WARNING)
    assert "OpenSSH_" in note.text
    assert "to the user 'root':\n\n  publickey, password\n" in note.text
    assert "It lists the same for 'ixion-" in note.text
    assert "accepts password authentication (password among its methods" in warning.text
    assert "Solution: log in with keys only" in warning.text
    assert warning.qod_type == QodType.REMOTE_ACTIVE.value
    assert outcome.get(f"SSH/{sshd_weak}/auth_methods") == "publickey,password"


def test_permit_root_login_cannot_be_told_from_outside(sshd_weak: int, sshd_no_root: int) -> None:
    """OpenSSH answers the same for root whether it may log in or not: ssh_auth says so,
    and its findings for the two servers are the same apart from the names and ports."""
    weak, no_root = _scan(sshd_weak, "ssh_auth"), _scan(sshd_no_root, "ssh_auth")
    assert weak.get(f"SSH/{sshd_weak}/auth_methods") == "publickey,password"
    assert no_root.get(f"SSH/{sshd_no_root}/auth_methods") == "publickey,password"
    assert [f.severity for f in weak.findings()] == [f.severity for f in no_root.findings()]
    [note] = no_root.findings(severity=Severity.NOTE)
    assert "nor whether root may log in" in note.text


def test_public_keys_only_gets_a_note_and_no_warning(sshd_hardened: int) -> None:
    outcome = _scan(sshd_hardened, "ssh_auth")
    [note] = outcome.findings(plugin_id=AUTH)
    assert note.severity is Severity.NOTE
    assert "to the user 'root':\n\n  publickey\n" in note.text
    assert "password" not in note.text


def test_a_server_letting_anyone_in_is_a_hole() -> None:
    with OpenSshService() as service:
        outcome = _scan(service.port, "ssh_auth")
    [hole] = outcome.findings(plugin_id=AUTH)
    assert hole.severity is Severity.HOLE
    assert hole.qod_type == QodType.EXPLOIT.value
    assert "let the user 'root' in without any authentication" in hole.text


# --- ssh_default_credentials ---------------------------------------------------------------------


def test_no_password_is_tried_unless_the_scan_allows_it(debian_host: int) -> None:
    preferences = {CREDENTIALS_PREFERENCE: f"{USER}:{PASSWORD}"}
    outcome = _scan(debian_host, "ssh_default_credentials", preferences)
    assert outcome.findings() == []
    assert f"SSH/{debian_host}/default_credentials" not in outcome.kb


def test_a_default_password_that_works_is_a_hole(debian_host: int) -> None:
    preferences = {
        "default_credentials": "yes",
        CREDENTIALS_PREFERENCE: f"root:root; {USER}:wrong; {USER}:{PASSWORD}",
    }
    outcome = _scan(debian_host, "ssh_default_credentials", preferences)
    [hole] = outcome.findings(plugin_id=CREDENTIALS)
    assert hole.severity is Severity.HOLE
    assert hole.qod_type == QodType.EXPLOIT.value
    assert f"  {USER} / {PASSWORD}  (by password)" in hole.text
    assert "root / root" not in hole.text
    assert f"{USER} / wrong" not in hole.text


def test_keyboard_interactive_logins_are_tried_too() -> None:
    preferences = {"default_credentials": "yes", CREDENTIALS_PREFERENCE: "root:root;admin:admin"}
    with KeyboardSshService() as service:
        methods = _scan(service.port, "ssh_auth")
        outcome = _scan(service.port, "ssh_default_credentials", preferences)
    [warning] = methods.findings(severity=Severity.WARNING)
    assert "(keyboard-interactive among its methods" in warning.text
    [hole] = outcome.findings(plugin_id=CREDENTIALS)
    assert "  admin / admin  (by keyboard-interactive)" in hole.text
    assert "root / root" not in hole.text


def test_wrong_passwords_on_openssh_are_not_flagged(sshd_weak: int) -> None:
    preferences = {"default_credentials": "yes", CREDENTIALS_PREFERENCE: "root:root;admin:admin"}
    assert _scan(sshd_weak, "ssh_default_credentials", preferences).findings() == []


def test_a_server_without_password_logins_is_not_tried(sshd_hardened: int) -> None:
    preferences = {"default_credentials": "yes", CREDENTIALS_PREFERENCE: "root:root;admin:admin"}
    assert _scan(sshd_hardened, "ssh_default_credentials", preferences).findings() == []


def test_credentials_are_user_colon_password_pairs() -> None:
    text = "root:root; admin:pa:ss\nnocolon;:nouser;root:root;user:"
    assert parse_credentials(text) == [("root", "root"), ("admin", "pa:ss"), ("user", "")]
