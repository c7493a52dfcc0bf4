"""Does the DNS server resolve names for anyone (an open resolver)?

A server that recurses for any client can be used to amplify denial-of-service attacks
(small queries with a forged source, large answers to the victim), to poison its cache for
its real users, and to resolve or tunnel through names an attacker controls.

The check sends one recursive query (RD set, RFC 1035 §4.1.1) for a random name under
``example.com`` (RFC 2606), which no server is authoritative for in practice and no cache
holds: over UDP, or over TCP when the scan knows no UDP port of a DNS server (it had no UDP
part). It declares no required port, as either transport will do. How the answer decides:

* RA set, not authoritative, and NOERROR or NXDOMAIN: the server looked the name up on
  the client's behalf. Open recursion, shown.
* RA set and SERVFAIL: the server accepted to recurse and the lookup failed (typically a
  server with no route to the Internet's name servers, such as a lab); a server that does
  not recurse for this client answers REFUSED, or without RA. Reported as well, as a
  willingness to recurse, with a lower quality of detection.
* Anything else (REFUSED, RA clear, an authoritative answer, silence): not open.
"""

from __future__ import annotations

import enum
import secrets
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports
from ixion.plugins._dns_wire import (
    DnsError,
    Message,
    Rcode,
    RrType,
    parse_message,
    query,
    read_tcp_message,
    tcp_framed,
)

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "Verdict", "judge", "run"]

#: Seconds a recursive lookup may take: a resolver may try several servers first.
WAIT: Final = 8.0
_RCODES: Final = frozenset(int(code) for code in Rcode)
#: Datagrams read while waiting for ours (stray ones are skipped).
_READS: Final = 8

INFO = PluginInfo(
    id=90000050,
    filename="dns_recursion.py",
    name="DNS server allows recursive queries (open resolver)",
    family="DNS",
    category=Category.ATTACK,
    summary="Checks whether the DNS server resolves names for anyone",
    description=(
        "Sends one recursive query for a random name outside the server's zones and "
        "reads the answer's RA flag and code. A server that recurses for anyone can be "
        "used to amplify denial-of-service attacks against third parties, and its cache "
        "can be poisoned. Allow recursion only for the clients the server serves."
    ),
    dependencies=("find_service.py", "udp_scanner.py"),
    cve=("CVE-2006-0987",),
    xrefs=("CWE:406",),
    qod=Qod.of(QodType.REMOTE_VUL),
)


class Verdict(enum.Enum):
    """How an answer reads (module docstring)."""

    RESOLVED = "resolved"
    TRIED = "tried"


def judge(message: Message) -> Verdict | None:
    """The verdict on the answer to a recursive query for a name outside the server's
    zones (see the module docstring)."""
    if not message.recursion_available or message.authoritative:
        return None
    if message.rcode in (Rcode.NOERROR, Rcode.NXDOMAIN):
        return Verdict.RESOLVED
    if message.rcode == Rcode.SERVFAIL:
        return Verdict.TRIED
    return None


async def _ask_udp(
    ctx: PluginContext, port: int, request: bytes, message_id: int
) -> Message | None:
    try:
        async with await ctx.datagram(port, timeout=WAIT) as channel:
            await channel.send(request)
            for _ in range(_READS):
                data = await channel.recv()
                if data is None:
                    return None
                message = _ours(data, message_id)
                if message is not None:
                    return message
    except ConnectionRefusedError:
        ctx.log.info("udp port %d: closed (ICMP port unreachable)", port)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("udp port %d: %r", port, exc)
    return None


async def _ask_tcp(
    ctx: PluginContext, port: int, request: bytes, message_id: int
) -> Message | None:
    try:
        async with await ctx.connect(port) as stream:
            await stream.send(tcp_framed(request))
            data = await read_tcp_message(stream, timeout=WAIT)
            return None if data is None else _ours(data, message_id)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
    return None


def _ours(data: bytes, message_id: int) -> Message | None:
    """``data`` parsed, if it is the answer to the query ``message_id``."""
    try:
        message = parse_message(data)
    except DnsError:
        return None
    return message if message.id == message_id and message.is_response else None


def _report(name: str, message: Message, verdict: Verdict) -> str:
    code = Rcode(message.rcode).name if message.rcode in _RCODES else str(message.rcode)
    if verdict == Verdict.RESOLVED:
        found = (
            f"answered with {len(message.answers)} record(s)"
            if message.answers
            else f"answered {code}"
        )
        how = (
            f"Asked to resolve {name}, a random name in a zone it does not serve, it "
            f"{found}, with 'recursion available' (RA) set and without the authoritative "
            "flag: it looked the name up on the client's behalf."
        )
    else:
        how = (
            f"Asked to resolve {name}, a random name in a zone it does not serve, it "
            "answered SERVFAIL with 'recursion available' (RA) set: it accepted to recurse "
            "for this client and the lookup failed (this server may have no route to the "
            "Internet's name servers). A server that does not recurse for a client answers "
            "REFUSED, or clears RA."
        )
    return (
        "The DNS server on this port performs recursive queries for anyone (an open "
        f"resolver). {how}\n\n"
        "An open resolver is used to amplify denial-of-service attacks (small queries with "
        "the victim's address as their source bring large answers to the victim), its "
        "cache can be poisoned to send its own users elsewhere, and it lets outsiders "
        "resolve and tunnel through names they control.\n\n"
        "Solution: allow recursion only for the networks the server serves (BIND: "
        "allow-recursion { localnets; }; and allow-query-cache likewise, or recursion no; "
        "on an authoritative-only server; Unbound: access-control), and filter the port "
        "from the Internet if it serves no public zone."
    )


async def run(ctx: PluginContext) -> None:
    """Over UDP where the UDP scanner (or the port range) shows a DNS server; over TCP,
    where service detection found one, only when no UDP port is known."""
    udp = check_ports(ctx, "domain", 53, "udp")
    targets = [(port, "udp") for port in udp] or [
        (port, "tcp") for port in check_ports(ctx, "domain", 53)
    ]
    for port, proto in targets:
        name = f"ixion-{secrets.token_hex(6)}.example.com."
        message_id = secrets.randbelow(0x10000)
        request = query(message_id, name, RrType.A, recursion=True)
        ask = _ask_udp if proto == "udp" else _ask_tcp
        message = await ask(ctx, port, request, message_id)
        if message is None:
            continue
        verdict = judge(message)
        ctx.log.info("%s port %d: flags 0x%04x: %s", proto, port, message.flags, verdict)
        if verdict is None:
            continue
        ctx.kb.replace(f"DNS/{port}/recursion", 1)
        ctx.warning(
            _report(name, message, verdict),
            port=port,
            proto=proto,
            qod_type=QodType.REMOTE_VUL if verdict == Verdict.RESOLVED else QodType.REMOTE_ACTIVE,
        )
