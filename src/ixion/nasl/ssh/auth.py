"""Public key user authentication (RFC 4252 §7) for :class:`~ixion.nasl.ssh.wire.SshClient`.

Authenticated scans usually log in with a key, handed to ``ssh_userauth`` as the text of a
private key (the ``Secret/SSH/privatekey`` KB item). This module turns that text into a
:class:`ClientKey` and proves it to the server:

* keys in OpenSSH's own format or in PEM (PKCS#1, PKCS#8, SEC1), loaded by
  :mod:`cryptography`, with the passphrase when one is given (a passphrase given for a
  key that is not encrypted is ignored, as libssh ignores it); encrypted OpenSSH keys need
  the ``bcrypt`` module, which :mod:`cryptography` asks for;
* ssh-ed25519 (RFC 8709), ecdsa-sha2-nistp256/384/521 (RFC 5656) and RSA, signed with
  rsa-sha2-512 or rsa-sha2-256 (RFC 8332) and with ssh-rsa (SHA-1) only for servers that
  take neither, since old servers are exactly what a scanner meets;
* each algorithm is first offered without a signature, and only one the server answers
  with ``SSH_MSG_USERAUTH_PK_OK`` is signed: ixion asks for no ``server-sig-algs``
  (RFC 8308), so this is how it learns which RSA signature the server takes, and a key
  the server does not want is never signed at all (libssh asks the same way).

A key that does not load raises :class:`KeyLoadError`, whose message says why, for the
warning the caller gives.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_ssh_private_key,
)

from ixion.nasl.ssh.kex import SshError, mpint, string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.ssh.wire import SshClient

__all__ = ["ClientKey", "KeyLoadError", "auth_publickey", "load_key"]

#: RFC 4252's answer to an unsigned request: the server would take this key.
USERAUTH_PK_OK: Final = 60
_REQUEST, _FAILURE, _SUCCESS = 50, 51, 52
_SigningKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
#: Curve name -> (SSH algorithm, hash of the signature).
_CURVES: Final[dict[str, tuple[str, Callable[[], hashes.HashAlgorithm]]]] = {
    "secp256r1": ("ecdsa-sha2-nistp256", hashes.SHA256),
    "secp384r1": ("ecdsa-sha2-nistp384", hashes.SHA384),
    "secp521r1": ("ecdsa-sha2-nistp521", hashes.SHA512),
}
#: The RSA signature algorithms, best first; ssh-rsa last, for servers that know no other.
_RSA: Final[dict[str, Callable[[], hashes.HashAlgorithm]]] = {
    "rsa-sha2-512": hashes.SHA512,
    "rsa-sha2-256": hashes.SHA256,
    "ssh-rsa": hashes.SHA1,
}


class KeyLoadError(Exception):
    """The private key text gave no key this module can sign with; the message says why."""


@dataclass(frozen=True, slots=True)
class ClientKey:
    """A private key ready to sign, with its public blob and the algorithms to offer."""

    key: _SigningKey
    #: The public key as the wire carries it (RFC 4253 §6.6).
    blob: bytes
    #: The signature algorithms to offer, in the order they are tried.
    algorithms: tuple[str, ...]

    def sign(self, algorithm: str, data: bytes) -> bytes:
        """The signature blob (``string`` algorithm, ``string`` signature) over ``data``."""
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.sign(data)
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(_CURVES[key.curve.name][1]())))
            raw = mpint(r) + mpint(s)
        else:
            raw = key.sign(data, padding.PKCS1v15(), _RSA[algorithm]())
        return string(algorithm.encode()) + string(raw)


def _parse(text: bytes, passphrase: bytes | None) -> object:
    """The key object :mod:`cryptography` reads from ``text``, in either format."""
    if b"BEGIN OPENSSH PRIVATE KEY" in text:
        return load_ssh_private_key(text, passphrase)
    return load_pem_private_key(text, passphrase)


def load_key(text: bytes, passphrase: bytes | None) -> ClientKey:
    """The key in ``text``; KeyLoadError when it does not load or cannot sign for SSH."""
    text = text.strip().replace(b"\r\n", b"\n") + b"\n"
    phrase = passphrase or None
    try:
        try:
            key = _parse(text, phrase)
        except TypeError:
            # Either a passphrase for a key that has none (libssh ignores it: so do we),
            # or an encrypted key and no passphrase.
            if phrase is None:
                raise KeyLoadError("the key is encrypted and no passphrase was given") from None
            key = _parse(text, None)
    except UnsupportedAlgorithm as err:
        raise KeyLoadError(f"cannot decrypt or read the key ({err})") from err
    except ValueError as err:
        why = "a wrong passphrase" if phrase else "not a private key"
        raise KeyLoadError(f"{why} (OpenSSH and PEM formats are read)") from err
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithms: tuple[str, ...] = ("ssh-ed25519",)
    elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        algorithms = (_CURVES[key.curve.name][0],)
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithms = tuple(_RSA)
    else:
        raise KeyLoadError(f"unsupported key type {type(key).__name__}")
    line = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    try:
        blob = base64.b64decode(line.split()[1], validate=True)
    except (IndexError, binascii.Error) as err:  # pragma: no cover - cryptography's own output
        raise KeyLoadError("the public key does not encode") from err
    return ClientKey(key, blob, algorithms)


def auth_publickey(client: SshClient, user: bytes, key: ClientKey) -> bool:
    """Log in as ``user`` with ``key``: True on USERAUTH_SUCCESS, False when the server
    wants none of the key's algorithms or refuses the signature (a partial success, which
    asks for another method as well, is a refusal too). SshError on a broken exchange."""
    for algorithm in key.algorithms:
        offer = string(algorithm.encode()) + string(key.blob)
        reply = client.userauth(user, b"publickey", b"\0" + offer)
        kind = reply.byte()
        if kind == _SUCCESS:  # a lenient server lets the mere offer in
            return True
        if kind == _FAILURE:
            continue
        if kind != USERAUTH_PK_OK:
            raise SshError(f"unexpected answer {kind} to a public key offer")
        signed = (
            string(client.session_id)
            + bytes([_REQUEST])
            + string(user)
            + string(b"ssh-connection")
            + string(b"publickey")
            + b"\1"
            + offer
        )
        signature = key.sign(algorithm, signed)
        answer = client.userauth(user, b"publickey", b"\1" + offer + string(signature))
        kind = answer.byte()
        if kind not in (_SUCCESS, _FAILURE):
            raise SshError(f"unexpected answer {kind} to a signed public key request")
        return kind == _SUCCESS
    return False
