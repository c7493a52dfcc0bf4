"""The UDP probes whose packets have structure: DNS (RFC 1035), NetBIOS name service
(RFC 1002), SNMPv1 (RFC 1157) and SNMPv3 engine discovery (RFC 3414 §4), each a query and
the reading of its answer.

Every query carries a random token (DNS and NetBIOS transaction id, SNMP request-id, SNMPv3
msgID) and an answer is recognised only if it gives the token back: a datagram that merely
arrived from the port proves the port open, not the service. Readers never trust a length
they read: once the token matched, an answer too short or inconsistent for its details
still names the service, with no details.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

from ixion.plugins._ber import (
    INTEGER,
    NULL,
    OCTET_STRING,
    OID,
    SEQUENCE,
    BerError,
    Tlv,
    decode_integer,
    decode_oid,
    encode_integer,
    read_all,
    read_tlv,
    tlv,
)
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
    "snmpv3_discovery",
    "snmpv3_report",
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

_GET, _RESPONSE = 0xA0, 0xA2
#: 1.3.6.1.2.1.1.1.0, the agent's own description of its system.
_SYS_DESCR: Final = bytes.fromhex("2b06010201010100")
COMMUNITY: Final = b"public"


def snmp_get(token: int) -> bytes:
    """An SNMPv1 GetRequest for sysDescr.0 with the community ``public``."""
    binding = tlv(SEQUENCE, tlv(OID, _SYS_DESCR) + tlv(NULL, b""))
    pdu = encode_integer(token & 0x7FFFFFFF) + encode_integer(0) + encode_integer(0)
    pdu += tlv(SEQUENCE, binding)
    return tlv(SEQUENCE, encode_integer(0) + tlv(OCTET_STRING, COMMUNITY) + tlv(_GET, pdu))


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
        start, _ = _element(answer, 0, SEQUENCE)
        _, end = _element(answer, start, INTEGER)  # version
        _, end = _element(answer, end, OCTET_STRING)  # community
        start, _ = _element(answer, end, _RESPONSE)
        start, end = _element(answer, start, INTEGER)
    except _BROKEN:
        return None
    if int.from_bytes(answer[start:end], "big", signed=True) != token & 0x7FFFFFFF:
        return None
    said = f'It answers requests with the community "{COMMUNITY.decode()}".'
    try:
        _, end = _element(answer, end, INTEGER)  # error-status
        _, end = _element(answer, end, INTEGER)  # error-index
        start, _ = _element(answer, end, SEQUENCE)
        start, _ = _element(answer, start, SEQUENCE)
        _, end = _element(answer, start, OID)
        start, end = _element(answer, end, OCTET_STRING)
    except _BROKEN:
        return said
    return f"{said}\nsysDescr: {printable(answer[start:end], 300)}"


# --- SNMPv3 engine discovery (RFC 3412 §6, RFC 3414 §2.4 and §4) --------------------------------

_REPORT: Final = 0xA8
#: msgFlags: reportable, neither authentication nor privacy (RFC 3412 §6.4).
_REPORTABLE: Final = b"\x04"
#: msgSecurityModel of the User-based Security Model (RFC 3411 §5).
_USM: Final = 3
#: msgMaxSize: the most an IPv4 UDP datagram can carry.
_MAX_SIZE: Final = 65507
#: The usmStats counters (1.3.6.1.6.3.15.1.1.<n>.0) a USM Report names (RFC 3414 §5).
_USM_COUNTERS: Final = {
    f"1.3.6.1.6.3.15.1.1.{n}.0": name
    for n, name in enumerate(
        (
            "usmStatsUnsupportedSecLevels",
            "usmStatsNotInTimeWindows",
            "usmStatsUnknownUserNames",
            "usmStatsUnknownEngineIDs",
            "usmStatsWrongDigests",
            "usmStatsDecryptionErrors",
        ),
        start=1,
    )
}
#: Bytes of an engine id shown: RFC 3411 allows 5 to 32.
_ENGINE_ID_SHOWN: Final = 32


def snmpv3_discovery(token: int) -> bytes:
    """An SNMPv3 GetRequest with no variables, from no user to no engine, reportable: the
    probe RFC 3414 §4 describes. An agent answers it with a Report naming its engine id,
    whatever communities and users it knows, so an agent that speaks only v3 is found too.
    The token is both the msgID, which the Report must carry back, and the request-id."""
    ident = token & 0x7FFFFFFF
    header = tlv(
        SEQUENCE,
        encode_integer(ident)
        + encode_integer(_MAX_SIZE)
        + tlv(OCTET_STRING, _REPORTABLE)
        + encode_integer(_USM),
    )
    # UsmSecurityParameters: engine id, boots, time, user name, auth and privacy parameters.
    usm = tlv(
        SEQUENCE,
        tlv(OCTET_STRING, b"") + encode_integer(0) + encode_integer(0) + tlv(OCTET_STRING, b"") * 3,
    )
    pdu = tlv(
        _GET, encode_integer(ident) + encode_integer(0) + encode_integer(0) + tlv(SEQUENCE, b"")
    )
    scoped = tlv(SEQUENCE, tlv(OCTET_STRING, b"") * 2 + pdu)
    return tlv(SEQUENCE, encode_integer(3) + header + tlv(OCTET_STRING, usm) + scoped)


def snmpv3_report(answer: bytes, token: int) -> str | None:
    """What an SNMPv3 agent's answer to :func:`snmpv3_discovery` says (its engine id, boots
    and time, the counter its Report names); None if this is not one: not SNMPv3, another
    msgID, or a PDU that is neither a Report nor a Response (our own request sent back)."""
    try:
        message, _ = read_tlv(answer)
        if message.tag != SEQUENCE:
            return None
        version, header, security, scoped = read_all(message.value)[:4]
        if decode_integer(version) != 3 or header.tag != SEQUENCE:
            return None
        if decode_integer(read_all(header.value)[0]) != token & 0x7FFFFFFF:
            return None
        # The answer to a request without privacy is a plaintext ScopedPDU.
        if scoped.tag != SEQUENCE or read_all(scoped.value)[2].tag not in (_REPORT, _RESPONSE):
            return None
    except _BROKEN:  # BerError is a ValueError; so is unpacking fewer elements than asked
        return None
    said = "It answers SNMPv3 (engine discovery, RFC 3414)."
    try:
        engine = _engine(security)
        counter = _counter(read_all(scoped.value)[2])
    except _BROKEN:
        return said
    return "\n".join(part for part in (said, engine, counter) if part)


def _engine(security: Tlv) -> str:
    """The authoritative engine's id, boots and time, from msgSecurityParameters."""
    if security.tag != OCTET_STRING:
        raise BerError("msgSecurityParameters is not an OCTET STRING")
    usm, _ = read_tlv(security.value)
    if usm.tag != SEQUENCE:
        raise BerError("UsmSecurityParameters is not a SEQUENCE")
    engine_id, boots, clock = read_all(usm.value)[:3]
    if engine_id.tag != OCTET_STRING or not engine_id.value:
        return ""
    shown = engine_id.value[:_ENGINE_ID_SHOWN].hex()
    # RFC 3411 §5 SnmpEngineID: with the first bit set, the first four bytes are the
    # agent vendor's IANA enterprise number (8072: Net-SNMP).
    vendor = ""
    if engine_id.value[0] & 0x80 and len(engine_id.value) >= 5:
        enterprise = int.from_bytes(engine_id.value[:4], "big") & 0x7FFFFFFF
        vendor = f" (enterprise {enterprise})"
    return (
        f"Engine ID: {shown}{vendor}; engine boots {decode_integer(boots)}, "
        f"engine time {decode_integer(clock)} s"
    )


def _counter(pdu: Tlv) -> str:
    """``Report: usmStatsUnknownEngineIDs``, the first variable a Report binds."""
    if pdu.tag != _REPORT:
        return ""
    bindings = read_all(read_all(pdu.value)[3].value)
    if not bindings:
        return ""
    oid = decode_oid(read_all(bindings[0].value)[0])
    return f"Report: {_USM_COUNTERS.get(oid, oid)}"
