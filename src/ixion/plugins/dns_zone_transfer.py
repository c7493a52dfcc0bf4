"""Does the DNS server hand its zones to anyone who asks for a transfer (AXFR)?

A zone transfer (RFC 5936) copies a whole zone to a secondary server. Which zones to ask
for is the question, since a server does not list them. Candidates, each checked with a
non-recursive SOA query to this server (the SOA record in an authoritative answer, or in
its authority section, names the zone apex that holds the name):

* the zones the ``Zones`` preference names (transferred as given, no SOA check);
* the name the server itself gives the scanned address (its PTR record), so the zone of
  ``weak.lab.test.`` is found as ``lab.test.``: the parent domain, or whatever apex holds it;
* the name the user scanned, when it is a name;
* the reverse zone of the address (``...in-addr.arpa.``), which names every host of a network.

Each zone the server is authoritative for is then asked for with AXFR over TCP. A transfer
that brings the zone (its SOA first, then the records) is the finding; REFUSED, NOTAUTH or
a closed connection is what a well-configured server answers.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports
from ixion.plugins._dns_wire import (
    DnsError,
    Message,
    Record,
    RrType,
    parse_message,
    query,
    read_tcp_message,
    tcp_framed,
)
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "run"]

ZONES: Final = "Zones"
_TYPE_NAMES: Final = {int(kind): kind.name for kind in RrType}
#: Records read from one transfer at most; what a report needs is far less.
MAX_RECORDS: Final = 100_000
#: Names quoted in a report.
SHOWN: Final = 20
#: Seconds a whole transfer may take.
TRANSFER_TIMEOUT: Final = 60.0
#: Zones tried at most (from the preference and discovery together).
MAX_ZONES: Final = 10

INFO = PluginInfo(
    id=90000049,
    filename="dns_zone_transfer.py",
    name="DNS zone transfer (AXFR) allowed",
    family="DNS",
    category=Category.ATTACK,
    summary="Checks whether the DNS server hands its zones to anyone (AXFR)",
    description=(
        "Finds the zones the DNS server holds (the name it gives the scanned address, the "
        "scanned name, the reverse zone, and the zones the 'Zones' preference names) and "
        "asks for each with a zone transfer (AXFR). A server that hands the zone out gives "
        "anyone the list of every name and address in it, internal hosts included. Allow "
        "transfers only to the secondary servers, with TSIG keys."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/domain", 53),
    cve=("CVE-1999-0532",),
    xrefs=("CWE:200",),
    qod=Qod.of(QodType.REMOTE_VUL),
    preferences=(PluginPreference(ZONES, PreferenceType.ENTRY, ""),),
)


def _absolute(name: str) -> str:
    return name.rstrip(".").lower() + "."


async def _ask(stream: Stream, name: str, rr_type: int) -> Message | None:
    """One non-recursive query over an open TCP connection, and its answer."""
    message_id = secrets.randbelow(0x10000)
    await stream.send(tcp_framed(query(message_id, name, rr_type, recursion=False)))
    data = await read_tcp_message(stream)
    if data is None:
        return None
    try:
        message = parse_message(data)
    except DnsError:
        return None
    return message if message.id == message_id and message.is_response else None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _apex(message: Message | None) -> str | None:
    """The zone an authoritative answer says holds the name: its SOA's owner."""
    if message is None or not message.authoritative:
        return None
    for record in (*message.answers, *message.authority):
        if record.type == RrType.SOA:
            return _absolute(record.name)
    return None


async def _discover(ctx: PluginContext, port: int) -> list[str]:
    """The zones this server is authoritative for among the candidates (module docstring)."""
    reverse = ipaddress.ip_address(ctx.address).reverse_pointer + "."
    candidates: list[str] = []
    apexes: list[str] = []
    try:
        async with await ctx.connect(port) as stream:
            answer = await _ask(stream, reverse, RrType.PTR)
            if answer is not None:
                candidates += [
                    r.target for r in answer.answers if r.type == RrType.PTR and r.target
                ]
            if not _is_address(ctx.host):
                candidates.append(_absolute(ctx.host))
            candidates.append(reverse)
            for name in dict.fromkeys(candidates):
                apex = _apex(await _ask(stream, name, RrType.SOA))
                if apex is not None and apex != "." and apex not in apexes:
                    apexes.append(apex)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
    ctx.log.info("port %d: names %s, zones %s", port, candidates, apexes)
    return apexes


async def _transfer(ctx: PluginContext, port: int, zone: str) -> list[Record]:
    """The zone's records if the server transfers it (its SOA first), else empty."""
    message_id = secrets.randbelow(0x10000)
    records: list[Record] = []
    try:
        async with await ctx.connect(port) as stream:
            await stream.send(tcp_framed(query(message_id, zone, RrType.AXFR, recursion=False)))
            while len(records) < MAX_RECORDS:
                data = await read_tcp_message(stream, timeout=TRANSFER_TIMEOUT)
                if data is None:
                    break
                message = parse_message(data)
                if message.id != message_id or message.rcode != 0 or not message.answers:
                    ctx.log.info("port %d: AXFR %s: rcode %d", port, zone, message.rcode)
                    break
                records += message.answers
                soas = sum(1 for record in records if record.type == RrType.SOA)
                if soas >= 2:  # the zone ends with its SOA again (RFC 5936 §2.2)
                    break
    except (OSError, TimeoutError, DnsError) as exc:
        ctx.log.info("port %d: AXFR %s: %r", port, zone, exc)
    if not records or records[0].type != RrType.SOA:
        return []
    return records


def _describe(name: str, record: Record) -> str:
    """``  host.example.  A 192.0.2.7``: a name and what its first record says."""
    if record.type == RrType.A and len(record.data) == 4:
        what = f"A {ipaddress.IPv4Address(record.data)}"
    elif record.type == RrType.AAAA and len(record.data) == 16:
        what = f"AAAA {ipaddress.IPv6Address(record.data)}"
    elif record.target is not None:
        what = f"{_TYPE_NAMES.get(record.type, record.type)} {record.target}"
    else:
        what = _TYPE_NAMES.get(record.type, f"type {record.type}")
    return f"  {printable(name.encode(), 255)}  {printable(what.encode(), 255)}"


def _report(zone: str, records: list[Record]) -> str:
    closing = 1 if len(records) > 1 and records[-1].type == RrType.SOA else 0
    count = len(records) - closing
    names = list(dict.fromkeys(_absolute(record.name) for record in records))
    hosts = [name for name in names if name != zone]
    firsts = {_absolute(r.name): r for r in reversed(records)}  # each name's first record
    shown = "\n".join(_describe(name, firsts[name]) for name in hosts[:SHOWN])
    more = f"\n  ... and {len(hosts) - SHOWN} more" if len(hosts) > SHOWN else ""
    return (
        f"The DNS server on this port allows a zone transfer (AXFR) of the zone {zone} "
        f"to anyone: ixion received {count} records for {len(names)} distinct names"
        + (f", among them:\n\n{shown}{more}\n\n" if hosts else ".\n\n")
        + "Zone transfers are meant for the zone's secondary servers. Given to anyone, "
        "a transfer lists every name and address of the zone at once, including hosts "
        "nothing links to (internal servers, test machines, management interfaces): an "
        "attacker learns the network's layout without guessing a single name.\n\n"
        "Solution: allow zone transfers only to the secondary servers' addresses, and "
        "authenticate them with TSIG keys (BIND: allow-transfer { key <name>; }; or "
        "allow-transfer { none; }; where no secondary exists; Microsoft DNS: 'Only to "
        "servers listed on the Name Servers tab')."
    )


async def run(ctx: PluginContext) -> None:
    wanted = re.split(r"[;,\s]+", ctx.preference(ZONES) or "")
    chosen = [_absolute(zone) for zone in wanted if zone.strip(".")]
    for port in check_ports(ctx, "domain", 53):
        zones = list(dict.fromkeys([*chosen, *await _discover(ctx, port)]))[:MAX_ZONES]
        for zone in zones:
            records = await _transfer(ctx, port, zone)
            if not records:
                continue
            ctx.kb.add(f"DNS/{port}/axfr", zone)
            ctx.warning(_report(zone, records), port=port)
