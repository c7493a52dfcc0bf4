"""Is it up? One small request per port: TCP connect, or a UDP query that must be answered.

The UDP requests are built here, byte by byte, so that the lab needs no client library:
a DNS query for the zone's SOA, an SNMPv2c GET of ``sysDescr.0``, and memcached's
``version`` in its UDP frame. Each only checks that *an* answer came back to *its* request.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Final

from tests.netlab._hosts import ZONE
from tests.netlab._netns import netns_argv

if TYPE_CHECKING:
    from tests.netlab._daemon import Probe

__all__ = ["answers", "dns_query", "memcached_udp_version", "snmp_get"]

TIMEOUT: Final = 0.5
SYS_DESCR: Final = "1.3.6.1.2.1.1.1.0"


def answers(probe: Probe, address: str, namespace: str) -> bool:
    """Whether the service behind ``probe`` answers now."""
    try:
        match probe.kind:
            case "connect":
                with socket.create_connection((address, probe.port), timeout=TIMEOUT):
                    return True
            case "dns":
                return dns_query(address, ZONE, 6) is not None
            case "snmp":
                return snmp_get(address, probe.community, SYS_DESCR) is not None
            case "memcached":
                return memcached_udp_version(address) is not None
            case "inside":
                return _inside(namespace, probe.port)
    except OSError:
        return False


def _inside(namespace: str, port: int) -> bool:
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), {TIMEOUT}).close()"
    done = subprocess.run(
        netns_argv(namespace, [sys.executable, "-c", code]), capture_output=True, check=False
    )
    return done.returncode == 0


def _udp_exchange(address: str, port: int, request: bytes, timeout: float) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((address, port))
        sock.send(request)
        return sock.recv(65535)


def dns_query(
    address: str, name: str, qtype: int, *, recurse: bool = False, timeout: float = TIMEOUT
) -> bytes | None:
    """The raw answer to one DNS question over UDP, or None when it is not ours."""
    ident = int.from_bytes(os.urandom(2), "big")
    flags = 0x0100 if recurse else 0
    header = ident.to_bytes(2, "big") + flags.to_bytes(2, "big") + b"\x00\x01" + b"\x00" * 6
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split("."))
    question = labels + b"\x00" + qtype.to_bytes(2, "big") + b"\x00\x01"
    reply = _udp_exchange(address, 53, header + question, timeout)
    return reply if len(reply) >= 12 and reply[:2] == header[:2] else None


def _ber(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _ber_int(value: int) -> bytes:
    return _ber(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _ber_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return _ber(0x06, bytes(body))


def snmp_get(address: str, community: str, oid: str, timeout: float = TIMEOUT) -> bytes | None:
    """The raw SNMPv2c response to a GET of ``oid``, or None for no answer to this request.

    A wrong community gets no answer at all from snmpd (it only counts the failure), so
    this times out (``OSError``) or returns None.
    """
    request_id = int.from_bytes(os.urandom(3), "big")
    varbind = _ber(0x30, _ber(0x30, _ber_oid(oid) + b"\x05\x00"))
    pdu = _ber(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + varbind)
    message = _ber(0x30, _ber_int(1) + _ber(0x04, community.encode()) + pdu)
    reply = _udp_exchange(address, 161, message, timeout)
    return reply if _ber_int(request_id) in reply and b"\xa2" in reply else None


def memcached_udp_version(address: str, timeout: float = TIMEOUT) -> bytes | None:
    """memcached's ``VERSION ...`` line over UDP (8-byte frame header first), or None."""
    ident = os.urandom(2)
    frame = ident + b"\x00\x00\x00\x01\x00\x00"
    reply = _udp_exchange(address, 11211, frame + b"version\r\n", timeout)
    return reply[8:] if reply[:2] == ident and reply[8:].startswith(b"VERSION") else None
