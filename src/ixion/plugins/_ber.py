"""The subset of ASN.1 BER (ITU-T X.690) that SNMP messages (v1, v2c, v3) use, both ways.

Not a plugin. Encoding produces definite lengths and minimal integers, as DER would;
decoding accepts any definite length (agents use the long form freely) and refuses
indefinite lengths, which SNMP forbids (RFC 3417 §8). Everything read is bounded by the
datagram it came in, so a hostile answer can only fail to parse: :class:`BerError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "INTEGER",
    "NULL",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "BerError",
    "Tlv",
    "decode_integer",
    "decode_oid",
    "encode_integer",
    "encode_oid",
    "read_all",
    "read_tlv",
    "tlv",
]

INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OID: Final = 0x06
SEQUENCE: Final = 0x30
#: Longest length field read: four bytes is more than any datagram holds.
_MAX_LENGTH_BYTES: Final = 4


class BerError(ValueError):
    """The bytes are not the BER expected (truncated, indefinite length, bad value)."""


@dataclass(frozen=True, slots=True)
class Tlv:
    """One element: its tag byte and its contents (for a constructed one, the inner TLVs)."""

    tag: int
    value: bytes


def tlv(tag: int, value: bytes) -> bytes:
    """``tag``, the definite length of ``value``, then ``value``."""
    size = len(value)
    if size < 0x80:
        return bytes([tag, size]) + value
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + value


def encode_integer(number: int) -> bytes:
    """An INTEGER, two's complement in as few bytes as hold it."""
    size = max(1, (number + (number < 0)).bit_length() // 8 + 1)
    return tlv(INTEGER, number.to_bytes(size, "big", signed=True))


def encode_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER from ``1.3.6.1...``: the first two arcs as 40*x+y, then each
    arc in base 128, high bit set on every byte but the last."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"not an object identifier: {dotted!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(OID, bytes(body))


def read_tlv(data: bytes, at: int = 0) -> tuple[Tlv, int]:
    """The element at ``at`` and where the next one starts."""
    if at + 2 > len(data):
        raise BerError("truncated element")
    tag, first = data[at], data[at + 1]
    at += 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > _MAX_LENGTH_BYTES:
            raise BerError("indefinite or oversized length")
        if at + count > len(data):
            raise BerError("truncated length")
        size = int.from_bytes(data[at : at + count], "big")
        at += count
    else:
        size = first
    if at + size > len(data):
        raise BerError("element longer than the data")
    return Tlv(tag, data[at : at + size]), at + size


def read_all(data: bytes) -> list[Tlv]:
    """Every element of ``data``, in order (the contents of a SEQUENCE)."""
    elements, at = [], 0
    while at < len(data):
        element, at = read_tlv(data, at)
        elements.append(element)
    return elements


def decode_integer(element: Tlv) -> int:
    if element.tag != INTEGER or not element.value:
        raise BerError(f"expected an INTEGER, got tag 0x{element.tag:02x}")
    return int.from_bytes(element.value, "big", signed=True)


def decode_oid(element: Tlv) -> str:
    if element.tag != OID or not element.value:
        raise BerError(f"expected an OBJECT IDENTIFIER, got tag 0x{element.tag:02x}")
    arcs, arc = [], 0
    for byte in element.value:
        arc = (arc << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(arc)
            arc = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])
