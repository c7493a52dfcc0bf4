"""The two forms of ``auth/hash`` (spec §1.5, §7.2): nessus-adduser's MD5 and ixion's scrypt.

nessus-adduser wrote ``<hex md5(seed + password)> <seed>`` (or the bare hex MD5). ixion writes
scrypt in the PHC string form, ``$scrypt$ln=15,r=8,p=1$<salt>$<hash>`` with unpadded base64;
it starts with ``$``, so it can never be read as the legacy form, and an old nessusd reads it
as a malformed hash and refuses the login rather than letting anyone in.

A check says whether it ran a scrypt, so that :class:`~ixion.server.users.UserStore` can make
every login attempt cost one (:func:`spend_scrypt`): how long the answer takes must not tell
whether the name exists or how its password is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_COST", "HashCheck", "ScryptCost", "check_hash", "scrypt_line", "spend_scrypt"]

#: The most memory one hash may ask for. A hash file states its own cost, and a damaged or
#: hostile one must not make every login attempt allocate gigabytes.
_MAX_SCRYPT_MEMORY: Final = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ScryptCost:
    """scrypt's work factors for new hashes; verification reads them from the hash itself.

    The default, N = 2**15, r = 8, p = 1, is the figure the Go scrypt package recommends for
    interactive logins: about 0.1 s and 32 MiB per login attempt.
    """

    log2_n: int = 15
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not (1 <= self.log2_n <= 24 and 1 <= self.r <= 64 and 1 <= self.p <= 16):
            raise ValueError(f"scrypt cost out of range: {self}")
        if self.memory > _MAX_SCRYPT_MEMORY:
            raise ValueError(f"scrypt cost needs {self.memory} bytes, over the cap: {self}")

    @property
    def memory(self) -> int:
        """Bytes scrypt needs: OpenSSL's ``128 * r * (N + p + 2)``, passed as ``maxmem``."""
        return 128 * self.r * ((1 << self.log2_n) + self.p + 2)


#: The cost of the hashes ``ixion-adduser`` writes.
DEFAULT_COST: Final = ScryptCost()


@dataclass(frozen=True, slots=True)
class HashCheck:
    """Whether a password matched a stored hash, and what the check cost."""

    matches: bool
    #: A scrypt ran; False for an MD5 hash or a line that could not be used.
    hashed: bool = False


def check_hash(stored: bytes, password: bytes) -> HashCheck:
    """Compare ``password`` (the client's bytes) with the content of an ``auth/hash`` file."""
    words = stored.split()
    if not words:
        return HashCheck(False)
    if words[0].startswith(b"$scrypt$"):
        return _scrypt_check(words[0], password)
    return HashCheck(_md5_matches(words[0], words[1] if len(words) > 1 else b"", password))


def spend_scrypt(cost: ScryptCost) -> None:
    """Do the work of one scrypt check at ``cost`` and throw the result away."""
    _scrypt(b"", _DUMMY_SALT, cost, _HASH_BYTES)


# --- nessus-adduser's MD5 --------------------------------------------------------------------

_MD5_HEX: Final = re.compile(rb"[0-9A-Fa-f]{32}")
#: nessusd read the seed with ``%32s``; nessus-adduser writes 32 hex characters.
_MAX_SEED: Final = 32


def _md5_matches(digest: bytes, seed: bytes, password: bytes) -> bool:
    """nessus-adduser's hash: hex MD5 of the seed bytes followed by the password bytes."""
    if not _MD5_HEX.fullmatch(digest) or len(seed) > _MAX_SEED:
        return False
    expected = bytes.fromhex(digest.decode("ascii"))
    return hmac.compare_digest(hashlib.md5(seed + password).digest(), expected)


# --- scrypt, in the PHC string format --------------------------------------------------------

_SCRYPT_LINE: Final = re.compile(
    rb"\$scrypt\$ln=([0-9]{1,2}),r=([0-9]{1,2}),p=([0-9]{1,2})"
    rb"\$([A-Za-z0-9+/]{11,86})\$([A-Za-z0-9+/]{22,86})"
)
_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32
#: Any salt does for work whose result nobody reads.
_DUMMY_SALT: Final = bytes(_SALT_BYTES)


def _scrypt(password: bytes, salt: bytes, cost: ScryptCost, size: int) -> bytes:
    return hashlib.scrypt(
        password,
        salt=salt,
        n=1 << cost.log2_n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory,
        dklen=size,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: bytes) -> bytes:
    return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)


def scrypt_line(password: bytes, cost: ScryptCost) -> bytes:
    """A new ``auth/hash`` line for ``password``, with a fresh salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, cost, _HASH_BYTES)
    params = f"ln={cost.log2_n},r={cost.r},p={cost.p}"
    return f"$scrypt${params}${_b64(salt)}${_b64(digest)}\n".encode("ascii")


def _scrypt_check(line: bytes, password: bytes) -> HashCheck:
    match = _SCRYPT_LINE.fullmatch(line)
    if match is None:
        return HashCheck(False)
    try:
        cost = ScryptCost(log2_n=int(match[1]), r=int(match[2]), p=int(match[3]))
        salt, expected = _unb64(match[4]), _unb64(match[5])
    except ValueError:  # binascii.Error included
        return HashCheck(False)
    digest = _scrypt(password, salt, cost, len(expected))
    return HashCheck(hmac.compare_digest(digest, expected), hashed=True)
