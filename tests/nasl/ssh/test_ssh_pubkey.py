"""``ssh_userauth`` with ``privatekey:``: public key authentication (:mod:`ixion.nasl.ssh.auth`).

Every script connects only to the asyncssh server this module starts on 127.0.0.1 (or to
the lab's, which offers no public key method). The server lets ``scanner`` in with the
password ``secret`` or with one of the keys the tests authorize, records the algorithm of
every signature it is shown and, like OpenSSH since 8.8, refuses ssh-rsa (SHA-1) ones. It
runs no shell: its one command, ``id``, answers a fixed line, which proves the login.
The keys are made here, with :mod:`cryptography` (which reads and writes passphrase-protected
OpenSSH keys with ``bcrypt``).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, cast

import asyncssh
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.ssh.auth import KeyLoadError, auth_publickey, load_key
from ixion.nasl.ssh.kex import Reader, SshError, verify
from ixion.nasl.ssh.wire import SshClient
from ixion.nasl.syntax.parser import parse
from tests.lab._ssh import SshService
from tests.nasl.harness import Transcript

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from ixion.nasl.network.host import Connection
    from ixion.nasl.runtime.kb import KbValue

ID = b"uid=1000(scanner) gid=1000(scanner) groups=1000(scanner)\n"
#: Public key blobs the server lets ``scanner`` in with.
allowed: set[bytes] = set()
#: The algorithm of every signature the server was shown, in order.
signatures: list[bytes] = []
_validate = asyncssh.SSHServerConnection.validate_public_key
#: Logs in with the key in the KB item ``Test/key``, then runs ``id``.
SCRIPT = b"""
    sess = ssh_connect(port: %d, timeout: 2);
    display(ssh_userauth(sess, login: "scanner", privatekey: get_kb_item("Test/key")%s), "\\n");
    display(ssh_request_exec(sess, cmd: "id"));
"""
P256, P384, P521 = (b"ecdsa-sha2-nistp%d" % bits for bits in (256, 384, 521))
RSA = b"rsa-sha2-512"
NOT_LOGGED_IN = b"!! warning: <script>:4: ssh_request_exec: SSH session 9001 is not logged in\n"


def run(source: bytes, kb: list[tuple[str, KbValue]]) -> bytes:
    transcript = Transcript()
    Interpreter(
        kb=MemoryKB(kb),
        host=TargetHost("127.0.0.1", (), on_report=lambda _: None),
        output=transcript.output,
        diagnostics=transcript.diagnostic,
    ).run(parse(source), source=source)
    return bytes(transcript.data)


def blob(key: PrivateKeyTypes) -> bytes:
    """The key's public blob, as the SSH wire and asyncssh's ``public_data`` carry it."""
    line = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def authorized(key: PrivateKeyTypes) -> PrivateKeyTypes:
    allowed.add(blob(key))
    return key


def text(key: PrivateKeyTypes, form: PrivateFormat, passphrase: bytes | None = None) -> bytes:
    crypt = BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    return key.private_bytes(Encoding.PEM, form, crypt)


def login(port: int, key: bytes, extra: bytes = b"") -> bytes:
    """The transcript of :data:`SCRIPT` with ``key`` and more named arguments."""
    return run(SCRIPT % (port, extra), [("Test/key", key)])


async def _recording(
    conn: asyncssh.SSHServerConnection, username: str, key_data: bytes, msg: bytes, sig: bytes
) -> bool:
    """asyncssh's check, after noting the signature's algorithm and refusing SHA-1."""
    if sig:
        algorithm = sig[4 : 4 + int.from_bytes(sig[:4], "big")]
        signatures.append(algorithm)
        if algorithm == b"ssh-rsa":
            return False
    return await _validate(conn, username, key_data, msg, sig)


class _Keys(asyncssh.SSHServer):
    """``scanner`` gets in with the password ``secret`` or an authorized key."""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == "scanner" and password == "secret"

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == "scanner" and key.public_data in allowed


async def _id(process: asyncssh.SSHServerProcess[bytes]) -> None:
    """The one command: ``id`` prints the account, anything else is not found."""
    if process.command == "id":
        process.stdout.write(ID)
        process.exit(0)
    else:
        process.stderr.write(b"sh: not found\n")
        process.exit(127)


class KeySsh(SshService):
    """asyncssh with the account above and the ``id`` command."""

    def _listen_options(self) -> dict[str, object]:
        return {"server_factory": _Keys, "process_factory": _id, "encoding": None}


@pytest.fixture(scope="module")
def server() -> Iterator[KeySsh]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncssh.SSHServerConnection, "validate_public_key", _recording)
        with KeySsh() as service:
            yield service


@pytest.mark.parametrize(
    ("make", "form", "algorithm"),
    [
        (ed25519.Ed25519PrivateKey.generate, PrivateFormat.OpenSSH, b"ssh-ed25519"),
        (ed25519.Ed25519PrivateKey.generate, PrivateFormat.PKCS8, b"ssh-ed25519"),
        (lambda: ec.generate_private_key(ec.SECP256R1()), PrivateFormat.OpenSSH, P256),
        (lambda: ec.generate_private_key(ec.SECP384R1()), PrivateFormat.TraditionalOpenSSL, P384),
        (lambda: ec.generate_private_key(ec.SECP521R1()), PrivateFormat.PKCS8, P521),
        (lambda: rsa.generate_private_key(65537, 2048), PrivateFormat.OpenSSH, RSA),
        (lambda: rsa.generate_private_key(65537, 2048), PrivateFormat.TraditionalOpenSSL, RSA),
    ],
    ids=["ed25519", "ed25519-pkcs8", "p256", "p384-sec1", "p521-pkcs8", "rsa", "rsa-pkcs1"],
)
def test_an_authorized_key_logs_in_and_runs_a_command(
    server: KeySsh, make: Callable[[], PrivateKeyTypes], form: PrivateFormat, algorithm: bytes
) -> None:
    key = authorized(make())
    signatures.clear()
    assert login(server.port, text(key, form)) == b"0\n" + ID
    # One signature, and for RSA a SHA-2 one (the server would refuse ssh-rsa).
    assert signatures == [algorithm]


def test_an_encrypted_pem_key_needs_its_passphrase(server: KeySsh) -> None:
    key = text(authorized(ec.generate_private_key(ec.SECP256R1())), PrivateFormat.PKCS8, b"pw")
    assert login(server.port, key, b', passphrase: "pw"') == b"0\n" + ID
    assert login(server.port, key, b', passphrase: "wrong"') == (
        b"!! warning: <script>:3: ssh_userauth: the private key is not used: a wrong "
        b"passphrase (OpenSSH and PEM formats are read)\n-1\n" + NOT_LOGGED_IN
    )
    assert login(server.port, key) == (
        b"!! warning: <script>:3: ssh_userauth: the private key is not used: the key is "
        b"encrypted and no passphrase was given\n-1\n" + NOT_LOGGED_IN
    )


def test_a_passphrase_for_a_key_without_one_is_ignored(server: KeySsh) -> None:
    key = text(authorized(ed25519.Ed25519PrivateKey.generate()), PrivateFormat.OpenSSH)
    assert login(server.port, key, b', passphrase: "unused"') == b"0\n" + ID


def test_an_encrypted_openssh_key_logs_in_with_its_passphrase(server: KeySsh) -> None:
    # What ssh-keygen -N writes: the OpenSSH format, bcrypt-pbkdf and aes256-ctr.
    key = text(authorized(ed25519.Ed25519PrivateKey.generate()), PrivateFormat.OpenSSH, b"s3 p")
    assert key.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert login(server.port, key, b', passphrase: "s3 p"') == b"0\n" + ID
    assert login(server.port, key, b', passphrase: "wrong"').startswith(
        b"!! warning: <script>:3: ssh_userauth: the private key is not used: "
    )


def test_a_key_the_server_does_not_authorize_fails_quietly(server: KeySsh) -> None:
    signatures.clear()
    key = text(rsa.generate_private_key(65537, 2048), PrivateFormat.PKCS8)
    assert login(server.port, key) == b"-1\n" + NOT_LOGGED_IN
    assert signatures == []  # offered, refused, never signed


@pytest.mark.parametrize("key", [b"garbage", b"", b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"])
def test_garbage_key_text_is_a_warning_not_a_crash(server: KeySsh, key: bytes) -> None:
    warning = (
        b"!! warning: <script>:3: ssh_userauth: the private key is not used: not a private "
        b"key (OpenSSH and PEM formats are read)\n"
    )
    assert login(server.port, key) == (warning if key else b"") + b"-1\n" + NOT_LOGGED_IN


def test_password_first_then_the_key(server: KeySsh) -> None:
    good = text(authorized(ed25519.Ed25519PrivateKey.generate()), PrivateFormat.OpenSSH)
    stranger = text(ed25519.Ed25519PrivateKey.generate(), PrivateFormat.OpenSSH)
    signatures.clear()
    # A good password logs in before the key is even loaded: no warning for garbage.
    assert login(server.port, b"garbage", b', password: "secret"') == b"0\n" + ID
    assert login(server.port, stranger, b', password: "secret"') == b"0\n" + ID
    assert signatures == []
    # A wrong password falls through to the key.
    assert login(server.port, good, b', password: "wrong"') == b"0\n" + ID
    assert login(server.port, stranger, b', password: "wrong"') == b"-1\n" + NOT_LOGGED_IN


def test_without_arguments_the_kb_gives_login_key_and_passphrase(server: KeySsh) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    kb: list[tuple[str, KbValue]] = [
        ("Secret/SSH/login", b"scanner"),
        ("Secret/SSH/privatekey", text(authorized(key), PrivateFormat.PKCS8, b"kb phrase")),
        ("Secret/SSH/passphrase", b"kb phrase"),
    ]
    source = b"""
        sess = ssh_connect(port: %d, timeout: 2);
        display(ssh_userauth(sess), "\\n");
        display(ssh_request_exec(sess, cmd: "id"));
    """
    assert run(source % server.port, kb) == b"0\n" + ID


def test_a_server_without_publickey_never_sees_the_key() -> None:
    with SshService() as lab:  # password and keyboard-interactive only
        key = text(ed25519.Ed25519PrivateKey.generate(), PrivateFormat.OpenSSH)
        assert login(lab.port, key) == b"-1\n" + NOT_LOGGED_IN
        assert login(lab.port, b"garbage") == b"-1\n" + NOT_LOGGED_IN


def test_load_key_refuses_what_it_cannot_sign_with() -> None:
    with pytest.raises(KeyLoadError, match="unsupported key type"):
        load_key(text(ed448.Ed448PrivateKey.generate(), PrivateFormat.PKCS8), None)
    with pytest.raises(KeyLoadError, match="unsupported key type"):
        load_key(text(ec.generate_private_key(ec.SECP256K1()), PrivateFormat.PKCS8), None)
    rsa_key = load_key(text(rsa.generate_private_key(65537, 2048), PrivateFormat.PKCS8), b"")
    assert rsa_key.algorithms == ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


class _Scripted(SshClient):
    """No connection: answers userauth requests from a script and keeps what it was sent."""

    def __init__(self, answers: list[int]) -> None:
        super().__init__(cast("Connection", None), lambda seconds: seconds, 1.0)
        self.session_id = b"\x42" * 32
        self.answers, self.sent = answers, list[bytes]()

    def userauth(self, user: bytes, method: bytes, extra: bytes) -> Reader:
        self.sent.append(extra)
        return Reader(bytes([self.answers.pop(0)]))


def test_rsa_falls_back_to_the_algorithm_the_server_takes_and_signs_the_session() -> None:
    key = load_key(text(rsa.generate_private_key(65537, 2048), PrivateFormat.PKCS8), None)
    client = _Scripted([51, 60, 52])  # no to rsa-sha2-512, PK_OK for rsa-sha2-256, success
    assert auth_publickey(client, b"scanner", key)
    offers = [Reader(extra) for extra in client.sent]
    assert [(r.byte(), r.string()) for r in offers] == [
        (0, b"rsa-sha2-512"),
        (0, b"rsa-sha2-256"),
        (1, b"rsa-sha2-256"),
    ]
    assert offers[0].string() == key.blob
    signed = offers[2]
    assert signed.string() == key.blob
    head = b"\x00\x00\x00\x20" + b"\x42" * 32 + b"\x32\x00\x00\x00\x07scanner"
    request = b"\x00\x00\x00\x0essh-connection\x00\x00\x00\x09publickey"
    data = head + request + client.sent[2][: signed.at]
    verify(key.blob, signed.string(), data)  # SshError if the signature were wrong
    assert not auth_publickey(_Scripted([51, 51, 51]), b"scanner", key)
    assert not auth_publickey(_Scripted([60, 51]), b"scanner", key)
    with pytest.raises(SshError, match="unexpected answer 99"):
        auth_publickey(_Scripted([99]), b"scanner", key)
