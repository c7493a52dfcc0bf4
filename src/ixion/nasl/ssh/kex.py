"""SSH-2 wire types and the client side of key exchange, for :mod:`ixion.nasl.ssh.wire`.

Key exchange methods (RFC 8731, 5656, 8268): curve25519-sha256, ecdh-sha2-nistp256/384/521,
diffie-hellman-group14-sha256/sha1. Host key signatures over the exchange hash are checked
for ssh-ed25519, ecdsa-sha2-nistp256/384/521 and RSA (ssh-rsa, rsa-sha2-256/512).
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "HOST_KEYS",
    "KEX",
    "KEX_INIT",
    "Exchange",
    "Reader",
    "SshError",
    "choose",
    "mpint",
    "name_list",
    "string",
    "verify",
]

KEX_INIT: Final = 30

KEX: Final = (
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group14-sha1",
)
HOST_KEYS: Final = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
)
_CURVES: Final = {
    "nistp256": (ec.SECP256R1, "sha256"),
    "nistp384": (ec.SECP384R1, "sha384"),
    "nistp521": (ec.SECP521R1, "sha512"),
}
_HASHES: Final[dict[str, Callable[[], hashes.HashAlgorithm]]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_RSA_HASHES: Final[dict[str, Callable[[], hashes.HashAlgorithm]]] = {
    "ssh-rsa": hashes.SHA1,
    "rsa-sha2-256": hashes.SHA256,
    "rsa-sha2-512": hashes.SHA512,
}
#: RFC 3526 group 14 (2048-bit MODP), generator 2.
_GROUP14: Final = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E"
    "3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF"
    "5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D3"
    "9A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08"
    "CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF69558171839"
    "95497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)


class SshError(Exception):
    """The connection failed, the peer broke the protocol, or nothing agreed."""


def string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def mpint(value: int) -> bytes:
    if value == 0:
        return string(b"")
    return string(value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def name_list(names: tuple[str, ...] | list[str]) -> bytes:
    return string(",".join(names).encode())


class Reader:
    """Reads the SSH wire types out of one message."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise SshError("truncated message")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.uint32())

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    def names(self) -> list[str]:
        text = self.string().decode("ascii", "replace")
        return text.split(",") if text else []


def choose(ours: tuple[str, ...] | list[str], theirs: list[str], what: str) -> str:
    for name in ours:
        if name in theirs:
            return name
    raise SshError(f"no common {what} algorithm (the server offers {','.join(theirs)})")


def verify(key_blob: bytes, sig_blob: bytes, data: bytes) -> None:
    """Check the host key's signature over the exchange hash; SshError if it is wrong."""
    key, sig = Reader(key_blob), Reader(sig_blob)
    key_type, sig_type = key.string().decode("ascii", "replace"), sig.string().decode()
    signature = sig.string()
    try:
        if key_type == "ssh-ed25519" and sig_type == key_type:
            ed25519.Ed25519PublicKey.from_public_bytes(key.string()).verify(signature, data)
        elif key_type.startswith("ecdsa-sha2-") and sig_type == key_type:
            curve, hash_name = _CURVES[key.string().decode()]
            point = ec.EllipticCurvePublicKey.from_encoded_point(curve(), key.string())
            rs = Reader(signature)
            der = encode_dss_signature(rs.mpint(), rs.mpint())
            point.verify(der, data, ec.ECDSA(_HASHES[hash_name]()))
        elif key_type == "ssh-rsa" and sig_type in _RSA_HASHES:
            e, n = key.mpint(), key.mpint()
            public = rsa.RSAPublicNumbers(e, n).public_key()
            public.verify(signature, data, padding.PKCS1v15(), _RSA_HASHES[sig_type]())
        else:
            raise SshError(f"cannot check a {sig_type} signature by a {key_type} key")
    except (InvalidSignature, KeyError, ValueError) as err:
        raise SshError("the server's host key signature does not verify") from err


class Exchange:
    """One key exchange, client side: :attr:`payload` to send, then :meth:`finish`."""

    def __init__(self, kex: str) -> None:
        self.kex = kex
        self._x = 0
        self._x25519: x25519.X25519PrivateKey | None = None
        self._ec: ec.EllipticCurvePrivateKey | None = None
        if kex.startswith("curve25519"):
            self._x25519 = x25519.X25519PrivateKey.generate()
            q_c = self._x25519.public_key().public_bytes_raw()
            self.hash_name = "sha256"
        elif kex.startswith("ecdh-sha2-"):
            curve, self.hash_name = _CURVES[kex.removeprefix("ecdh-sha2-")]
            self._ec = ec.generate_private_key(curve())
            q_c = self._ec.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        else:
            self.hash_name = "sha256" if kex.endswith("sha256") else "sha1"
            self._x = int.from_bytes(os.urandom(32), "big")
            q_c = mpint(pow(2, self._x, _GROUP14))
        #: Q_C (or e) as it is sent and as it goes into the exchange hash.
        self.client_value = q_c if kex.startswith("diffie") else string(q_c)
        self.payload = bytes([KEX_INIT]) + self.client_value

    def finish(self, reply: Reader) -> tuple[bytes, bytes, int]:
        """From the reply (past its type): the host key blob, Q_S (or f) as hashed, K."""
        host_key = reply.string()
        if self.kex.startswith("diffie"):
            f = reply.mpint()
            if not 1 < f < _GROUP14 - 1:
                raise SshError("bad Diffie-Hellman value from the server")
            return host_key, mpint(f), pow(f, self._x, _GROUP14)
        raw = reply.string()
        try:
            if self._x25519 is not None:
                shared = self._x25519.exchange(x25519.X25519PublicKey.from_public_bytes(raw))
            else:
                assert self._ec is not None
                peer = ec.EllipticCurvePublicKey.from_encoded_point(self._ec.curve, raw)
                shared = self._ec.exchange(ec.ECDH(), peer)
        except ValueError as err:
            raise SshError("bad key exchange value from the server") from err
        return host_key, string(raw), int.from_bytes(shared, "big")
