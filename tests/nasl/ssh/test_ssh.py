"""SSH built-ins (``ssh_connect`` and friends) and the SSH client under them.

Every script connects only to an asyncssh server the test itself started on 127.0.0.1:
the lab's (Ed25519 key, password asked, nobody let in) or a variant below with other host
keys, an issue banner and one account that works.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any

import asyncssh
import pytest

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.ssh import wire as sshwire
from ixion.nasl.ssh.kex import SshError
from ixion.nasl.ssh.wire import SshClient
from ixion.nasl.syntax.errors import NaslRuntimeError
from ixion.nasl.syntax.parser import parse
from tests.lab import HttpService
from tests.lab._base import LOOPBACK
from tests.lab._ssh import SshService
from tests.nasl.harness import Transcript

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ixion.nasl.runtime.kb import KbValue

BANNER = "Authorized use only.\n"
#: asyncssh's side of finite-field Diffie-Hellman warns that cryptography deprecates it.
_OLD_DH = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")


def run(source: bytes, kb: list[tuple[str, KbValue]] | None = None) -> bytes:
    transcript = Transcript()
    Interpreter(
        kb=MemoryKB(kb or []),
        host=TargetHost("127.0.0.1", (), on_report=lambda _: None),
        output=transcript.output,
        diagnostics=transcript.diagnostic,
    ).run(parse(source), source=source)
    return bytes(transcript.data)


class _OneAccount(asyncssh.SSHServer):
    """Sends an issue banner, then lets ``scanner`` in with the password ``secret``."""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        self._conn.send_auth_banner(BANNER)
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == "scanner" and password == "secret"


class VariantSsh(SshService):
    """asyncssh with the given host key types and options (MACs, ciphers...)."""

    def __init__(self, key_types: tuple[str, ...], **options: Any) -> None:
        super().__init__()
        self._key_types, self._options = key_types, options

    async def _open(self) -> int:
        self._acceptor = await asyncssh.listen(
            LOOPBACK,
            0,
            server_host_keys=[asyncssh.generate_private_key(kind) for kind in self._key_types],
            server_factory=_OneAccount,
            **self._options,
        )
        return self._acceptor.get_port()


@pytest.fixture(scope="module")
def lab_ssh() -> Iterator[SshService]:
    with SshService() as service:
        yield service


@pytest.fixture(scope="module")
def variant() -> Iterator[VariantSsh]:
    keys = ("ecdsa-sha2-nistp256", "ssh-rsa", "ecdsa-sha2-nistp384")
    with VariantSsh(keys) as service:
        yield service


def test_a_session_over_a_script_socket_shows_banner_key_and_methods(
    lab_ssh: SshService,
) -> None:
    source = (
        b"""
        soc = open_sock_tcp(%d);
        sess = ssh_connect(socket: soc);
        display(sess, " ", ssh_session_id_from_sock(soc), " ", ssh_get_sock(sess) == soc, "\\n");
        display(ssh_get_server_banner(sess), "\\n");
        display(hexstr(substr(ssh_get_host_key(sess), 0, 14)), "\\n");
        display(ssh_userauth(sess, login: "nobody", password: "wrong"), "\\n");
        display(ssh_get_auth_methods(sess), "\\n");
        display(isnull(ssh_get_issue_banner(sess)), "\\n");
        close(soc);
        display(ssh_session_id_from_sock(soc), "\\n");
    """
        % lab_ssh.port
    )
    assert run(source) == (
        b"9001 9001 1\nSSH-2.0-AsyncSSH_2.24.1\n0000000b7373682d65643235353139\n"
        b"-1\npassword,keyboard-interactive\n1\n0\n"
    )


def test_banner_login_and_other_host_keys(variant: VariantSsh) -> None:
    source = b"""
        foreach keytype (make_list("ecdsa-sha2-nistp256", "rsa-sha2-512", "ssh-rsa",
                                   "ecdsa-sha2-nistp384")) {
          sess = ssh_connect(port: %d, keytype: keytype);
          key = ssh_get_host_key(sess);
          display(substr(key, 4, 3 + ord(key[3])), "\\n");
          ssh_disconnect(sess);
        }
        sess = ssh_connect(port: %d, csciphers: "aes256-ctr", scciphers: "aes192-ctr");
        ssh_set_login(sess, login: "scanner");
        display(ssh_get_issue_banner(sess));
        display(ssh_userauth(sess, login: "ignored", password: "wrong"), "\\n");
        display(ssh_userauth(sess, password: "secret"), "\\n");
        ssh_disconnect(sess);
        display(isnull(ssh_get_server_banner(sess)), "\\n");
    """ % (variant.port, variant.port)
    assert run(source) == (
        b"ecdsa-sha2-nistp256\nssh-rsa\nssh-rsa\necdsa-sha2-nistp384\n"
        + BANNER.encode()
        + b"-1\n0\n"
        + b"!! warning: <script>:15: Bad SSH session id 9005 passed to ssh_get_server_banner\n1\n"
    )


def test_the_session_port_comes_from_the_kb(variant: VariantSsh) -> None:
    source = b"""
        sess = ssh_connect();
        display(sess, " ", ssh_get_auth_methods(sess), "\\n");
        display(ssh_userauth(sess), "\\n");
    """
    kb: list[tuple[str, KbValue]] = [
        ("Services/ssh", variant.port),
        ("Secret/SSH/login", b"scanner"),
        ("Secret/SSH/password", b"secret"),
    ]
    assert run(source, kb) == b"9001 password,keyboard-interactive\n0\n"


def test_a_server_that_is_not_ssh_gives_zero_and_every_method() -> None:
    with HttpService() as http:
        source = b"""
            display(ssh_connect(port: %d), "\\n");
            soc = open_sock_tcp(%d);
            display(ssh_connect(socket: soc), "\\n");
            sess = ssh_session_id_from_sock(soc);
            display(sess, " ", ssh_get_auth_methods(sess), "\\n");
            display(isnull(ssh_get_server_banner(sess)), "\\n");
        """ % (http.port, http.port)
        assert run(source) == (
            b"0\n0\n9001 none,password,publickey,hostbased,keyboard-interactive\n1\n"
        )


def test_bad_session_ids_warn_and_give_null() -> None:
    source = b"""
        display(isnull(ssh_get_server_banner(42)), "\\n");
        display(ssh_get_sock(0), "\\n");
        ssh_disconnect(42);
        display(ssh_session_id_from_sock(5), "\\n");
    """
    assert run(source) == (
        b"!! warning: <script>:2: Bad SSH session id 42 passed to ssh_get_server_banner\n1\n"
        b"!! warning: <script>:3: Invalid SSH session id 0 passed to ssh_get_sock\n-1\n0\n"
    )


@pytest.mark.parametrize(
    "kex",
    [
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
        pytest.param("diffie-hellman-group14-sha256", marks=_OLD_DH),
        pytest.param("diffie-hellman-group14-sha1", marks=_OLD_DH),
    ],
)
def test_every_key_exchange_agrees_with_asyncssh(
    kex: str, lab_ssh: SshService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sshwire, "KEX", (kex,))
    host = TargetHost("127.0.0.1", (), on_report=lambda _: None)
    connection = host.connect_tcp(lab_ssh.port, timeout=5, transport="clear")
    try:
        client = SshClient(connection, lambda seconds: seconds, 5)
        client.handshake(None, ["aes128-ctr"], None)
        assert client.auth_none(b"nobody") == ["keyboard-interactive", "password"]
        assert not client.auth_password(b"nobody", b"wrong")
    finally:
        connection.close()


@pytest.mark.parametrize("mac", ["hmac-sha1", "hmac-sha2-512"])
def test_other_macs(mac: str) -> None:
    with VariantSsh(("ssh-ed25519",), mac_algs=[mac]) as server:
        host = TargetHost("127.0.0.1", (), on_report=lambda _: None)
        connection = host.connect_tcp(server.port, timeout=5, transport="clear")
        try:
            client = SshClient(connection, lambda seconds: seconds, 5)
            client.handshake(None, None, None)
            assert client.auth_password(b"scanner", b"secret")
        finally:
            connection.close()


def test_no_common_algorithm_is_an_ssh_error(lab_ssh: SshService) -> None:
    host = TargetHost("127.0.0.1", (), on_report=lambda _: None)
    connection = host.connect_tcp(lab_ssh.port, timeout=5, transport="clear")
    try:
        client = SshClient(connection, lambda seconds: seconds, 5)
        with pytest.raises(SshError, match="no common host key"):
            client.handshake(["ssh-rsa"], None, None)
    finally:
        connection.close()


def test_a_silent_server_cannot_hold_the_script_past_its_deadline() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        source = b"display(ssh_connect(port: %d));" % silent.getsockname()[1]
        interpreter = Interpreter(
            limits=Limits(timeout=1),
            host=TargetHost("127.0.0.1", (), on_report=lambda _: None),
        )
        started = time.monotonic()
        with pytest.raises(NaslRuntimeError, match="deadline passed"):
            interpreter.run(parse(source), source=source)
        assert time.monotonic() - started < 5
