"""Digests, HMACs and zlib (nasl.md §6.2 T1; C's ``nasl_crypto.c``, ``nasl_misc_funcs.c``).

``MD5(data)`` and friends take their data positionally and return the raw digest as data;
``HMAC_*(key:, data:)`` likewise. MD4 (NTLM's hash) is computed here in Python: OpenSSL 3
moved it to the legacy provider, so ``hashlib.new("md4")`` fails on most systems.
``gzip(data:, headformat:)`` writes a gzip stream when ``headformat`` is ``"gzip"``, else a
zlib one; ``gunzip(data:)`` reads either (zlib's header detection), and stops at the
string limit so that a small bomb cannot inflate past it.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call
    from ixion.nasl.runtime.values import Value

__all__ = ["FUNCTIONS", "md4"]

_MASK: Final = 0xFFFFFFFF
#: RFC 1320's round 2 and 3 constants and the word orders of round 3.
_R2: Final = 0x5A827999
_R3: Final = 0x6ED9EBA1
_ORDER3: Final = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK


def md4(data: bytes) -> bytes:
    """The MD4 digest of ``data`` (RFC 1320)."""
    message = data + b"\x80" + b"\0" * ((55 - len(data)) % 64) + struct.pack("<Q", len(data) * 8)
    state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    for offset in range(0, len(message), 64):
        x = struct.unpack("<16I", message[offset : offset + 64])
        a, b, c, d = state
        for i in range(16):  # round 1: F(b, c, d) = (b & c) | (~b & d)
            a = _rotl((a + ((b & c) | (~b & d)) + x[i]) & _MASK, (3, 7, 11, 19)[i % 4])
            a, b, c, d = d, a, b, c
        for i in range(16):  # round 2: G = majority, words by column
            k = (i % 4) * 4 + i // 4
            g = (b & c) | (b & d) | (c & d)
            a = _rotl((a + g + x[k] + _R2) & _MASK, (3, 5, 9, 13)[i % 4])
            a, b, c, d = d, a, b, c
        for i in range(16):  # round 3: H = parity
            a = _rotl((a + (b ^ c ^ d) + x[_ORDER3[i]] + _R3) & _MASK, (3, 9, 11, 15)[i % 4])
            a, b, c, d = d, a, b, c
        state = [(s + v) & _MASK for s, v in zip(state, (a, b, c, d), strict=True)]
    return struct.pack("<4I", *state)


def _digest(function: Callable[[bytes], bytes]) -> Callable[[Call], Value]:
    def digest(call: Call) -> Value:
        data = call.text(0)
        return None if data is None else function(data)

    return digest


def _hmac(name: str) -> Callable[[Call], Value]:
    def keyed(call: Call) -> Value:
        key, data = call.text("key"), call.text("data")
        if key is None or data is None:
            call.warn(f"HMAC_{name.upper()}: key and data are both needed")
            return None
        return hmac.new(key, data, name).digest()

    return keyed


def _gzip(call: Call) -> Value:
    data = call.text("data")
    if data is None:
        return None
    wbits = 31 if call.text("headformat") == b"gzip" else 15
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


def _gunzip(call: Call) -> Value:
    data = call.text("data")
    if data is None:
        return None
    limit = call.rt.services.limits.max_string
    unpacker = zlib.decompressobj(47)  # 32 + 15: zlib or gzip, whichever the header says
    try:
        result = unpacker.decompress(data, limit + 1)
    except zlib.error:
        return None
    return call.rt.check_string(result)


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "MD4": _digest(md4),
    "MD5": _digest(lambda data: hashlib.md5(data).digest()),
    "SHA1": _digest(lambda data: hashlib.sha1(data).digest()),
    "SHA256": _digest(lambda data: hashlib.sha256(data).digest()),
    "HMAC_MD5": _hmac("md5"),
    "HMAC_SHA1": _hmac("sha1"),
    "HMAC_SHA256": _hmac("sha256"),
    "gzip": _gzip,
    "gunzip": _gunzip,
}
