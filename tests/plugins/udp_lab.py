"""Tiny UDP services on 127.0.0.1 for the UDP scanner's tests, written here from the RFCs
independently of the scanner's own packet code, so that a test checks one against the other.

Each :class:`UdpService` binds a port the kernel picks and answers (or not) from a thread,
recording when each datagram arrived, by the kernel's clock (``SO_TIMESTAMPNS``), so that a
busy test machine's thread scheduling does not blur the scanner's measured rate. Only ports
these services hold, and those :func:`closed_udp_ports` held, are ever scanned.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from types import TracebackType

from tests.lab import LOOPBACK

Answer = Callable[[bytes], bytes | None]
#: Linux's ``SO_TIMESTAMPNS`` (and its ``SCM_`` message type), unnamed in Python's socket.
SO_TIMESTAMPNS = 35


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))
    return sock


def closed_udp_ports(count: int) -> list[int]:
    """UDP ports this test held a moment ago, all at once, and closed: nothing listens there."""
    held = [udp_socket() for _ in range(count)]
    ports: list[int] = [sock.getsockname()[1] for sock in held]
    for sock in held:
        sock.close()
    return ports


def closed_udp_port() -> int:
    return closed_udp_ports(1)[0]


@dataclass
class UdpService:
    """Answers each datagram with ``answer(datagram)`` (None: stays silent)."""

    answer: Answer
    #: Answer from another socket than the one asked, as a TFTP server does.
    other_port: bool = False
    arrivals: list[float] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = udp_socket()
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.port: int = self.sock.getsockname()[1]
        self._reply = udp_socket() if self.other_port else self.sock
        self._stop_read, self._stop_write = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> UdpService:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop_write.send(b"x")
        self._thread.join(5)
        for sock in {self.sock, self._reply, self._stop_read, self._stop_write}:
            sock.close()

    def _serve(self) -> None:
        while True:
            ready, _, _ = select.select([self.sock, self._stop_read], [], [])
            if self._stop_read in ready:
                return
            data, ancillary, _, source = self.sock.recvmsg(65535, 64)
            self.arrivals.append(arrival(ancillary))
            self.received.append(data)
            reply = self.answer(data)
            if reply is not None:
                self._reply.sendto(reply, source)


def arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    """The kernel's receive time of a datagram (wall clock), or now if it gave none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("@qq", data[:16])
            return float(seconds + nanoseconds / 1e9)
    return time.time()


@contextmanager
def services(*answers: Answer) -> Iterator[list[UdpService]]:
    with ExitStack() as stack:
        yield [stack.enter_context(UdpService(answer)) for answer in answers]


def silent(data: bytes) -> None:
    return None


def echo(data: bytes) -> bytes:
    return data


# --- DNS (RFC 1035) ----------------------------------------------------------------------------

DNS_VERSION = b"ixion-lab-dns 1.0"


def dns(data: bytes) -> bytes | None:
    """Answers any query with one TXT record, ``version.bind`` style; ignores non-queries."""
    if len(data) < 12 or data[2] & 0x80:
        return None
    header = data[:2] + struct.pack("!5H", 0x8400, 1, 1, 0, 0)
    record = struct.pack("!HHHIH", 0xC00C, 16, 3, 0, len(DNS_VERSION) + 1)
    return header + data[12:] + record + bytes([len(DNS_VERSION)]) + DNS_VERSION


# --- SNMP (RFC 1157, BER) ----------------------------------------------------------------------

SYS_DESCR = b"ixion lab agent"


def _read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, contents, offset after) of the BER element at ``offset`` (short lengths do)."""
    tag, size = data[offset], data[offset + 1]
    start = offset + 2
    if size & 0x80:
        count = size & 0x7F
        size = int.from_bytes(data[start : start + count], "big")
        start += count
    return tag, data[start : start + size], start + size


def _ber(tag: int, contents: bytes) -> bytes:
    assert len(contents) < 128
    return bytes([tag, len(contents)]) + contents


def snmp(data: bytes, community: bytes = b"public") -> bytes | None:
    """A v1/v2c agent knowing one community and one object, sysDescr.0."""
    _, message, _ = _read(data, 0)
    _, version, after = _read(message, 0)
    _, asked_community, after = _read(message, after)
    pdu_tag, pdu, _ = _read(message, after)
    if asked_community != community or pdu_tag != 0xA0:
        return None
    _, request_id, _ = _read(pdu, 0)
    oid = bytes.fromhex("2b06010201010100")
    binding = _ber(0x30, _ber(0x06, oid) + _ber(0x04, SYS_DESCR))
    response = _ber(0x02, request_id) + _ber(0x02, b"\0") + _ber(0x02, b"\0")
    response += _ber(0x30, binding)
    return _ber(0x30, _ber(0x02, version) + _ber(0x04, community) + _ber(0xA2, response))


# --- NTP (RFC 5905) ----------------------------------------------------------------------------


def ntp(data: bytes) -> bytes | None:
    """A stratum-2 server: mode 4, our transmit timestamp copied as the origin."""
    if len(data) < 48 or data[0] & 7 != 3:
        return None
    return bytes([0x24, 2, 6, 0xEC]) + bytes(20) + data[40:48] + bytes(16)


# --- NetBIOS name service (RFC 1002 §4.2.18) ---------------------------------------------------

MAC = bytes.fromhex("020000abcdef")


def netbios(data: bytes) -> bytes | None:
    """A node status response naming the host IXIONLAB in workgroup LABGROUP."""
    if len(data) < 50 or data[-4:] != b"\x00\x21\x00\x01":
        return None
    names = [(b"IXIONLAB", 0x00, 0x0400), (b"LABGROUP", 0x00, 0x8400), (b"IXIONLAB", 0x20, 0)]
    rdata = bytes([len(names)]) + b"".join(
        name.ljust(15) + bytes([suffix]) + struct.pack("!H", flags) for name, suffix, flags in names
    )
    rdata += MAC + bytes(40)
    header = data[:2] + struct.pack("!5H", 0x8400, 0, 1, 0, 0)
    return header + data[12:46] + struct.pack("!HHIH", 0x21, 1, 0, len(rdata)) + rdata


# --- TFTP (RFC 1350) ---------------------------------------------------------------------------


def tftp(data: bytes) -> bytes | None:
    """Every file is missing: an ERROR 1 (sent from another port, by UdpService)."""
    if data[:2] != b"\x00\x01":
        return None
    return b"\x00\x05\x00\x01File not found\x00"
