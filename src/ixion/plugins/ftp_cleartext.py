"""Can users log in to the FTP server over an unencrypted connection? (RFC 4217)

FTP sends the user name and the password as plain ``USER`` and ``PASS`` commands. RFC 4217
lets a client turn the control connection into TLS first, with RFC 2228's ``AUTH TLS``; a
server that does not offer it, or offers it without requiring it, takes logins in clear text.
For each FTP port service detection found in clear (implicit FTPS is encrypted from its first
byte and is left alone):

1. ``FEAT`` (RFC 2389): an ``AUTH`` feature naming TLS or SSL means TLS is offered.
2. Otherwise ``AUTH TLS``, then ``AUTH SSL``: a ``234`` means offered after all (that
   connection, now waiting for a TLS handshake, is dropped); both refused means TLS is not
   offered, which is reported. A refusal is ``500``/``502`` (unknown command), ``501``/``504``
   (mechanism unknown), ``534`` (policy) or ``530``: AUTH belongs before the login (RFC 2228
   §3), so "log in first" means the server does not know AUTH (vsftpd without ``ssl_enable``).
   Silence, garbage, a ``4xx`` or anything else decides nothing.
3. Where TLS is offered: ``USER`` with a random name no account has, before any ``AUTH``.
   ``331`` (password please), ``332`` or ``230`` means the server lets the login go on in
   clear text, which is reported; a server that requires TLS refuses (``530``/``534``/``550``).

``PASS`` is never sent: the 331 already shows that a client's password would follow in clear,
whatever the server then did with it, and so no password crosses the network and no account
is tried. Each session ends with ``QUIT``.
"""

from __future__ import annotations

import contextlib
import enum
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import printable, read_reply, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream
    from ixion.plugins._support import Reply

__all__ = ["INFO", "Exchange", "Offer", "auth_mechanisms", "run"]

#: RFC 959 §4.2: the greeting of a server ready for a new user.
_READY: Final = 220
#: RFC 2228 §4: AUTH accepted (334: with security data to exchange first).
_AUTH_ACCEPTED: Final = frozenset({234, 334})
#: AUTH refused for good (module docstring).
_AUTH_REFUSED: Final = frozenset({500, 501, 502, 504, 530, 534})
#: USER answered as a step towards a login: password or account wanted, or already in.
_LOGIN_GOES_ON: Final = frozenset({230, 331, 332})
#: AUTH mechanisms that mean TLS (RFC 4217 §6; ``SSL``, ``TLS-C``, ``TLS-P``: older drafts).
_TLS_MECHANISMS: Final = frozenset({"TLS", "SSL", "TLS-C", "TLS-P"})
#: Lines of a reply quoted in a report: FEAT lists can be long.
_QUOTED_LINES: Final = 12

INFO = PluginInfo(
    id=90000036,
    filename="ftp_cleartext.py",
    name="FTP logins in clear text",
    family="FTP",
    category=Category.ATTACK,
    summary="Checks whether the FTP server lets users log in without TLS (AUTH TLS)",
    description=(
        "Asks each FTP server whether it offers TLS (FEAT, then AUTH TLS), and where it "
        "does, whether it still takes a login before TLS (USER with a made-up name; no "
        "password is sent). Over an unencrypted connection, user names, passwords and "
        "files cross the network in clear text: anyone on the path can read them and "
        "reuse the passwords. Require FTP over TLS (RFC 4217) for every login and data "
        "transfer, or replace FTP with SFTP."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/ftp",),
    xrefs=("CWE:319",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


class Offer(enum.Enum):
    """What the server said about TLS on the first connection."""

    #: FEAT names an AUTH TLS mechanism; the connection is still in clear.
    LISTED = enum.auto()
    #: AUTH was accepted (234) though FEAT did not list it; the connection is spent.
    ACCEPTED = enum.auto()
    #: Not listed, and both AUTH TLS and AUTH SSL refused.
    REFUSED = enum.auto()
    #: An answer that decides nothing (silence, garbage, a transient error).
    UNCLEAR = enum.auto()


@dataclass(frozen=True, slots=True)
class Exchange:
    """A command sent and the server's reply, kept for the report."""

    command: str
    reply: Reply

    def quoted(self) -> str:
        lines = [printable(line.rstrip(b"\r\n"), 200) for line in self.reply.lines]
        if len(lines) > _QUOTED_LINES:
            lines = [*lines[:_QUOTED_LINES], "[...]"]
        answer = "\n    ".join(lines) if lines else "(no reply)"
        return f"  {self.command}\n    {answer}"


def auth_mechanisms(feat: Reply) -> set[str]:
    """The mechanisms an ``AUTH`` feature line of a ``211`` FEAT reply names, upper case
    (``AUTH TLS``, ``AUTH TLS;SSL``, ``AUTH SSL TLS``...); empty for any other reply."""
    if feat.code != 211:
        return set()
    found: set[str] = set()
    for text in feat.texts()[1:]:  # the first line is "Features:" or the like
        words = re.split(r"[\s;,]+", text.strip().upper())
        if words[0] == "AUTH":
            found.update(word for word in words[1:] if word)
    return found


async def _ask(stream: Stream, command: str, seen: list[Exchange]) -> Reply:
    await stream.send(command.encode("ascii") + b"\r\n")
    reply = await read_reply(stream)
    seen.append(Exchange(command, reply))
    return reply


async def _quit(stream: Stream) -> None:
    """Say goodbye; a server that already hung up (vsftpd after refusing a login) is fine."""
    with contextlib.suppress(OSError, TimeoutError):
        await stream.send(b"QUIT\r\n")
        await read_reply(stream)


async def _tls_offer(stream: Stream, seen: list[Exchange]) -> Offer:
    if auth_mechanisms(await _ask(stream, "FEAT", seen)) & _TLS_MECHANISMS:
        return Offer.LISTED
    for mechanism in ("TLS", "SSL"):
        code = (await _ask(stream, f"AUTH {mechanism}", seen)).code
        if code in _AUTH_ACCEPTED:
            return Offer.ACCEPTED
        if code not in _AUTH_REFUSED:
            return Offer.UNCLEAR
    return Offer.REFUSED


async def _greeted(stream: Stream) -> bool:
    return (await read_reply(stream)).code == _READY


@dataclass(frozen=True, slots=True)
class _Verdict:
    offer: Offer
    #: The server lets a login go on over the clear connection.
    cleartext: bool
    seen: tuple[Exchange, ...]


async def _examine(ctx: PluginContext, port: int, user: str) -> _Verdict | None:
    """Ask the server on ``port`` (module docstring); None if it never answered as FTP."""
    seen: list[Exchange] = []
    async with await ctx.connect(port) as stream:
        if not await _greeted(stream):
            return None
        offer = await _tls_offer(stream, seen)
        if offer is not Offer.ACCEPTED:
            login = await _ask(stream, f"USER {user}", seen) if offer is Offer.LISTED else None
            await _quit(stream)
            cleartext = offer is Offer.REFUSED or (login is not None and _goes_on(login))
            return _Verdict(offer, cleartext, tuple(seen))
    # AUTH was accepted there: ask about USER in clear on a fresh connection.
    async with await ctx.connect(port) as stream:
        if not await _greeted(stream):
            return None
        login = await _ask(stream, f"USER {user}", seen)
        await _quit(stream)
        return _Verdict(offer, _goes_on(login), tuple(seen))


def _goes_on(login: Reply) -> bool:
    return login.code in _LOGIN_GOES_ON


def _describe(found: _Verdict, user: str) -> str:
    replies = "\n".join(exchange.quoted() for exchange in found.seen)
    if found.offer is Offer.REFUSED:
        opening = (
            "FTP logins on this server are unencrypted: it does not offer TLS (AUTH TLS, "
            "RFC 4217), so user names, passwords, commands and files all cross the network "
            "in clear text."
        )
        how = "It neither lists AUTH among its features nor accepts the AUTH command"
        downgrade = ""
    else:
        opening = (
            "FTP logins on this server can be made without encryption: it offers TLS (AUTH "
            "TLS, RFC 4217) but does not require it, so a client that does not ask for TLS "
            "sends its user name and password in clear text."
        )
        how = (
            f"Asked to log in as '{user}' (a name made up for the test) over the clear "
            "connection, before any AUTH, it asked for the password instead of refusing; "
            "no password was sent"
        )
        downgrade = (
            " Offering TLS is not enough: an attacker in the path can remove the offer from "
            "the conversation, and many clients then carry on without it."
        )
    return (
        f"{opening}\n\n{how}:\n\n{replies}\n\n"
        "Anyone who can see the traffic (on the same network or Wi-Fi, or on any router "
        "along the way) can read the passwords and reuse them wherever they also work, read "
        f"the files transferred, and alter them on the way.{downgrade}\n\n"
        "Solution: require FTP over TLS for every login and data transfer, so that the "
        "server refuses USER before AUTH TLS (vsftpd: ssl_enable=YES, "
        "force_local_logins_ssl=YES and force_local_data_ssl=YES; ProFTPD: TLSEngine on and "
        "TLSRequired on), or replace FTP with SFTP. Files meant for everyone are better "
        "published over HTTPS."
    )


async def run(ctx: PluginContext) -> None:
    user = f"ixion{secrets.token_hex(6)}"
    for port in service_ports(ctx, "ftp"):
        if uses_tls(ctx, port):
            ctx.log.info("port %d: implicit FTPS, encrypted from the start", port)
            continue
        try:
            found = await _examine(ctx, port, user)
        except (OSError, TimeoutError) as exc:
            ctx.log.info("port %d: %r", port, exc)
            continue
        if found is None:
            ctx.log.info("port %d: no 220 greeting", port)
            continue
        ctx.log.info(
            "port %d: TLS %s, clear text logins: %s", port, found.offer.name, found.cleartext
        )
        if found.offer in (Offer.LISTED, Offer.ACCEPTED):
            ctx.kb.replace(f"ftp/{port}/auth_tls", 1)
        if not found.cleartext:
            continue
        ctx.kb.replace(f"ftp/{port}/cleartext_login", 1)
        ctx.warning(_describe(found, user), port=port)
