"""Does memcached answer over UDP, where it can be used to amplify denial-of-service attacks?

UDP has no handshake, so a request with a forged source address is answered to the forged
address. memcached's UDP protocol (``protocol.txt``, "UDP protocol") answers a 15-byte
``stats`` request with a kilobyte or more, and ``get`` of a large value with up to a
megabyte: in February 2018 ("Memcrashed", CVE-2018-1000115) attackers reflected forged
requests off exposed servers at a victim with amplification factors in the tens of
thousands, reaching 1.7 Tbit/s. memcached 1.5.6 turned UDP off by default for this reason.

The check sends one ``stats`` request in memcached's frame (an 8-byte header: request id,
sequence number, number of datagrams, reserved) and measures the answer: the bytes that came
back against the bytes sent is the factor an attacker gets without even storing a value.
"""

from __future__ import annotations

import secrets
import struct
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import Datagrams, PluginContext

__all__ = ["INFO", "frame", "run"]

#: Datagrams of one answer read at most (a ``stats`` answer is one or two).
MAX_DATAGRAMS: Final = 64
#: Seconds to wait for the next datagram of an answer once the first came.
_NEXT: Final = 0.3
_HEADER: Final = struct.Struct(">HHHH")
_REQUEST: Final = b"stats\r\n"

INFO = PluginInfo(
    id=90000046,
    filename="memcached_udp.py",
    name="memcached UDP reflection and amplification",
    family="Denial of Service",
    category=Category.ATTACK,
    summary="Checks whether memcached answers over UDP (reflection / amplification DDoS)",
    description=(
        "Sends one memcached 'stats' request over UDP. A server that answers can be used "
        "to flood third parties: requests with a forged source address get answers many "
        "times their size sent to the victim (the 2018 'Memcrashed' attacks). Start "
        "memcached with UDP off (-U 0, the default since 1.5.6) and filter the port."
    ),
    dependencies=("udp_scanner.py",),
    require_udp_ports=("Services/udp/memcached", 11211),
    cve=("CVE-2018-1000115",),
    xrefs=(
        "CWE:406",
        "URL:https://www.cisa.gov/news-events/alerts/2014/01/17/udp-based-amplification-attacks",
    ),
    qod=Qod.of(QodType.REMOTE_VUL),
)


def frame(request_id: int, payload: bytes) -> bytes:
    """``payload`` in memcached's UDP frame: one datagram, sequence 0 of 1."""
    return _HEADER.pack(request_id, 0, 1, 0) + payload


async def _answer(channel: Datagrams, request_id: int) -> list[bytes]:
    """The payloads of the datagrams answering ``request_id``, in the order they came."""
    await channel.send(frame(request_id, _REQUEST))
    payloads: list[bytes] = []
    wait: float | None = None  # the first answer gets the channel's timeout
    for _ in range(MAX_DATAGRAMS * 2):
        data = await channel.recv(timeout=wait)
        if data is None:
            break
        if len(data) >= _HEADER.size and _HEADER.unpack_from(data)[0] == request_id:
            payloads.append(data)
            total = _HEADER.unpack_from(data)[2]
            if len(payloads) >= min(total, MAX_DATAGRAMS):
                break
        wait = _NEXT
    return payloads


async def _probe(ctx: PluginContext, port: int) -> list[bytes]:
    request_id = secrets.randbelow(0xFFFF) + 1
    try:
        async with await ctx.datagram(port) as channel:
            return await _answer(channel, request_id)
    except ConnectionRefusedError:
        ctx.log.info("udp port %d: closed (ICMP port unreachable)", port)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("udp port %d: %r", port, exc)
    return []


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "memcached", 11211, "udp"):
        datagrams = await _probe(ctx, port)
        if not datagrams or not datagrams[0][_HEADER.size :].startswith(b"STAT "):
            continue
        sent = len(frame(0, _REQUEST))
        received = sum(len(datagram) for datagram in datagrams)
        factor = received / sent
        body = b"".join(datagram[_HEADER.size :] for datagram in datagrams)
        version = next(
            (line[13:] for line in body.splitlines() if line.startswith(b"STAT version ")), b""
        )
        ctx.kb.replace(f"memcached/udp/{port}/amplification", round(factor))
        ctx.hole(
            "The memcached server on this port answers requests over UDP, so it can be "
            "used for reflection and amplification DDoS attacks.\n\n"
            f"A {sent}-byte 'stats' request got an answer of {received} bytes in "
            f"{len(datagrams)} datagram(s): an amplification factor of {factor:.0f}. "
            "Since UDP does not check where a request came from, an attacker sends such "
            "requests with the victim's address as their source, and this server floods "
            "the victim with answers; with a large value stored first and fetched by 'get', "
            "the factor reaches tens of thousands (the 2018 'Memcrashed' attacks, up to "
            "1.7 Tbit/s).\n\n"
            + (f"memcached version: {printable(version, 64)}\n\n" if version else "")
            + "Solution: turn UDP off (memcached -U 0; it is off by default from 1.5.6 on), "
            "bind memcached to the addresses its application servers use (-l), and filter "
            f"{port}/udp at the network's edge.",
            port=port,
            proto="udp",
        )
