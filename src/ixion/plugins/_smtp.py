"""An SMTP client session for the mail checks (RFC 5321): greeting, EHLO, STARTTLS, commands.

Not a plugin. A session is opened with :func:`smtp_session`; commands go one line at a time
(:func:`command`), so no check can smuggle a second command through an argument. A server
that demands STARTTLS before mail commands (RFC 3207) gets it when it offers it, with the
scanner's TLS context (no certificate check: the check is about relaying, not about TLS).
"""

from __future__ import annotations

import ipaddress
import ssl
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.tls import probing_context
from ixion.plugins._support import Reply, read_reply, uses_tls

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["SmtpSession", "address_literal", "command", "smtp_session"]

#: What a reply quoted in a report is cut to.
QUOTED: Final = 200


@dataclass(slots=True)
class SmtpSession:
    """An open session past EHLO (or HELO): its stream and what the server offered."""

    stream: Stream
    greeting: Reply
    extensions: list[str]
    tls: bool

    def offers(self, keyword: str) -> bool:
        return any(ext.split(" ", 1)[0].upper() == keyword for ext in self.extensions)


def address_literal(stream: Stream) -> str:
    """Our side's address as an EHLO argument (RFC 5321 §4.1.3), e.g. ``[192.0.2.1]``."""
    sockname = stream.writer.get_extra_info("sockname")
    try:
        address = ipaddress.ip_address(sockname[0])
    except (TypeError, ValueError, IndexError):
        return "ixion.invalid"
    return f"[IPv6:{address}]" if address.version == 6 else f"[{address}]"


async def command(stream: Stream, line: str) -> Reply:
    """Send one command line and read its reply (CR and LF in ``line`` are dropped)."""
    clean = line.replace("\r", "").replace("\n", "")
    await stream.send(clean.encode("ascii", "replace") + b"\r\n")
    return await read_reply(stream)


async def _hello(stream: Stream) -> list[str] | None:
    """EHLO (HELO if refused): the extensions, or None if neither was accepted."""
    reply = await command(stream, f"EHLO {address_literal(stream)}")
    if reply.code == 250:
        return [text for text in reply.texts()[1:] if text]
    if reply.code is None:
        return None
    reply = await command(stream, f"HELO {address_literal(stream)}")
    return [] if reply.code == 250 else None


@asynccontextmanager
async def smtp_session(ctx: PluginContext, port: int) -> AsyncIterator[SmtpSession | None]:
    """A session past EHLO, upgraded with STARTTLS when offered on a clear connection;
    None when the server does not greet with 220 or refuses EHLO and HELO. Says QUIT at
    the end. Raises OSError or TimeoutError as the connection does."""
    tls = uses_tls(ctx, port)
    async with await ctx.connect(port, tls=tls) as stream:
        greeting = await read_reply(stream)
        extensions = await _hello(stream) if greeting.code == 220 else None
        if extensions is None:
            ctx.log.info("port %d: no SMTP session (%r)", port, greeting.raw[:80])
            yield None
            return
        session = SmtpSession(stream, greeting, extensions, tls)
        if not tls and session.offers("STARTTLS"):
            session = await _start_tls(ctx, port, session)
        try:
            yield session
        finally:
            await stream.send(b"QUIT\r\n")
            await read_reply(stream, timeout=1)


async def _start_tls(ctx: PluginContext, port: int, session: SmtpSession) -> SmtpSession:
    """The session over TLS after STARTTLS and a new EHLO (RFC 3207 §4.2), or as it was
    when the server declines; a failed handshake raises OSError (the stream is unusable)."""
    reply = await command(session.stream, "STARTTLS")
    if reply.code != 220:
        ctx.log.info("port %d: STARTTLS declined: %r", port, reply.raw[:80])
        return session
    try:
        await session.stream.writer.start_tls(probing_context())
    except ssl.SSLError as exc:
        raise OSError(f"STARTTLS handshake failed: {exc}") from exc
    extensions = await _hello(session.stream)
    if extensions is None:
        raise OSError("no EHLO answer after STARTTLS")
    return SmtpSession(session.stream, session.greeting, extensions, True)
