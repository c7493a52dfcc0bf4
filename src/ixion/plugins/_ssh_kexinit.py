"""The first steps of SSH-2, up to the server's list of algorithms (RFC 4253 §4.2, §6, §7.1).

Every SSH-2 server, before anyone logs in, sends an identification line and then, in the
first binary packet (unencrypted: no keys exist yet), ``SSH_MSG_KEXINIT``: the key exchange,
host key, encryption, MAC and compression algorithms it accepts. What it offers is what a
client could be talked into using, so reading this packet is enough to judge the server's
configuration; nothing more is sent than our own identification line, and the connection is
closed before any key exchange.

The parsing (:func:`parse_identification`, :func:`packet_payload`, :func:`parse_kexinit`) is
pure; :func:`read_server_kexinit` drives it over a plugin's
:class:`~ixion.plugin_api.context.Stream`. A server that breaks the protocol ends the exchange
with :class:`SshWireError`, whose message says what was wrong; a reset or refused connection
is an ``OSError``, silence past the budget an :class:`SshWireError` too.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugins._checks import read_exact
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import Stream

__all__ = [
    "CLIENT_IDENTIFICATION",
    "MAX_PACKET",
    "MSG_KEXINIT",
    "NAME_LISTS",
    "KexInit",
    "ServerKexInit",
    "SshWireError",
    "encode_kexinit",
    "frame_packet",
    "packet_length",
    "packet_payload",
    "parse_identification",
    "parse_kexinit",
    "read_server_kexinit",
]

#: What we say we are (RFC 4253 §4.2: no spaces or dashes in the software version).
CLIENT_IDENTIFICATION: Final = b"SSH-2.0-ixion_0.1\r\n"
#: Message numbers (RFC 4250 §4.1.2) this exchange may meet.
MSG_DISCONNECT, MSG_IGNORE, MSG_DEBUG, MSG_KEXINIT = 1, 2, 4, 20
#: RFC 4253 §6.1: implementations must handle packets up to 35000 bytes. A KEXINIT is 1-2 KB,
#: so a length above this is garbage (often text: "Prot" from "Protocol mismatch." reads
#: as 1.3 billion).
MAX_PACKET: Final = 35000
#: RFC 4253 §6: at least four bytes of padding, and a payload of at least one byte.
MIN_PADDING: Final = 4
#: RFC 4253 §4.2 allows lines before the identification; real servers send none or a few
#: (a legal notice). More than this is a server talking about something else.
MAX_OTHER_LINES: Final = 64
#: The identification line is at most 255 characters (RFC 4253 §4.2); other lines have no
#: limit in the RFC, so they get four times that before the server counts as garbage.
MAX_LINE: Final = 1024
#: Packets a server may send before its KEXINIT: IGNORE and DEBUG are allowed at any time
#: (RFC 4253 §11.2, §11.3), but nobody sends more than one or two.
MAX_SKIPPED_PACKETS: Final = 8
#: RFC 4251 §6: an algorithm name has 1 to 64 printable US-ASCII characters.
MAX_NAME: Final = 64
#: The ten name-lists of a KEXINIT, in wire order (RFC 4253 §7.1), as :class:`KexInit` names them.
NAME_LISTS: Final = (
    "kex_algorithms",
    "server_host_key_algorithms",
    "encryption_algorithms_client_to_server",
    "encryption_algorithms_server_to_client",
    "mac_algorithms_client_to_server",
    "mac_algorithms_server_to_client",
    "compression_algorithms_client_to_server",
    "compression_algorithms_server_to_client",
    "languages_client_to_server",
    "languages_server_to_client",
)


class SshWireError(ValueError):
    """The server broke SSH before or in its KEXINIT; the message says how, for the log."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KexInit:
    """``SSH_MSG_KEXINIT`` (RFC 4253 §7.1): the name-lists in wire order, then the flags.

    Each list holds the algorithm names in the sender's order of preference.
    """

    cookie: bytes = bytes(16)
    kex_algorithms: tuple[str, ...] = ()
    server_host_key_algorithms: tuple[str, ...] = ()
    encryption_algorithms_client_to_server: tuple[str, ...] = ()
    encryption_algorithms_server_to_client: tuple[str, ...] = ()
    mac_algorithms_client_to_server: tuple[str, ...] = ()
    mac_algorithms_server_to_client: tuple[str, ...] = ()
    compression_algorithms_client_to_server: tuple[str, ...] = ()
    compression_algorithms_server_to_client: tuple[str, ...] = ()
    languages_client_to_server: tuple[str, ...] = ()
    languages_server_to_client: tuple[str, ...] = ()
    first_kex_packet_follows: bool = False
    reserved: int = 0

    def __post_init__(self) -> None:
        if len(self.cookie) != 16:
            raise ValueError(f"a KEXINIT cookie has 16 bytes, not {len(self.cookie)}")
        for name in NAME_LISTS:
            for algorithm in getattr(self, name):
                _check_name(algorithm, name)
        if not 0 <= self.reserved < 2**32:
            raise ValueError(f"reserved is a uint32, not {self.reserved}")


@dataclass(frozen=True, slots=True)
class ServerKexInit:
    """What a server said before any key exchange: its identification line and KEXINIT."""

    identification: str
    kexinit: KexInit


def _check_name(name: str, where: str) -> None:
    if not 0 < len(name) <= MAX_NAME or not all(0x21 <= ord(c) <= 0x7E for c in name):
        shown = printable(name.encode("utf-8", "replace"), MAX_NAME)
        raise ValueError(f"{where}: {shown!r} is not a 1-64 character printable ASCII name")
    if "," in name:
        raise ValueError(f"{where}: {name!r} contains a comma")


# --- encoding: the format, written once; the tests build servers' packets with it ----------


def _name_list(names: tuple[str, ...]) -> bytes:
    data = ",".join(names).encode("ascii")
    return len(data).to_bytes(4, "big") + data


def encode_kexinit(kexinit: KexInit) -> bytes:
    """The KEXINIT message (payload of one packet) for ``kexinit``."""
    lists = b"".join(_name_list(getattr(kexinit, name)) for name in NAME_LISTS)
    flags = bytes([kexinit.first_kex_packet_follows]) + kexinit.reserved.to_bytes(4, "big")
    return bytes([MSG_KEXINIT]) + kexinit.cookie + lists + flags


def frame_packet(payload: bytes, block_size: int = 8) -> bytes:
    """``payload`` as an unencrypted binary packet without MAC (RFC 4253 §6): length,
    padding length, payload, random padding, the whole a multiple of ``block_size``."""
    padding = block_size - (5 + len(payload)) % block_size
    if padding < MIN_PADDING:
        padding += block_size
    body = bytes([padding]) + payload + os.urandom(padding)
    return len(body).to_bytes(4, "big") + body


# --- decoding -------------------------------------------------------------------------------


def parse_identification(line: bytes) -> str:
    """The server's identification line (``SSH-2.0-OpenSSH_9.2p1 Debian-2``), as text.

    Raises:
        SshWireError: it is not ``SSH-2.0-...`` or ``SSH-1.99-...`` (1.99: both 1 and 2).
    """
    text = printable(line.rstrip(b"\r\n"), MAX_LINE)
    protocol = text.split("-", 2)[1] if text.count("-") >= 2 else ""
    if protocol in ("2.0", "1.99"):
        return text
    if protocol.startswith("1."):
        raise SshWireError(f"the server speaks SSH-1 only ({text!r}): it has no KEXINIT")
    raise SshWireError(f"not an SSH-2 identification line: {text[:80]!r}")


def packet_length(header: bytes) -> int:
    """The ``packet_length`` field of a packet's first four bytes, checked.

    Raises:
        SshWireError: out of range, which is what garbage in place of a packet looks like.
    """
    length = int.from_bytes(header[:4], "big")
    if not MIN_PADDING + 2 <= length <= MAX_PACKET:
        raise SshWireError(
            f"packet length {length} is not between {MIN_PADDING + 2} and {MAX_PACKET} "
            f"(the packet starts with {printable(header[:4], 4)!r})"
        )
    return length


def packet_payload(body: bytes) -> bytes:
    """The payload of a packet's body (what follows ``packet_length``: padding length,
    payload, padding; no MAC before the first key exchange).

    Raises:
        SshWireError: the padding is shorter than four bytes or leaves no payload.
    """
    padding = body[0] if body else 0
    if padding < MIN_PADDING or padding + 2 > len(body):
        raise SshWireError(f"padding length {padding} does not fit a {len(body)}-byte packet")
    return body[1 : len(body) - padding]


class _Reader:
    """Fields of a message, front to back; any field cut short is a :class:`SshWireError`."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.position, self.what = data, 0, what

    def take(self, size: int, field: str) -> bytes:
        end = self.position + size
        if end > len(self.data):
            raise SshWireError(
                f"{self.what} ends inside {field}: {len(self.data)} bytes, "
                f"{field} needs {end - len(self.data)} more"
            )
        chunk, self.position = self.data[self.position : end], end
        return chunk

    def uint32(self, field: str) -> int:
        return int.from_bytes(self.take(4, field), "big")

    def string(self, field: str) -> bytes:
        return self.take(self.uint32(field), field)


def _names(raw: bytes, field: str) -> tuple[str, ...]:
    """A name-list (RFC 4251 §5): comma-separated names; empty data is an empty list."""
    if not raw:
        return ()
    try:
        names = tuple(raw.decode("ascii").split(","))
        for name in names:
            _check_name(name, field)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SshWireError(f"KEXINIT {field}: not a list of algorithm names ({exc})") from None
    return names


def parse_kexinit(payload: bytes) -> KexInit:
    """The KEXINIT message in ``payload`` (bytes after the message number are ignored past
    the ``reserved`` field, room the RFC keeps for extensions).

    Raises:
        SshWireError: another message, a field missing or cut short, or a name-list that is
            not one.
    """
    if not payload or payload[0] != MSG_KEXINIT:
        kind = payload[0] if payload else "nothing"
        raise SshWireError(f"expected KEXINIT (message {MSG_KEXINIT}), got message {kind}")
    reader = _Reader(payload, "KEXINIT")
    reader.take(1, "message number")
    cookie = reader.take(16, "cookie")
    lists = {name: _names(reader.string(name), name) for name in NAME_LISTS}
    follows = reader.take(1, "first_kex_packet_follows")[0] != 0
    reserved = reader.uint32("reserved")
    return KexInit(cookie=cookie, **lists, first_kex_packet_follows=follows, reserved=reserved)


def _disconnect_reason(payload: bytes) -> str:
    """What an ``SSH_MSG_DISCONNECT`` (RFC 4253 §11.1) says, as well as it can be read."""
    reader = _Reader(payload[1:], "DISCONNECT")
    try:
        code = reader.uint32("reason code")
        return f"code {code}: {printable(reader.string('description'), 200)!r}"
    except SshWireError as exc:
        return str(exc)


# --- over a stream --------------------------------------------------------------------------


def _left(deadline: float) -> float:
    return max(0.0, deadline - asyncio.get_running_loop().time())


async def _identification(stream: Stream, deadline: float) -> str:
    """Lines until the one starting ``SSH-`` (RFC 4253 §4.2: others may come before it)."""
    for _ in range(MAX_OTHER_LINES + 1):
        line = await stream.read_line(timeout=_left(deadline))
        if not line:
            state = "closed the connection" if stream.at_eof else "went silent"
            raise SshWireError(f"the server {state} before its identification line")
        start = printable(line[:40], 40)
        if len(line) > MAX_LINE:
            raise SshWireError(f"a line longer than {MAX_LINE} bytes (it starts {start!r})")
        if not line.endswith(b"\n"):
            state = "closed the connection" if stream.at_eof else "went silent"
            raise SshWireError(f"the server {state} in the middle of a line ({start!r})")
        if line.startswith(b"SSH-"):
            return parse_identification(line)
    raise SshWireError(f"no identification line among the first {MAX_OTHER_LINES} lines")


async def _exactly(stream: Stream, size: int, deadline: float, what: str) -> bytes:
    data = await read_exact(stream, size, timeout=_left(deadline))
    if len(data) < size:
        state = "closed the connection" if stream.at_eof else "went silent"
        raise SshWireError(f"the server {state} after {len(data)} of the {size} bytes of {what}")
    return data


async def read_server_kexinit(stream: Stream, *, timeout: float | None = None) -> ServerKexInit:
    """Send our identification, then read the server's and its KEXINIT.

    ``timeout`` (by default twice the stream's: one wait for each of the two things read)
    bounds the whole exchange, so a server dripping a byte at a time cannot hold it longer.

    Raises:
        SshWireError: the server broke the protocol, disconnected or went silent.
        OSError: the connection failed (a reset, among others).
    """
    budget = 2 * stream.timeout if timeout is None else timeout
    deadline = asyncio.get_running_loop().time() + budget
    await stream.send(CLIENT_IDENTIFICATION)
    identification = await _identification(stream, deadline)
    for _ in range(MAX_SKIPPED_PACKETS + 1):
        length = packet_length(await _exactly(stream, 4, deadline, "a packet length"))
        payload = packet_payload(await _exactly(stream, length, deadline, "a packet"))
        kind = payload[0]
        if kind == MSG_KEXINIT:
            return ServerKexInit(identification, parse_kexinit(payload))
        if kind == MSG_DISCONNECT:
            raise SshWireError(f"the server disconnected ({_disconnect_reason(payload)})")
        if kind not in (MSG_IGNORE, MSG_DEBUG):
            raise SshWireError(f"expected KEXINIT (message {MSG_KEXINIT}), got message {kind}")
    raise SshWireError(f"no KEXINIT among the first {MAX_SKIPPED_PACKETS + 1} packets")
