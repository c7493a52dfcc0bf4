"""DNS messages (RFC 1035 §4) as the DNS checks need them: queries out, answers in.

Not a plugin. Names are read with compression pointers (§4.1.4), each of which must point
backwards, so a hostile message cannot loop; everything read is bounded by the message, and
a malformed one raises :class:`DnsError`. Over TCP a message is preceded by its length in
two bytes (§4.2.2): :func:`read_tcp_message`.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugins._checks import read_exact

if TYPE_CHECKING:
    from ixion.plugin_api.context import Stream

__all__ = [
    "DnsError",
    "Message",
    "Rcode",
    "Record",
    "RrType",
    "parse_message",
    "query",
    "read_tcp_message",
    "tcp_framed",
]

_HEADER: Final = struct.Struct(">HHHHHH")
_IN: Final = 1
#: Labels followed in one name at most (a name has at most 127).
_MAX_LABELS: Final = 128


class DnsError(ValueError):
    """Not a DNS message, or a broken one."""


class RrType(enum.IntEnum):
    A = 1
    NS = 2
    CNAME = 5
    SOA = 6
    PTR = 12
    MX = 15
    TXT = 16
    AAAA = 28
    AXFR = 252


class Rcode(enum.IntEnum):
    NOERROR = 0
    FORMERR = 1
    SERVFAIL = 2
    NXDOMAIN = 3
    NOTIMP = 4
    REFUSED = 5
    NOTAUTH = 9


@dataclass(frozen=True, slots=True)
class Record:
    """A resource record; ``target`` is the name a NS, CNAME, PTR, MX or SOA points to."""

    name: str
    type: int
    ttl: int
    data: bytes
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    flags: int
    answers: tuple[Record, ...]
    authority: tuple[Record, ...]

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def authoritative(self) -> bool:
        return bool(self.flags & 0x0400)

    @property
    def recursion_available(self) -> bool:
        return bool(self.flags & 0x0080)

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 0x8000)


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        if label:
            data = label.encode("idna") if not label.isascii() else label.encode()
            if len(data) > 63:
                raise ValueError(f"label too long in {name!r}")
            out += bytes([len(data)]) + data
    return out + b"\0"


def query(message_id: int, name: str, rr_type: int, *, recursion: bool) -> bytes:
    """A standard query for ``name`` (class IN); RD set when ``recursion``."""
    flags = 0x0100 if recursion else 0
    header = _HEADER.pack(message_id, flags, 1, 0, 0, 0)
    return header + _encode_name(name) + struct.pack(">HH", rr_type, _IN)


def tcp_framed(message: bytes) -> bytes:
    return struct.pack(">H", len(message)) + message


def _read_name(data: bytes, at: int) -> tuple[str, int]:
    """The name at ``at`` and where the field ends (after the first pointer, if any)."""
    labels: list[str] = []
    end: int | None = None
    for _ in range(_MAX_LABELS):
        if at >= len(data):
            raise DnsError("name runs past the message")
        size = data[at]
        if size == 0:
            return ".".join(labels) + ".", (at + 1 if end is None else end)
        if size & 0xC0 == 0xC0:
            if at + 1 >= len(data):
                raise DnsError("truncated compression pointer")
            pointer = ((size & 0x3F) << 8) | data[at + 1]
            if pointer >= at:
                raise DnsError("compression pointer does not point backwards")
            if end is None:
                end = at + 2
            at = pointer
            continue
        if size & 0xC0:
            raise DnsError("unknown label type")
        label = data[at + 1 : at + 1 + size]
        if len(label) < size:
            raise DnsError("label runs past the message")
        labels.append(label.decode("ascii", "replace"))
        at += 1 + size
    raise DnsError("name with too many labels")


def _read_record(data: bytes, at: int) -> tuple[Record, int]:
    name, at = _read_name(data, at)
    if at + 10 > len(data):
        raise DnsError("truncated record")
    rr_type, _, ttl, size = struct.unpack_from(">HHIH", data, at)
    at += 10
    rdata = data[at : at + size]
    if len(rdata) < size:
        raise DnsError("record data runs past the message")
    target = None
    if rr_type in (RrType.NS, RrType.CNAME, RrType.PTR, RrType.SOA):
        target = _read_name(data, at)[0]
    elif rr_type == RrType.MX and size > 2:
        target = _read_name(data, at + 2)[0]
    return Record(name, rr_type, ttl, rdata, target), at + size


def parse_message(data: bytes) -> Message:
    """The header, answer and authority sections of ``data`` (questions skipped)."""
    if len(data) < _HEADER.size:
        raise DnsError("shorter than a DNS header")
    message_id, flags, questions, answers, authorities, _ = _HEADER.unpack_from(data)
    at = _HEADER.size
    for _ in range(questions):
        at = _read_name(data, at)[1] + 4
    sections: list[tuple[Record, ...]] = []
    for count in (answers, authorities):
        records = []
        for _ in range(count):
            record, at = _read_record(data, at)
            records.append(record)
        sections.append(tuple(records))
    return Message(message_id, flags, sections[0], sections[1])


async def read_tcp_message(stream: Stream, *, timeout: float | None = None) -> bytes | None:
    """One length-prefixed message from a TCP stream; None at its end or when cut short."""
    head = await read_exact(stream, 2, timeout=timeout)
    if len(head) < 2:
        return None
    size = struct.unpack(">H", head)[0]
    body = await read_exact(stream, size, timeout=timeout)
    return body if len(body) == size else None
