"""What the UDP scanner sends to each port, and how it tells which service answered.

A UDP service answers only what it understands, so an empty datagram finds few of them: on
the ports of well-known services the scanner sends a request of that service's own protocol,
written here from its RFC or specification. Each request carries a random token that the
service must give back (transaction id, request id, cookie, timestamp); only then is the
answer taken as that service's, and its KB name (``Known/udp/<port>``,
``Services/udp/<name>``, the names the feed's scripts look for) recorded. Every request is
harmless: queries, status requests, a read of a file that does not exist.

Not every listening service answers: a syslog server never does, an SNMP agent without
SNMPv3 ignores a community it does not know (hence a v3 engine discovery beside the v1
request), a RADIUS server a request it cannot authenticate. Such a port
stays "open|filtered" however it is asked.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugins._support import printable
from ixion.plugins._udp_formats import (
    dns_answer,
    dns_query,
    nbstat_answer,
    nbstat_query,
    snmp_answer,
    snmp_get,
    snmpv3_discovery,
    snmpv3_report,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["GENERIC", "PROBES", "Probe", "identify", "parse_service_ports", "probe_for"]


@dataclass(frozen=True, slots=True)
class Probe:
    """A request for one service and the reader of its answers."""

    #: The service's KB name (``Services/udp/<service>``).
    service: str
    #: How a report names what answered ("A DNS server").
    label: str
    #: The datagram to send, given the token.
    request: Callable[[int], bytes]
    #: Details of an answer (``""`` if none), given the token; None: not this service.
    read: Callable[[bytes, int], str | None]
    #: The service answers from another port than the one asked (TFTP).
    any_source_port: bool = False
    #: More requests sent after ``request`` in each try, for a service that may understand
    #: only one of them (an SNMP agent: v1 with a community it knows, or v3 alone); ``read``
    #: recognises the answer to any of them.
    also: tuple[Callable[[int], bytes], ...] = ()

    def requests(self, token: int) -> list[bytes]:
        """The datagrams of one try, ``request`` first."""
        return [self.request(token), *(extra(token) for extra in self.also)]


def identify(probe: Probe, answer: bytes, token: int) -> str | None:
    """``probe.read``, with an answer too broken to read counted as not recognised."""
    try:
        return probe.read(answer, token)
    except (IndexError, ValueError, struct.error):
        return None


# --- requests and readers ----------------------------------------------------------------------


def _ntp_request(token: int) -> bytes:
    # RFC 5905: LI 0, version 4, mode 3 (client); the transmit timestamp is our token,
    # which a server copies into its origin timestamp.
    return bytes([0x23]) + bytes(39) + struct.pack("!II", token, token)


def _ntp_read(answer: bytes, token: int) -> str | None:
    if len(answer) < 48 or answer[0] & 7 != 4 or not 1 <= answer[0] >> 3 & 7 <= 4:
        return None  # not a server's (mode 4) answer of version 1 to 4
    if answer[24:32] != struct.pack("!II", token, token):
        return None
    stratum = answer[1]
    if stratum == 0:
        return f"It sent a kiss-o'-death: {printable(answer[12:16])}"
    if stratum == 1:
        return f"Stratum 1, reference {printable(answer[12:16].rstrip(bytes(1)))}"
    return f"Stratum {stratum}"


#: An SSDP search (UPnP Device Architecture 2.0 §1.3.2), sent to the device's own address.
_SSDP_SEARCH: Final = (
    b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
    b'MAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'
)
_SERVER_HEADER: Final = re.compile(rb"^(?:server|user-agent):[ \t]*(.*?)\r?$", re.I | re.M)


def _header_line(answer: bytes) -> str:
    match = _SERVER_HEADER.search(answer)
    return f"Server: {printable(match[1], 200)}" if match else ""


def _ssdp_read(answer: bytes, token: int) -> str | None:
    return _header_line(answer) if re.match(rb"HTTP/1\.[01] 200 ", answer) else None


def _memcached_request(token: int) -> bytes:
    # The UDP frame header (request id, sequence 0, one datagram, reserved), then a command.
    return struct.pack("!4H", token & 0xFFFF, 0, 1, 0) + b"version\r\n"


def _memcached_read(answer: bytes, token: int) -> str | None:
    if struct.unpack_from("!H", answer)[0] != token & 0xFFFF:
        return None
    if not answer[8:].startswith(b"VERSION "):
        return None
    return (
        f"memcached {printable(answer[16:].strip(), 100)} answers over UDP: its answers can "
        "be many times the size of a request, which makes it a tool for traffic amplification."
    )


def _rpc_request(token: int) -> bytes:
    # RFC 5531: a CALL of procedure 0 (NULL) of the portmapper (100000) version 2, no auth.
    return struct.pack("!10I", token, 0, 2, 100000, 2, 0, 0, 0, 0, 0)


def _rpc_read(answer: bytes, token: int) -> str | None:
    xid, kind, accepted = struct.unpack_from("!3I", answer)
    if xid != token or kind != 1 or accepted != 0:
        return None
    verifier = struct.unpack_from("!I", answer, 16)[0]
    status = struct.unpack_from("!I", answer, 20 + (verifier + 3) // 4 * 4)[0]
    return "" if status == 0 else None  # another RPC service would say PROG_UNAVAIL


def _ike_request(token: int) -> bytes:
    # RFC 2408/2409: a Main Mode offer of one ISAKMP proposal, AES-128, SHA-1,
    # pre-shared key, MODP-2048, 8 hours. A gateway answers with its choice or a refusal,
    # both naming our cookie.
    attributes = ((1, 7), (14, 128), (2, 2), (3, 1), (4, 14), (11, 1), (12, 28800))
    data = b"".join(struct.pack("!HH", 0x8000 | kind, value) for kind, value in attributes)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(data), 1, 1, 0) + data
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!BBHII", 0, 0, 12 + len(proposal), 1, 1) + proposal
    header = _ike_cookie(token) + bytes(8) + struct.pack("!4BII", 1, 0x10, 2, 0, 0, 28 + len(sa))
    return header + sa


def _ike_cookie(token: int) -> bytes:
    return struct.pack("!II", token, token ^ 0x49584F4E)


def _ike_read(answer: bytes, token: int) -> str | None:
    if len(answer) < 28 or answer[:8] != _ike_cookie(token) or answer[17] >> 4 != 1:
        return None
    if answer == _ike_request(token):
        return None  # our offer sent back: a reflector, not a gateway
    return "It refused our proposal." if answer[18] == 5 else "It accepted a Main Mode proposal."


def _tftp_request(token: int) -> bytes:
    # RFC 1350: a read request for a file no server has.
    return b"\x00\x01" + b"ixion-%08x\x00octet\x00" % token


def _tftp_read(answer: bytes, token: int) -> str | None:
    opcode = struct.unpack_from("!H", answer)[0]
    if opcode == 5:
        return f"It answered: {printable(answer[4:].rstrip(bytes(1)), 200)}"
    return "" if opcode in (3, 6) else None


def _asf_ping(token: int) -> bytes:
    # DMTF ASF 2.0: an RMCP presence ping (version 6, no ack, class ASF; IANA 4542).
    return struct.pack("!4BIBBBB", 6, 0, 0xFF, 6, 4542, 0x80, token & 0x7F, 0, 0)


def _asf_read(answer: bytes, token: int) -> str | None:
    ok = answer[0] == 6 and answer[8] == 0x40 and answer[9] == token & 0x7F
    return "It answers RMCP presence pings (ASF, IPMI)." if ok else None


_STUN_COOKIE: Final = 0x2112A442


def _stun_request(token: int) -> bytes:
    # RFC 8489: a Binding request; the transaction id holds our token.
    return struct.pack("!HHI", 1, 0, _STUN_COOKIE) + struct.pack("!III", token, 0, token)


def _stun_read(answer: bytes, token: int) -> str | None:
    kind, _, cookie = struct.unpack_from("!HHI", answer)
    if kind not in (0x0101, 0x0111) or cookie != _STUN_COOKIE:
        return None
    return "" if answer[8:20] == struct.pack("!III", token, 0, token) else None


def _sip_request(token: int) -> bytes:
    # RFC 3261 OPTIONS; rport (RFC 3581) asks for the answer at our address and port.
    return (
        "OPTIONS sip:ping@ixion.invalid SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP ixion.invalid;branch=z9hG4bK{token:08x};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:ixion@ixion.invalid>;tag={token:08x}\r\n"
        "To: <sip:ping@ixion.invalid>\r\n"
        f"Call-ID: {token:08x}@ixion.invalid\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _sip_read(answer: bytes, token: int) -> str | None:
    if not answer.startswith(b"SIP/2.0 ") or b"%08x@ixion.invalid" % token not in answer:
        return None
    return _header_line(answer)


def _rip_request(token: int) -> bytes:
    # RFC 2453 §3.9.1: one entry, family 0, metric 16: "send me your whole table".
    return struct.pack("!BBH", 1, 2, 0) + struct.pack("!HH4I", 0, 0, 0, 0, 0, 16)


def _rip_read(answer: bytes, token: int) -> str | None:
    if len(answer) < 4 or answer[0] != 2 or answer[1] not in (1, 2):
        return None
    return f"It sent {(len(answer) - 4) // 20} route(s)."


def _snmp_read(answer: bytes, token: int) -> str | None:
    """An SNMPv1 response to our community (with the sysDescr it gave), or an SNMPv3 Report
    to our engine discovery: an agent drops a community it does not know, but answers the
    discovery whatever it is configured with, unless it has no SNMPv3 at all."""
    found = snmp_answer(answer, token)
    return found if found is not None else snmpv3_report(answer, token)


def _text_request(token: int) -> bytes:
    return b"ixion %08x\r\n" % token


def _echo_read(answer: bytes, token: int) -> str | None:
    return "" if answer == _text_request(token) else None


def _text_read(answer: bytes, token: int) -> str | None:
    text = answer.strip()
    if not text or not all(32 <= byte < 127 or byte in b"\r\n\t" for byte in text):
        return None
    return printable(text, 200)


def _time_read(answer: bytes, token: int) -> str | None:
    return "" if len(answer) == 4 else None


def _nothing(token: int) -> bytes:
    return b""


def _unknown(answer: bytes, token: int) -> str | None:
    return None


# --- the table ---------------------------------------------------------------------------------

#: Every probe, by service name.
PROBES: Final = {
    probe.service: probe
    for probe in (
        Probe("echo", "An echo service", _text_request, _echo_read),
        Probe("daytime", "A daytime service", _text_request, _text_read),
        Probe("qotd", "A quote of the day service", _text_request, _text_read),
        Probe("chargen", "A character generator (chargen)", _text_request, _text_read),
        Probe("time", "A time service", _text_request, _time_read),
        Probe("domain", "A DNS server", dns_query, dns_answer),
        Probe("tftp", "A TFTP server", _tftp_request, _tftp_read, any_source_port=True),
        Probe("rpc-portmap", "An ONC RPC portmapper (rpcbind)", _rpc_request, _rpc_read),
        Probe("ntp", "An NTP server", _ntp_request, _ntp_read),
        Probe("netbios-ns", "A NetBIOS name service", nbstat_query, nbstat_answer),
        Probe("snmp", "An SNMP agent", snmp_get, _snmp_read, also=(snmpv3_discovery,)),
        Probe("isakmp", "An IKE (IPsec) endpoint", _ike_request, _ike_read),
        Probe("rip", "A RIP router", _rip_request, _rip_read),
        Probe("ipmi", "A management controller (RMCP)", _asf_ping, _asf_read),
        Probe("upnp", "A UPnP device (SSDP)", lambda token: _SSDP_SEARCH, _ssdp_read),
        Probe("stun", "A STUN server", _stun_request, _stun_read),
        Probe("sip", "A SIP endpoint", _sip_request, _sip_read),
        Probe("mdns", "A multicast DNS responder", lambda t: dns_query(t, mdns=True), dns_answer),
        Probe("memcached", "A memcached server", _memcached_request, _memcached_read),
    )
}
#: For every other port: an empty datagram, which some services still answer.
GENERIC: Final = Probe("unknown", "A service", _nothing, _unknown)
#: The well-known port of each probe (IANA).
_PORTS: Final = {
    7: "echo",
    13: "daytime",
    17: "qotd",
    19: "chargen",
    37: "time",
    53: "domain",
    69: "tftp",
    111: "rpc-portmap",
    123: "ntp",
    137: "netbios-ns",
    161: "snmp",
    500: "isakmp",
    520: "rip",
    623: "ipmi",
    1900: "upnp",
    3478: "stun",
    5060: "sip",
    5353: "mdns",
    11211: "memcached",
}


def probe_for(port: int, extra: Mapping[int, str]) -> Probe:
    """The probe ``port`` gets: the user's choice for it, its service's, or the generic one."""
    return PROBES.get(extra.get(port) or _PORTS.get(port, ""), GENERIC)


def parse_service_ports(text: str) -> tuple[dict[int, str], list[str]]:
    """The ``Service ports`` preference (``domain=5353, snmp=1161``): a probe for ports
    that are not their service's usual one. Returns the ports and the items not understood.
    """
    ports: dict[int, str] = {}
    bad: list[str] = []
    for item in re.split(r"[,\s]+", text.strip()):
        service, _, number = item.partition("=")
        if service.strip() in PROBES and number.strip().isdigit() and 0 < int(number) <= 65535:
            ports[int(number)] = service.strip()
        elif item:
            bad.append(item)
    return ports, bad
