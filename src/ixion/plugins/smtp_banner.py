"""An SMTP server's greeting and the ESMTP extensions it offers (RFC 5321 §4.1.1.1).

The plugin greets the server with ``EHLO`` (``HELO`` if EHLO is refused) and says ``QUIT``;
it sends no mail and tries no relaying, which would put a message in someone's queue.

One finding comes out of what the server offers: ``AUTH PLAIN`` or ``AUTH LOGIN`` advertised
on an unencrypted connection means the server accepts passwords in clear text there, readable
by anyone on the path (RFC 4954 §4 says servers should not offer them without TLS).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import printable, read_reply, service_ports, text_of, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "run"]

#: SASL mechanisms that send the password itself, merely base64-encoded.
_CLEARTEXT_MECHANISMS: Final = frozenset({"PLAIN", "LOGIN"})

INFO = PluginInfo(
    id=90000023,
    filename="smtp_banner.py",
    name="SMTP server banner and extensions",
    family="SMTP problems",
    category=Category.GATHER_INFO,
    summary="Reports each SMTP server's greeting and ESMTP extensions",
    description=(
        "Greets each SMTP server with EHLO and reports its banner and the extensions it "
        "offers (no mail is sent). The banner often names the mail software and its "
        "version. A server offering password authentication (AUTH PLAIN or LOGIN) on an "
        "unencrypted connection is reported: passwords sent that way can be read by anyone "
        "on the path. Offer them only after STARTTLS, or on an implicit TLS port."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/smtp",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


def _address_literal(stream: Stream) -> str:
    """Our side's address as an EHLO argument (RFC 5321 §4.1.3), e.g. ``[192.0.2.1]``."""
    sockname = stream.writer.get_extra_info("sockname")
    try:
        address = ipaddress.ip_address(sockname[0])
    except (TypeError, ValueError, IndexError):
        return "ixion.invalid"
    return f"[IPv6:{address}]" if address.version == 6 else f"[{address}]"


async def _greet(ctx: PluginContext, port: int, tls: bool) -> tuple[bytes, list[str]] | None:
    """The banner, and the EHLO extensions (empty if the server only knows HELO)."""
    try:
        async with await ctx.connect(port, tls=tls) as stream:
            banner = await read_reply(stream)
            if banner.code != 220:
                ctx.log.info("port %d: no 220 greeting (%r)", port, banner.raw[:80])
                return None
            extensions: list[str] = []
            await stream.send(f"EHLO {_address_literal(stream)}\r\n".encode())
            reply = await read_reply(stream)
            if reply.code == 250:
                extensions = [text for text in reply.texts()[1:] if text]
            elif reply.code is not None:
                await stream.send(f"HELO {_address_literal(stream)}\r\n".encode())
                await read_reply(stream)
            await stream.send(b"QUIT\r\n")
            await read_reply(stream, timeout=1)
            return banner.raw, extensions
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


def _cleartext_auth(extensions: list[str]) -> list[str]:
    """The password-revealing SASL mechanisms an ``AUTH`` extension lists."""
    for extension in extensions:
        words = extension.upper().replace("=", " ").split()
        if words and words[0] == "AUTH":
            return sorted(set(words[1:]) & _CLEARTEXT_MECHANISMS)
    return []


async def run(ctx: PluginContext) -> None:
    for port in service_ports(ctx, "smtp"):
        tls = uses_tls(ctx, port)
        greeted = await _greet(ctx, port, tls)
        if greeted is None:
            continue
        banner, extensions = greeted
        ctx.kb.replace(f"smtp/banner/{port}", text_of(banner).strip())
        for extension in extensions:
            ctx.kb.add(f"smtp/{port}/extensions", extension)
        text = f"The SMTP server on this port greets with:\n\n{printable(banner)}\n\n"
        if extensions:
            listed = "\n".join(f"  {printable(e.encode(), limit=200)}" for e in extensions)
            text += f"It offers these ESMTP extensions:\n\n{listed}"
        else:
            text += "It offered no ESMTP extension."
        ctx.note(text, port=port)
        mechanisms = _cleartext_auth(extensions)
        if mechanisms and not tls:
            ctx.warning(
                "The SMTP server on this port offers password authentication "
                f"(AUTH {' '.join(mechanisms)}) on an unencrypted connection. These "
                "mechanisms send the password itself, only base64-encoded, so anyone on the "
                "path can read it. Offer them only after STARTTLS (Postfix: "
                "smtpd_tls_auth_only = yes), or on an implicit TLS port.",
                port=port,
            )
