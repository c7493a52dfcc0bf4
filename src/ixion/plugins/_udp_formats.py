"""The UDP probes whose packets have structure: DNS (RFC 1035), NetBIOS name service
(RFC 1002) and SNMP (RFC 1157, BER), each a query and the reading of its answer.

Every query carries a random token (DNS and NetBIOS transaction id, SNMP request-id) and an
answer is recognised only if it gives the token back: a datagram that merely arrived from
the port proves the port open, not the service. Readers never trust a length they read:
once the token matched, an answer too short or inconsistent for its details still names the
service, with no details.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

from ixion.plugins._support import printable

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "dns_answer",
    "dns_query",
    "nbstat_answer",
    "nbstat_query",
    "snmp_answer",
    "snmp_get",
]

#: What reading past the end, or a length that is not one, raises.
_BROKEN: Final = (IndexError, ValueError, struct.error)


def _details(read: Callable[[bytes, int, int], str], answer: bytes, count: int) -> str:
    """``read(answer, offset of the answers, count)``, or ``""`` if the answer is broken."""
    try:
        offset = 12
        for _ in range(struct.unpack_from("!H", answer, 4)[0]):  # questions
            offset = _skip_name(answer, offset) + 4
        return read(answer, offset, count)
    except _BROKEN:
        return ""


# --- DNS ---------------------------------------------------------------------------------------

_TXT, _PTR, _IN, _CHAOS = 16, 12, 1, 3
_RCODES: Final = {1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
#: Labels a name may have before the reader gives up (a loop of compression pointers).
_MAX_LABELS: Final = 128


def _name(*labels: bytes) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def dns_query(token: int, *, mdns: bool = False) -> bytes:
    """A DNS query: ``version.bind`` CH TXT (servers that hide it still answer, with an
    error), or for an mDNS responder the list of its service types."""
    header = struct.pack("!6H", token & 0xFFFF, 0, 1, 0, 0, 0)
    if mdns:
        return (
            header
            + _name(b"_services", b"_dns-sd", b"_udp", b"local")
            + struct.pack("!HH", _PTR, _IN)
        )
    return header + _name(b"version", b"bind") + struct.pack("!HH", _TXT, _CHAOS)


def _skip_name(data: bytes, offset: int) -> int:
    """The offset after the (possibly compressed) name at ``offset``."""
    for _ in range(_MAX_LABELS):
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + length
    raise ValueError("a name with too many labels")


def _response(answer: bytes, token: int) -> tuple[int, int] | None:
    """``(flags, answer count)`` of a DNS-style response to ``token``, else None."""
    if len(answer) < 12:
        return None
    ident, flags, _, answers = struct.unpack_from("!4H", answer)
    if ident != token & 0xFFFF or not flags & 0x8000:
        return None
    return flags, answers


def dns_answer(answer: bytes, token: int) -> str | None:
    """What a DNS answer says about the server (its ``version.bind``), None if not DNS."""
    response = _response(answer, token)
    if response is None:
        return None
    flags, answers = response
    rcode = flags & 0x000F
    if rcode:
        return f"version.bind: {_RCODES.get(rcode, f'error {rcode}')}"
    return _details(_version, answer, answers) if answers else ""


def _version(answer: bytes, offset: int, count: int) -> str:
    offset = _skip_name(answer, offset)
    rtype, _, _, size = struct.unpack_from("!HHIH", answer, offset)
    rdata = answer[offset + 10 : offset + 10 + size]
    if rtype != _TXT or not rdata:
        return f"{count} answer(s)"
    return f"version.bind: {printable(rdata[1 : 1 + rdata[0]], 200)}"


# --- NetBIOS name service ----------------------------------------------------------------------

_NBSTAT: Final = 0x0021
#: ``*`` padded with NULs to 16 bytes, in the "first level" encoding (each half byte + 'A').
_ANY_NAME: Final = b"\x20CK" + b"A" * 30 + b"\x00"
_GROUP: Final = 0x8000


def nbstat_query(token: int) -> bytes:
    """A node status request for ``*``: a Windows host or Samba lists its names."""
    return (
        struct.pack("!6H", token & 0xFFFF, 0, 1, 0, 0, 0)
        + _ANY_NAME
        + struct.pack("!HH", _NBSTAT, _IN)
    )


def nbstat_answer(answer: bytes, token: int) -> str | None:
    """The computer's name, its workgroup and MAC address, None if not NetBIOS."""
    response = _response(answer, token)
    if response is None:
        return None
    return _details(_node_status, answer, response[1]) if response[1] else ""


def _node_status(answer: bytes, offset: int, count: int) -> str:
    offset = _skip_name(answer, offset)
    rtype, _, _, _, names = struct.unpack_from("!HHIHB", answer, offset)
    if rtype != _NBSTAT:
        return ""
    offset += 11
    lines: dict[str, str] = {}
    for _ in range(names):
        name, suffix, flags = struct.unpack_from("!15sBH", answer, offset)
        offset += 18
        if suffix == 0:
            what = "Workgroup" if flags & _GROUP else "Computer name"
            lines.setdefault(what, printable(name.rstrip(b" \x00")))
    mac = answer[offset : offset + 6]
    if len(mac) == 6 and any(mac):
        lines["MAC address"] = mac.hex(":")
    return "\n".join(f"{what}: {value}" for what, value in lines.items())


# --- SNMP --------------------------------------------------------------------------------------

_INTEGER, _OCTETS, _NULL, _OID, _SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
_GET, _RESPONSE = 0xA0, 0xA2
#: 1.3.6.1.2.1.1.1.0, the agent's own description of its system.
_SYS_DESCR: Final = bytes.fromhex("2b06010201010100")
COMMUNITY: Final = b"public"


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _integer(value: int) -> bytes:
    """A non-negative INTEGER in its shortest form (a leading 0 keeps the sign bit clear)."""
    return _tlv(_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def snmp_get(token: int) -> bytes:
    """An SNMPv1 GetRequest for sysDescr.0 with the community ``public``."""
    binding = _tlv(_SEQUENCE, _tlv(_OID, _SYS_DESCR) + bytes([_NULL, 0]))
    pdu = _integer(token & 0x7FFFFFFF) + _integer(0) + _integer(0) + _tlv(_SEQUENCE, binding)
    return _tlv(_SEQUENCE, _integer(0) + _tlv(_OCTETS, COMMUNITY) + _tlv(_GET, pdu))


def _element(data: bytes, offset: int, tag: int) -> tuple[int, int]:
    """``(start, end)`` of the contents of the element at ``offset``, which must be ``tag``."""
    if data[offset] != tag:
        raise ValueError(f"expected tag {tag:#x}, found {data[offset]:#x}")
    size, offset = data[offset + 1], offset + 2
    if size & 0x80:
        count = size & 0x7F
        if not 0 < count <= 3:
            raise ValueError("a BER length that is not a length")
        size, offset = int.from_bytes(data[offset : offset + count], "big"), offset + count
    if offset + size > len(data):
        raise ValueError("a BER element longer than the datagram")
    return offset, offset + size


def snmp_answer(answer: bytes, token: int) -> str | None:
    """The agent's sysDescr, None if this is not an SNMP response to our request."""
    try:
        start, _ = _element(answer, 0, _SEQUENCE)
        _, end = _element(answer, start, _INTEGER)  # version
        _, end = _element(answer, end, _OCTETS)  # community
        start, _ = _element(answer, end, _RESPONSE)
        start, end = _element(answer, start, _INTEGER)
    except _BROKEN:
        return None
    if int.from_bytes(answer[start:end], "big", signed=True) != token & 0x7FFFFFFF:
        return None
    said = f'It answers requests with the community "{COMMUNITY.decode()}".'
    try:
        _, end = _element(answer, end, _INTEGER)  # error-status
        _, end = _element(answer, end, _INTEGER)  # error-index
        start, _ = _element(answer, end, _SEQUENCE)
        start, _ = _element(answer, start, _SEQUENCE)
        _, end = _element(answer, start, _OID)
        start, end = _element(answer, end, _OCTETS)
    except _BROKEN:
        return said
    return f"{said}\nsysDescr: {printable(answer[start:end], 300)}"
