"""A small SSH-2 client: the transport and user authentication, what NASL's ``ssh_*`` need.

OpenVAS links libssh for its ``ssh_*`` built-ins; ixion speaks the protocol itself over a
NASL connection (:class:`~ixion.nasl.network.host.Connection`), with :mod:`cryptography` for the
primitives. It covers what a scan without working credentials reaches (RFC 4253, 4252):

* the identification strings (the server's, as ``ssh_get_server_banner`` shows it);
* key exchange: curve25519-sha256, ecdh-sha2-nistp256/384/521, diffie-hellman-group14;
  the server's host key signature over the exchange hash is checked (Ed25519, ECDSA, RSA);
* chacha20-poly1305@openssh.com, aes256/128-gcm@openssh.com (preferred, in that order,
  as OpenSSH prefers them), and aes128/192/256-ctr with hmac-sha2-256/512 or hmac-sha1;
  no compression (the packet protection itself is :mod:`ixion.nasl.ssh.ciphers`'s);
* ``none``, ``password`` and ``keyboard-interactive`` authentication, and the issue banner
  (``SSH_MSG_USERAUTH_BANNER``) a server may send before them; ``publickey`` is
  :mod:`ixion.nasl.ssh.auth`'s, over :meth:`SshClient.userauth` and the session id.

Channels are :mod:`ixion.nasl.ssh.channel`'s (``ssh_request_exec``); shells and SFTP are
not implemented.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.nasl.ssh.ciphers import CIPHERS, MACS, PacketCipher, key_sizes, new_cipher, takes_mac
from ixion.nasl.ssh.kex import (
    HOST_KEYS,
    KEX,
    Exchange,
    Reader,
    SshError,
    choose,
    mpint,
    name_list,
    string,
    verify,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.network.host import Connection

__all__ = ["CLIENT_VERSION", "SshClient", "SshError", "SshSession"]

CLIENT_VERSION: Final = b"SSH-2.0-ixion_0.1"
_MAX_PACKET: Final = 256 * 1024
_MAX_PREAMBLE: Final = 50  # lines a server may send before its identification
#: Messages ``receive`` skips (IGNORE, DEBUG, banners) before it gives up on the server.
_MAX_SKIPPED: Final = 256
#: Bytes of issue banner kept: a hostile server may send banner after banner.
_MAX_BANNER: Final = 64 * 1024
# Message numbers (RFC 4250).
DISCONNECT, IGNORE, UNIMPLEMENTED, DEBUG, SERVICE_REQUEST, SERVICE_ACCEPT = 1, 2, 3, 4, 5, 6
KEXINIT, NEWKEYS, KEX_REPLY = 20, 21, 31
USERAUTH_REQUEST, USERAUTH_FAILURE, USERAUTH_SUCCESS, USERAUTH_BANNER = 50, 51, 52, 53
USERAUTH_INFO_REQUEST, USERAUTH_INFO_RESPONSE = 60, 61


class SshClient:
    """One SSH connection over ``connection``; ``limit(seconds)`` caps each wait."""

    def __init__(
        self, connection: Connection, limit: Callable[[float], float], timeout: float
    ) -> None:
        self.connection, self.limit, self.timeout = connection, limit, timeout
        self.server_version = b""
        self.host_key = b""
        self.session_id = b""
        self.issue_banner: bytes | None = None
        self._buffer = b""
        self._seq_out = self._seq_in = 0
        self._out: PacketCipher | None = None
        self._in: PacketCipher | None = None
        self._service = False
        self._hash_name = "sha256"

    # -- bytes -----------------------------------------------------------------------------
    def _fill(self, size: int) -> bytes:
        while len(self._buffer) < size:
            try:
                data = self.connection.recv(65536, self.limit(self.timeout))
            except OSError as err:  # TimeoutError included
                raise SshError(f"reading from the server: {err or 'timed out'}") from err
            if not data:
                raise SshError("the server closed the connection")
            self._buffer += data
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk

    def input_begun(self, wait: float) -> bool:
        """Whether bytes of a message are here, or arrive within ``wait`` seconds.

        Only the first byte is waited for this briefly: the rest of a packet is read with
        the session's timeout (:meth:`receive`), since a packet cut off by a timeout would
        leave the decryption out of step with the stream.
        """
        if self._buffer:
            return True
        try:
            data = self.connection.recv(65536, self.limit(wait))
        except TimeoutError:
            return False
        except OSError as err:
            raise SshError(f"reading from the server: {err}") from err
        if not data:
            raise SshError("the server closed the connection")
        self._buffer += data
        return True

    def _write(self, data: bytes) -> None:
        try:
            self.connection.send(data)
        except OSError as err:
            raise SshError(f"writing to the server: {err}") from err

    def send(self, payload: bytes) -> None:
        out = self._out
        block = out.block if out else 8
        # RFC 4253 §6: the padding rounds the packet up to the block, the length field
        # included, except for AEAD ciphers, which leave it out (ciphers.py says why).
        covered = 1 + len(payload) if out and out.length_apart else 5 + len(payload)
        pad = block - covered % block
        if pad < 4:
            pad += block
        packet = struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + os.urandom(pad)
        self._write(packet if out is None else out.seal(self._seq_out, packet))
        self._seq_out = (self._seq_out + 1) & 0xFFFFFFFF

    def _read_packet(self) -> bytes:
        keys = self._in
        head = self._fill(keys.head_size if keys else 5)
        length = keys.start(self._seq_in, head) if keys else struct.unpack(">I", head[:4])[0]
        if not 5 <= length <= _MAX_PACKET:
            raise SshError(f"bad packet length {length}")
        rest = self._fill(4 + length - len(head) + (keys.tag_size if keys else 0))
        packet = keys.finish(self._seq_in, head, rest) if keys else head + rest
        self._seq_in = (self._seq_in + 1) & 0xFFFFFFFF
        pad = packet[4]
        return packet[5 : 4 + length - pad]

    def receive(self) -> Reader:
        """The next message that is not IGNORE, DEBUG or UNIMPLEMENTED, its type read."""
        for _ in range(_MAX_SKIPPED):
            message = Reader(self._read_packet())
            kind = message.byte()
            if kind == DISCONNECT:
                message.uint32()
                reason = message.string().decode("utf-8", "replace")
                raise SshError(f"the server disconnected: {reason}")
            if kind == USERAUTH_BANNER:
                banner = (self.issue_banner or b"") + message.string()
                self.issue_banner = banner[:_MAX_BANNER]
                continue
            if kind not in (IGNORE, DEBUG, UNIMPLEMENTED):
                message.at -= 1
                return message
        raise SshError("the server sends only messages to ignore")

    def expect(self, kind: int) -> Reader:
        message = self.receive()
        got = message.byte()
        if got != kind:
            raise SshError(f"expected message {kind}, the server sent {got}")
        return message

    # -- the transport ---------------------------------------------------------------------
    def handshake(
        self,
        host_keys: list[str] | None,
        cs_ciphers: list[str] | None,
        sc_ciphers: list[str] | None,
    ) -> None:
        """Identification strings, key exchange, NEWKEYS; SshError if any fails."""
        self._write(CLIENT_VERSION + b"\r\n")
        for _ in range(_MAX_PREAMBLE):
            line = b""
            while not line.endswith(b"\n") and len(line) < 255:
                line += self._fill(1)
            if line.startswith(b"SSH-"):
                self.server_version = line.rstrip(b"\r\n")
                break
        else:
            raise SshError("the server did not identify itself as SSH")
        if not self.server_version.startswith((b"SSH-2.0-", b"SSH-1.99-")):
            raise SshError(f"unsupported protocol {self.server_version!r}")
        cs = [c for c in (cs_ciphers or CIPHERS) if c in CIPHERS]
        sc = [c for c in (sc_ciphers or CIPHERS) if c in CIPHERS]
        keys = [k for k in (host_keys or HOST_KEYS) if k in HOST_KEYS]
        ours = (
            bytes([KEXINIT])
            + os.urandom(16)
            + name_list(KEX)
            + name_list(keys)
            + name_list(cs)
            + name_list(sc)
            + name_list(tuple(MACS)) * 2
            + name_list(("none",)) * 2
            + string(b"") * 2
            + b"\0"
            + b"\0\0\0\0"
        )
        self.send(ours)
        message = self.expect(KEXINIT)
        theirs = message.data
        message.take(16)
        lists = [message.names() for _ in range(10)]
        kex = choose(KEX, lists[0], "key exchange")
        choose(keys, lists[1], "host key")
        cs_cipher, sc_cipher = choose(cs, lists[2], "cipher"), choose(sc, lists[3], "cipher")
        # An AEAD cipher authenticates by itself: its direction's MAC list is not looked at
        # (OpenSSH's rule for its @openssh.com AEAD ciphers), and may share nothing with ours.
        chosen = (
            cs_cipher,
            sc_cipher,
            choose(tuple(MACS), lists[4], "MAC") if takes_mac(cs_cipher) else None,
            choose(tuple(MACS), lists[5], "MAC") if takes_mac(sc_cipher) else None,
        )
        choose(("none",), lists[6], "compression")
        choose(("none",), lists[7], "compression")
        if message.byte():
            raise SshError("the server guessed a key exchange packet (not supported)")
        secret, exchange_hash = self._exchange(kex, ours, theirs)
        self.send(bytes([NEWKEYS]))
        self.expect(NEWKEYS)
        self._install(kex, secret, exchange_hash, chosen)

    def _exchange(self, kex: str, ours: bytes, theirs: bytes) -> tuple[int, bytes]:
        exchange = Exchange(kex)
        self.send(exchange.payload)
        reply = self.expect(KEX_REPLY)
        self.host_key, server_value, secret = exchange.finish(reply)
        signature = reply.string()
        exchange_hash = hashlib.new(
            exchange.hash_name,
            string(CLIENT_VERSION)
            + string(self.server_version)
            + string(ours)
            + string(theirs)
            + string(self.host_key)
            + exchange.client_value
            + server_value
            + mpint(secret),
        ).digest()
        verify(self.host_key, signature, exchange_hash)
        self._hash_name = exchange.hash_name
        return secret, exchange_hash

    def _install(
        self,
        kex: str,
        secret: int,
        exchange_hash: bytes,
        chosen: tuple[str, str, str | None, str | None],
    ) -> None:
        if not self.session_id:
            self.session_id = exchange_hash
        shared = mpint(secret)

        def derive(letter: bytes, size: int) -> bytes:
            key = hashlib.new(
                self._hash_name, shared + exchange_hash + letter + self.session_id
            ).digest()
            while len(key) < size:
                key += hashlib.new(self._hash_name, shared + exchange_hash + key).digest()
            return key[:size]

        cs_cipher, sc_cipher, cs_mac, sc_mac = chosen

        def keys(letters: bytes, cipher: str, mac: str | None) -> PacketCipher:
            # RFC 4253 §7.2: the letters name the IV, the encryption key, the MAC key.
            iv, key, mac_key = (
                derive(letters[at : at + 1], size) if size else b""
                for at, size in enumerate(key_sizes(cipher, mac))
            )
            return new_cipher(cipher, mac, iv, key, mac_key)

        self._out = keys(b"ACE", cs_cipher, cs_mac)
        self._in = keys(b"BDF", sc_cipher, sc_mac)

    # -- user authentication -----------------------------------------------------------------
    def _request(self, user: bytes, method: bytes, extra: bytes = b"") -> Reader:
        if not self._service:
            self.send(bytes([SERVICE_REQUEST]) + string(b"ssh-userauth"))
            self.expect(SERVICE_ACCEPT)
            self._service = True
        self.send(
            bytes([USERAUTH_REQUEST])
            + string(user)
            + string(b"ssh-connection")
            + string(method)
            + extra
        )
        return self.receive()

    def userauth(self, user: bytes, method: bytes, extra: bytes) -> Reader:
        """Send one USERAUTH_REQUEST, ``extra`` after the method name, and return the
        answer (its type unread): for methods kept out of this module, such as
        :mod:`ixion.nasl.ssh.auth`'s ``publickey``."""
        return self._request(user, method, extra)

    def auth_none(self, user: bytes) -> list[str] | None:
        """None when the server let us in; else the methods it lists."""
        reply = self._request(user, b"none")
        kind = reply.byte()
        if kind == USERAUTH_SUCCESS:
            return None
        if kind != USERAUTH_FAILURE:
            raise SshError(f"unexpected answer {kind} to a none authentication")
        return reply.names()

    def auth_password(self, user: bytes, password: bytes) -> bool:
        return self._request(user, b"password", b"\0" + string(password)).byte() == USERAUTH_SUCCESS

    def auth_kbdint(self, user: bytes, password: bytes) -> bool:
        """keyboard-interactive: the password answers the first prompt that does not echo."""
        reply = self._request(user, b"keyboard-interactive", string(b"") + string(b""))
        for _ in range(10):
            kind = reply.byte()
            if kind != USERAUTH_INFO_REQUEST:
                return kind == USERAUTH_SUCCESS
            reply.string()
            reply.string()
            reply.string()
            answers, given = [], False
            for _ in range(min(reply.uint32(), 64)):
                reply.string()
                echo = reply.byte()
                answers.append(password if not echo and not given else b"")
                given = given or not echo
            self.send(
                bytes([USERAUTH_INFO_RESPONSE])
                + struct.pack(">I", len(answers))
                + b"".join(string(answer) for answer in answers)
            )
            reply = self.receive()
        return False

    def disconnect(self) -> None:
        """Say goodbye (best effort); the caller closes the connection."""
        with contextlib.suppress(SshError):
            self.send(bytes([DISCONNECT]) + struct.pack(">I", 11) + string(b"bye") + string(b""))


@dataclass(slots=True)
class SshSession:
    """What NASL's session table holds: the client (None if it never connected) and more."""

    client: SshClient | None
    #: The NASL socket handle the session speaks over.
    socket: int
    #: Whether ``ssh_connect`` opened that socket itself (``ssh_disconnect`` closes it).
    owns_socket: bool
    user: bytes | None = None
    user_set: bool = False
    #: libssh's bit set of authentication methods, once asked (``SSH_AUTH_METHOD_*``).
    methods: int | None = None

    def end(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client = None
