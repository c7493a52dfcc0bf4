"""Does the SNMP agent answer to a default community name (``public``, ``private``)?

SNMPv1 and v2c (RFC 1157, RFC 3416) have no authentication beyond the community string,
sent in clear in every request; agents have shipped with ``public`` for reading and
``private`` for writing for decades. The check sends a GetRequest for ``sysDescr.0`` and
``sysName.0`` (RFC 3418) with each community of the ``Communities`` preference, over v2c
and v1 at once. An agent answers a community it accepts and drops the others silently, so
an answer carrying one of the requests' ids is the finding (v2c's when both came).

Severity: ``public`` (or any community that answers, other than those below) is a warning:
the agent tells anyone its configuration, interfaces, routes, ARP table and often running
processes and installed software. ``private`` is a hole: it is the conventional read-write
community. Whether it grants writing is not tried, since that would change the device.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._ber import (
    NULL,
    OCTET_STRING,
    SEQUENCE,
    BerError,
    decode_integer,
    decode_oid,
    encode_integer,
    encode_oid,
    read_all,
    read_tlv,
    tlv,
)
from ixion.plugins._checks import check_ports
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import Datagrams, PluginContext

__all__ = ["INFO", "SYS_DESCR", "SYS_NAME", "Response", "get_request", "parse_response", "run"]

COMMUNITIES: Final = "Communities"
SYS_DESCR: Final = "1.3.6.1.2.1.1.1.0"
SYS_NAME: Final = "1.3.6.1.2.1.1.5.0"
#: Communities conventionally granting write access: a hole when they answer.
WRITE_COMMUNITIES: Final = frozenset({"private"})
#: Message versions, as SNMP numbers them.
V1, V2C = 0, 1
_VERSION_NAMES: Final = {V1: "SNMPv1", V2C: "SNMPv2c"}
_GET_REQUEST, _RESPONSE = 0xA0, 0xA2
#: What each request asks for.
_ASKED: Final = [SYS_DESCR, SYS_NAME]
#: Communities tried at most, whatever the preference lists.
MAX_COMMUNITIES: Final = 16
#: Seconds to wait for the answers: agents answer at once or never.
_WAIT: Final = 2.0

INFO = PluginInfo(
    id=90000051,
    filename="snmp_community.py",
    name="SNMP agent with a default community",
    family="SNMP",
    category=Category.ATTACK,
    summary="Checks whether the SNMP agent answers to the community public or private",
    description=(
        "Sends SNMPv2c and SNMPv1 GetRequests for sysDescr.0 with each default "
        "community (public, private). An agent that answers lets anyone read its "
        "configuration and state (interfaces, routes, ARP table, processes, software), and "
        "'private' is conventionally writable. Disable SNMPv1/v2c or set long random "
        "communities, restrict them to the management stations, and prefer SNMPv3 with "
        "authentication and privacy."
    ),
    dependencies=("udp_scanner.py",),
    require_udp_ports=("Services/udp/snmp", 161),
    cve=("CVE-1999-0517", "CVE-1999-0516"),
    xrefs=("CWE:1392",),
    qod=Qod.of(QodType.REMOTE_VUL),
    preferences=(PluginPreference(COMMUNITIES, PreferenceType.ENTRY, "public;private"),),
)


@dataclass(frozen=True, slots=True)
class Response:
    """An agent's Response-PDU: its request id, error status, and the variables it bound."""

    version: int
    community: bytes
    request_id: int
    error_status: int
    bindings: dict[str, tuple[int, bytes]]


def get_request(version: int, community: bytes, request_id: int, oids: list[str]) -> bytes:
    """A GetRequest message for ``oids`` (each bound to NULL)."""
    bindings = b"".join(tlv(SEQUENCE, encode_oid(oid) + tlv(NULL, b"")) for oid in oids)
    pdu = tlv(
        _GET_REQUEST,
        encode_integer(request_id)
        + encode_integer(0)
        + encode_integer(0)
        + tlv(SEQUENCE, bindings),
    )
    return tlv(SEQUENCE, encode_integer(version) + tlv(OCTET_STRING, community) + pdu)


def parse_response(data: bytes) -> Response | None:
    """The Response-PDU in ``data``; None for anything else (BER errors included)."""
    try:
        message, _ = read_tlv(data)
        if message.tag != SEQUENCE:
            return None
        version, community, pdu = read_all(message.value)[:3]
        if pdu.tag != _RESPONSE or community.tag != OCTET_STRING:
            return None
        request_id, error_status, _, varbinds = read_all(pdu.value)[:4]
        bindings: dict[str, tuple[int, bytes]] = {}
        for binding in read_all(varbinds.value):
            name, value = read_all(binding.value)[:2]
            bindings[decode_oid(name)] = (value.tag, value.value)
        return Response(
            decode_integer(version),
            community.value,
            decode_integer(request_id),
            decode_integer(error_status),
            bindings,
        )
    except (BerError, ValueError):  # ValueError: fewer elements than a message has
        return None


async def _ask(channel: Datagrams, communities: list[str]) -> dict[str, Response]:
    """Each community's answer, v2c preferred: every request is sent at once (each
    community over v2c and v1) and answers are collected for :data:`_WAIT` seconds, or
    until every request is answered."""
    pending: dict[int, str] = {}
    for community in communities:
        for version in (V2C, V1):
            request_id = secrets.randbelow(0x7FFFFFFF)
            pending[request_id] = community
            await channel.send(get_request(version, community.encode(), request_id, _ASKED))
    answers: dict[str, Response] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WAIT
    while pending and (left := deadline - loop.time()) > 0:
        data = await channel.recv(timeout=left)
        if data is None:
            break
        response = parse_response(data)
        if response is None or response.request_id not in pending:
            continue
        community = pending.pop(response.request_id)
        if community not in answers or response.version == V2C:
            answers[community] = response
    return answers


def _communities(text: str | None) -> list[str]:
    names = [name.strip() for name in re.split(r"[;,\n]", text or "") if name.strip()]
    return list(dict.fromkeys(names))[:MAX_COMMUNITIES]


def _text(binding: tuple[int, bytes] | None) -> str | None:
    if binding is None or binding[0] != OCTET_STRING:
        return None
    return printable(binding[1], 400)


async def _probe(ctx: PluginContext, port: int, communities: list[str]) -> dict[str, Response]:
    try:
        async with await ctx.datagram(port) as channel:
            return await _ask(channel, communities)
    except ConnectionRefusedError:
        ctx.log.info("udp port %d: closed (ICMP port unreachable)", port)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("udp port %d: %r", port, exc)
    return {}


def _report(community: str, response: Response) -> str:
    described = _text(response.bindings.get(SYS_DESCR))
    named = _text(response.bindings.get(SYS_NAME))
    version = _VERSION_NAMES.get(response.version, f"version {response.version}")
    text = (
        f"The SNMP agent on this port answers to the community '{community}' "
        f"({version}): anyone can read what it knows, and the community travels in clear "
        "text with every request.\n\n"
    )
    if described:
        text += f"sysDescr.0: {described}\n"
    if named:
        text += f"sysName.0: {named}\n"
    if community in WRITE_COMMUNITIES:
        text += (
            f"\n'{community}' is the community devices conventionally give write access "
            "to: with it, an attacker may change the configuration (routes, interfaces, "
            "or the whole device configuration on many routers). Write access was not "
            "tried, as that would change the device.\n"
        )
    return text + (
        "\nThrough SNMP an attacker reads the system's description and version, its "
        "interfaces and addresses, routing and ARP tables, open connections and, on "
        "many agents, running processes and installed software: a map for the next "
        "attack.\n\n"
        "Solution: disable SNMPv1 and v2c if nothing needs them, or replace the default "
        "communities with long random ones that only the management stations know "
        "(Net-SNMP: rocommunity SECRET 192.0.2.10); prefer SNMPv3 with authentication and "
        "privacy (authPriv), and filter the port from other networks."
    )


async def run(ctx: PluginContext) -> None:
    communities = _communities(ctx.preference(COMMUNITIES))
    for port in check_ports(ctx, "snmp", 161, "udp"):
        answers = await _probe(ctx, port, communities)
        for community in communities:  # in the order the user gave them
            response = answers.get(community)
            if response is None:
                continue
            ctx.kb.add("SNMP/community", community)
            ctx.kb.replace(f"SNMP/{port}/community/{community}", 1)
            described = _text(response.bindings.get(SYS_DESCR))
            if described:
                ctx.kb.replace("SNMP/sysDescr", described)
            report = ctx.hole if community in WRITE_COMMUNITIES else ctx.warning
            report(_report(community, response), port=port, proto="udp")
