"""The SSH transport's ciphers (:mod:`ixion.nasl.ssh.ciphers`): AEAD and CTR with HMAC.

Three layers of evidence:

* packets sealed by one :class:`PacketCipher` open with another of the same keys, in
  order; opened out of order, or with a bit flipped anywhere, they are refused;
* OpenSSH's sshd, started by this module on 127.0.0.1 ports it picked, each restricted to
  one cipher (and to MACs ixion does not know, which an AEAD cipher must not care about),
  lets ixion log in with a key and run a command; sshd's own debug log says which cipher
  and MAC it agreed on. ``AllowUsers nobody``: that account's shell is ``nologin``, so the
  command that runs is that shell refusing, and nothing else of this machine is reached;
* the netlab's hardened sshd (198.18.0.20, AEAD ciphers only) tells ixion's
  ``ssh_login`` its methods.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ixion.engine.ssh_login import ssh_login
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.ssh.ciphers import CIPHERS, MACS, PacketCipher, key_sizes, new_cipher, takes_mac
from ixion.nasl.ssh.kex import SshError
from ixion.nasl.ssh.wire import SshClient
from tests.nasl.ssh.test_ssh import VariantSsh, run
from tests.netlab.fixture import netlab  # noqa: F401 (the session's lab)
from tests.plugins.daemons import Running, daemon, free_port, owned_dir, tcp_answers

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.netlab.fixture import NetLab

AEAD = ("chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com")
#: MACs sshd offers next to an AEAD cipher: ixion knows neither, and needs neither.
ETM_ONLY = "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com"
#: What ``nobody``'s shell answers to any command.
NOLOGIN = b"This account is currently not available.\n"


# --- packets ---------------------------------------------------------------------------------


def pair(cipher: str) -> tuple[PacketCipher, PacketCipher]:
    """A sealing and an opening side of ``cipher`` with the same fresh keys."""
    mac = None if not takes_mac(cipher) else "hmac-sha2-256"
    iv_size, key_size, mac_size = key_sizes(cipher, mac)
    iv, key, mac_key = os.urandom(iv_size), os.urandom(key_size), os.urandom(mac_size)
    return new_cipher(cipher, mac, iv, key, mac_key), new_cipher(cipher, mac, iv, key, mac_key)


def frame(payload: bytes, cipher: PacketCipher) -> bytes:
    """A plaintext packet padded as RFC 4253 §6 (and, for AEAD, OpenSSH) wants it."""
    covered = 1 + len(payload) if cipher.length_apart else 5 + len(payload)
    pad = cipher.block - covered % cipher.block
    pad += cipher.block if pad < 4 else 0
    return (1 + len(payload) + pad).to_bytes(4, "big") + bytes([pad]) + payload + os.urandom(pad)


def open_stream(opener: PacketCipher, seq: int, stream: bytes) -> bytes:
    """Read one packet off ``stream`` as the client does: head, length, then the rest."""
    head = stream[: opener.head_size]
    length = opener.start(seq, head)
    rest = stream[opener.head_size : 4 + length + opener.tag_size]
    if len(rest) < 4 + length - opener.head_size + opener.tag_size:
        raise SshError("the stream ends inside the packet")
    return opener.finish(seq, head, rest)


@pytest.mark.parametrize("cipher", list(CIPHERS))
def test_sealed_packets_open_in_order_with_their_sequence_numbers(cipher: str) -> None:
    sealer, opener = pair(cipher)
    payloads = [b"", b"x", b"\x05" + b"ssh-userauth" * 9, os.urandom(4096), b"z" * 35000]
    packets = [frame(payload, sealer) for payload in payloads]
    wires = [sealer.seal(seq, packet) for seq, packet in enumerate(packets, start=3)]
    for payload, packet, wire in zip(payloads, packets, wires, strict=True):
        assert len(wire) == len(packet) + sealer.tag_size
        assert len(payload) < 16 or payload[:16] not in wire  # encrypted, not just signed
    stream = b"".join(wires)
    for seq, packet in enumerate(packets, start=3):
        assert open_stream(opener, seq, stream) == packet
        stream = stream[len(packet) + opener.tag_size :]
    assert stream == b""


@pytest.mark.parametrize("cipher", list(CIPHERS))
def test_a_packet_opened_out_of_turn_is_refused(cipher: str) -> None:
    """GCM counts packets itself, the others take the sequence number: either way a
    packet read in another place of the stream does not open."""
    sealer, opener = pair(cipher)
    first, second = (sealer.seal(seq, frame(b"%d" % seq * 50, sealer)) for seq in (7, 8))
    with pytest.raises(SshError):
        open_stream(opener, 7, second + first)


@pytest.mark.parametrize("where", ["length", "padding length", "payload", "tag"])
@pytest.mark.parametrize("cipher", list(CIPHERS))
def test_a_flipped_bit_anywhere_is_refused(cipher: str, where: str) -> None:
    sealer, opener = pair(cipher)
    wire = bytearray(sealer.seal(0, frame(b"p" * 100, sealer)))
    # Bit 4 of the length's last byte keeps the length a multiple of every block size,
    # so it is the tag or MAC, not the block check, that must catch it.
    at, bit = {"length": (3, 0x10), "padding length": (4, 1), "payload": (60, 1)}.get(
        where, (len(wire) - 1, 0x80)
    )
    wire[at] ^= bit
    following = os.urandom(64)  # the start of a next packet, for a length made longer
    with pytest.raises(SshError, match=r"bad (MAC|authentication tag)"):
        open_stream(opener, 0, bytes(wire) + following)


def test_only_the_ctr_ciphers_take_a_mac() -> None:
    assert [cipher for cipher in CIPHERS if takes_mac(cipher)] == [
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
    ]
    assert list(CIPHERS)[:3] == list(AEAD)  # preferred, in OpenSSH's order


# --- OpenSSH ---------------------------------------------------------------------------------


class Sshd:
    """One sshd on a loopback port, with the key that logs in as ``nobody``."""

    def __init__(self, port: int, running: Running, key: bytes) -> None:
        self.port, self.running, self.key = port, running, key

    def agreed(self) -> list[tuple[str, str, str]]:
        """(direction, cipher, MAC) of each key exchange sshd logged, in order."""
        pattern = r"kex: (client->server|server->client) cipher: (\S+) MAC: (\S+)"
        return re.findall(pattern, self.running.output())


def start_sshd(tmp: Path, *settings: str) -> Iterator[Sshd]:
    host_key, user_key = tmp / "host_key", ed25519.Ed25519PrivateKey.generate()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)],
        check=True,
        capture_output=True,
    )
    public = user_key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    (tmp / "authorized_keys").write_bytes(public + b"\n")
    port = free_port()
    lines = [
        "ListenAddress 127.0.0.1",
        f"Port {port}",
        f"HostKey {host_key}",
        "PidFile none",
        "AllowUsers nobody",
        f"AuthorizedKeysFile {tmp}/authorized_keys",
        "StrictModes no",  # the key file is under /tmp, which everyone may write to
        "AuthenticationMethods publickey",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "LogLevel DEBUG1",  # for the "kex: ... cipher: ... MAC: ..." lines
        *settings,
    ]
    (tmp / "sshd_config").write_text("\n".join(lines) + "\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    argv = ["/usr/sbin/sshd", "-D", "-e", "-f", str(tmp / "sshd_config")]
    with daemon(argv, ready=tcp_answers(port), log=tmp / "log") as running:
        key = user_key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
        yield Sshd(port, running, key)


@pytest.fixture(scope="module", params=AEAD)
def sshd_one_cipher(request: pytest.FixtureRequest) -> Iterator[Sshd]:
    with owned_dir() as tmp:
        yield from start_sshd(tmp, f"Ciphers {request.param}", ETM_ONLY)


@pytest.fixture(scope="module")
def sshd_mixed() -> Iterator[Sshd]:
    """GCM and CTR offered, CTR first, and one MAC ixion knows for CTR."""
    with owned_dir() as tmp:
        yield from start_sshd(
            tmp,
            "Ciphers aes128-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
            "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
        )


LOGIN = b"""
    sess = ssh_connect(port: %d, timeout: 5);
    ssh_set_login(sess, login: "nobody");
    display(ssh_get_auth_methods(sess), "\\n");
    display(ssh_userauth(sess, privatekey: get_kb_item("Test/key")), "\\n");
    display(ssh_request_exec(sess, cmd: "id"));
    ssh_disconnect(sess);
"""


def test_openssh_with_one_aead_cipher_lets_ixion_log_in_and_run_a_command(
    sshd_one_cipher: Sshd,
) -> None:
    transcript = run(LOGIN % sshd_one_cipher.port, [("Test/key", sshd_one_cipher.key)])
    assert transcript == b"publickey\n0\n" + NOLOGIN
    [cipher] = {cipher for _, cipher, _ in sshd_one_cipher.agreed()}
    assert sshd_one_cipher.agreed()[-2:] == [
        ("client->server", cipher, "<implicit>"),
        ("server->client", cipher, "<implicit>"),
    ]


def test_a_large_packet_each_way_under_each_aead_cipher(sshd_one_cipher: Sshd) -> None:
    """A 200 KiB IGNORE packet sealed by ixion, then sshd's answers after it."""
    connection = TargetHost("127.0.0.1").connect_tcp(
        sshd_one_cipher.port, timeout=5, transport="clear"
    )
    try:
        client = SshClient(connection, lambda seconds: seconds, 5)
        client.handshake(None, None, None)
        client.send(b"\x02" + (200 * 1024).to_bytes(4, "big") + os.urandom(200 * 1024))
        assert client.auth_none(b"nobody") == ["publickey"]
        assert client.auth_none(b"nobody") == ["publickey"]  # sequence numbers move on
    finally:
        connection.close()


def test_aead_ciphers_come_first_and_each_direction_negotiates_its_own_mac(
    sshd_mixed: Sshd,
) -> None:
    for cs_ciphers, expected in [
        (None, ("aes256-gcm@openssh.com", "<implicit>")),
        ("aes128-ctr", ("aes128-ctr", "hmac-sha2-256")),
    ]:
        option = b"" if cs_ciphers is None else b', csciphers: "%s"' % cs_ciphers.encode()
        source = b'sess = ssh_connect(port: %d%s); display(ssh_get_auth_methods(sess), "\\n");'
        assert run(source % (sshd_mixed.port, option)) == b"publickey\n"
        assert sshd_mixed.agreed()[-2:] == [
            ("client->server", *expected),
            ("server->client", "aes256-gcm@openssh.com", "<implicit>"),
        ]


# --- asyncssh and the MAC rule ---------------------------------------------------------------


@pytest.mark.parametrize("cipher", AEAD)
def test_asyncssh_with_one_aead_cipher_takes_a_password(cipher: str) -> None:
    with VariantSsh(("ssh-ed25519",), encryption_algs=[cipher]) as server:
        source = b"""
            sess = ssh_connect(port: %d);
            display(ssh_userauth(sess, login: "scanner", password: "secret"), "\\n");
        """
        assert run(source % server.port) == b"0\n"


def test_a_ctr_cipher_without_a_common_mac_fails_the_handshake() -> None:
    options = {"encryption_algs": ["aes128-ctr"], "mac_algs": ["hmac-sha2-256-etm@openssh.com"]}
    with VariantSsh(("ssh-ed25519",), **options) as server:
        connection = TargetHost("127.0.0.1").connect_tcp(server.port, timeout=5, transport="clear")
        try:
            client = SshClient(connection, lambda seconds: seconds, 5)
            with pytest.raises(SshError, match="no common MAC"):
                client.handshake(None, None, None)
        finally:
            connection.close()
    assert set(MACS).isdisjoint(options["mac_algs"])


# --- the netlab ------------------------------------------------------------------------------


def test_ssh_login_gets_the_hardened_hosts_methods(netlab: NetLab) -> None:  # noqa: F811
    """The hardened sshd offers AEAD ciphers and ETM MACs only, and public keys only."""
    result = ssh_login(netlab.hardened, 22, "ixion-probe", None, 10)
    assert result.server_version.startswith("SSH-2.0-OpenSSH_")
    assert result.methods == ("publickey",)
    assert not result.no_authentication
    assert result.logged_in_by is None
