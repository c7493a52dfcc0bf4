"""A TLS ClientHello written by hand, and the server's first answer read back.

For what OpenSSL on the scanning machine cannot ask: Debian's OpenSSL 3 has no SSL 3.0 and
no RC4, DES, triple-DES or export suites, yet the question is whether the *server* still
accepts them. Only the first flight is exchanged: the ServerHello names the version and the
suite the server chose, which is its decision; nothing follows it, so no key is agreed and
nothing weak ever carries data. The connection comes from ``ctx.connect``, so it goes to the
scanned host only, with the context's timeouts.

The hello carries what a server needs to choose freely: the server name (when the target is
a name), elliptic curves and point formats (for ECDHE and ECDH suites), signature algorithms
(TLS 1.2), an empty renegotiation_info, and padding to 512 bytes when the hello would
otherwise be 256 to 511 bytes long, a size some old load balancers hang on (RFC 7685).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ixion.plugin_api.context import PluginContext, Stream

__all__ = [
    "VERSIONS",
    "ServerHello",
    "accepted_suites",
    "client_hello",
    "parse_server_hello",
    "probe",
    "read_server_hello",
]

#: Wire numbers of the versions a hand-written hello asks for, by OpenSSL's names.
VERSIONS: Final = {"SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303}
_TLS_1_0, _TLS_1_2 = VERSIONS["TLSv1"], VERSIONS["TLSv1.2"]

_HANDSHAKE, _ALERT = 22, 21
_CLIENT_HELLO, _SERVER_HELLO = 1, 2
#: A record's payload is at most 2^14 bytes plus what compression and a MAC add.
_MAX_RECORD: Final = 2**14 + 2048
#: Enough of the first handshake message: a ServerHello is well under 1 KiB.
_MAX_HELLO: Final = 64 * 1024

#: x25519, secp256r1, secp384r1, secp521r1, ffdhe2048.
_GROUPS: Final = (0x001D, 0x0017, 0x0018, 0x0019, 0x0100)
#: ECDSA and RSA-PSS with SHA-2, RSA PKCS#1 with SHA-2 and SHA-1, ECDSA and DSA with SHA-1.
_SIGNATURE_ALGORITHMS: Final = (
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203,
    0x0202,
)  # fmt: skip
_PADDING: Final = 0x0015


def _vector(length_bytes: int, data: bytes) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def _numbers(values: Iterable[int]) -> bytes:
    return b"".join(value.to_bytes(2, "big") for value in values)


def _extension(kind: int, data: bytes) -> bytes:
    return kind.to_bytes(2, "big") + _vector(2, data)


def _extensions(version: int, server_name: str) -> list[bytes]:
    found = []
    if server_name:
        host = server_name.encode("idna")
        found.append(_extension(0x0000, _vector(2, b"\x00" + _vector(2, host))))
    found.append(_extension(0x000A, _vector(2, _numbers(_GROUPS))))
    found.append(_extension(0x000B, _vector(1, b"\x00")))
    if version >= _TLS_1_2:
        found.append(_extension(0x000D, _vector(2, _numbers(_SIGNATURE_ALGORITHMS))))
    found.append(_extension(0xFF01, b"\x00"))
    return found


def client_hello(version: int, suites: Sequence[int], server_name: str = "") -> bytes:
    """One TLS record holding a ClientHello for ``version`` offering ``suites``.

    An SSL 3.0 hello carries no extensions (SSL 3.0 servers need not understand them).
    """
    body = version.to_bytes(2, "big") + os.urandom(32) + b"\x00"
    body += _vector(2, _numbers(suites)) + b"\x01\x00"  # no compression
    if version >= _TLS_1_0:
        extensions = b"".join(_extensions(version, server_name))
        # record header 5 + handshake header 4 + body + extensions' length 2
        size = 5 + 4 + len(body) + 2 + len(extensions)
        if 256 <= size < 512:
            extensions += _extension(_PADDING, bytes(max(0, 512 - size - 4)))
        body += _vector(2, extensions)
    handshake = bytes([_CLIENT_HELLO]) + _vector(3, body)
    record_version = min(version, _TLS_1_0)
    return bytes([_HANDSHAKE]) + record_version.to_bytes(2, "big") + _vector(2, handshake)


@dataclass(frozen=True, slots=True)
class ServerHello:
    """What the server chose: a protocol version and a cipher suite (wire numbers)."""

    version: int
    suite: int


def parse_server_hello(message: bytes) -> ServerHello | None:
    """A ServerHello handshake message (with its 4-byte header), or None if it is not one."""
    if len(message) < 4 or message[0] != _SERVER_HELLO:
        return None
    body = message[4 : 4 + int.from_bytes(message[1:4], "big")]
    if len(body) < 35:
        return None
    session_id_end = 35 + body[34]
    if len(body) < session_id_end + 3:
        return None
    version = int.from_bytes(body[0:2], "big")
    suite = int.from_bytes(body[session_id_end : session_id_end + 2], "big")
    return ServerHello(version, suite)


async def _exactly(stream: Stream, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await stream.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


async def read_server_hello(stream: Stream) -> ServerHello | None:
    """The server's ServerHello; None for an alert, anything else, silence or a close.

    The whole answer is bounded by the stream's timeout, so a server dripping bytes cannot
    hold the check longer than one silent read would.
    """
    handshake = b""
    try:
        async with asyncio.timeout(stream.timeout):
            while len(handshake) < _MAX_HELLO:
                header = await _exactly(stream, 5)
                length = int.from_bytes(header[3:5], "big") if len(header) == 5 else 0
                if header[:1] != bytes([_HANDSHAKE]) or not 0 < length <= _MAX_RECORD:
                    return None  # an alert, an SSL 2 answer, garbage or nothing
                payload = await _exactly(stream, length)
                if len(payload) < length:
                    return None
                handshake += payload
                if len(handshake) >= 4:
                    needed = 4 + int.from_bytes(handshake[1:4], "big")
                    if handshake[0] != _SERVER_HELLO or needed > _MAX_HELLO:
                        return None
                    if len(handshake) >= needed:
                        return parse_server_hello(handshake[:needed])
    except TimeoutError:
        return None
    return None


async def probe(
    ctx: PluginContext, port: int, version: int, suites: Sequence[int], server_name: str = ""
) -> ServerHello | None:
    """Offer ``suites`` at ``version`` on a fresh connection; what the server chose, if any."""
    try:
        async with await ctx.connect(port) as stream:
            await stream.send(client_hello(version, suites, server_name))
            return await read_server_hello(stream)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: hello at 0x%04x: %r", port, version, exc)
        return None


async def accepted_suites(
    ctx: PluginContext, port: int, version: int, suites: Sequence[int], server_name: str = ""
) -> list[int]:
    """Which of ``suites`` the server accepts at ``version``, in the order it chose them.

    Offer all of them; the one chosen is accepted; offer the rest; until the server refuses
    them all (or answers at another version, or with a suite that was not offered, which a
    sound server never does). One connection per accepted suite, plus one.
    """
    offered = list(suites)
    accepted: list[int] = []
    while offered:
        hello = await probe(ctx, port, version, offered, server_name)
        if hello is None or hello.version != version or hello.suite not in offered:
            break
        accepted.append(hello.suite)
        offered.remove(hello.suite)
    return accepted
