"""Is the SMTP server an open relay: does it take mail from outsiders to outsiders?

A mail server should accept mail for its own domains from anyone, and mail for other domains
only from its own users (authenticated, or from its own networks). One that accepts a
message from an outside sender to an outside recipient relays for anyone: spammers use it,
and its address lands on block lists.

The check opens an SMTP session (RFC 5321) and gives ``MAIL FROM`` a sender and ``RCPT TO``
a recipient in two domains reserved for examples (RFC 2606: ``example.com`` and
``example.net``), neither of them the server's. A ``250`` or ``251`` to ``RCPT`` is the
server agreeing to relay. No message is sent: ``DATA`` is never given; the transaction is
reset (``RSET``) and the session ends with ``QUIT``. A sender refused outright (some servers
check the sender's domain) is tried again as the null sender ``<>``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports
from ixion.plugins._smtp import QUOTED, command, smtp_session
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext
    from ixion.plugins._smtp import SmtpSession
    from ixion.plugins._support import Reply

__all__ = ["INFO", "run"]

SENDER_DOMAIN: Final = "example.com"
RECIPIENT_DOMAIN: Final = "example.net"
#: RFC 5321 §4.2.2: requested action okay; user not local, will forward.
_ACCEPTED: Final = frozenset({250, 251})

INFO = PluginInfo(
    id=90000040,
    filename="smtp_relay.py",
    name="SMTP open relay",
    family="SMTP problems",
    category=Category.ATTACK,
    summary="Checks whether the SMTP server accepts mail from outsiders to outsiders",
    description=(
        "Starts a mail transaction from a sender at example.com to a recipient at "
        "example.net, then resets it without sending anything. A server that accepts the "
        "recipient relays mail for anyone: spammers use it and its address ends up on "
        "block lists. Accept mail for other domains only from authenticated users and the "
        "server's own networks."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/smtp", 25),
    cve=("CVE-1999-0512",),
    xrefs=("URL:https://www.rfc-editor.org/rfc/rfc5321#section-3.9",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


async def _try_relay(
    ctx: PluginContext, port: int, session: SmtpSession
) -> tuple[str, str, Reply] | None:
    """(sender, recipient, RCPT reply) when RCPT TO was accepted; else None."""
    tag = secrets.token_hex(4)
    recipient = f"ixion-relay-{tag}@{RECIPIENT_DOMAIN}"
    for sender in (f"ixion-relay-{tag}@{SENDER_DOMAIN}", ""):
        mail = await command(session.stream, f"MAIL FROM:<{sender}>")
        if mail.code != 250:
            ctx.log.info("port %d: MAIL FROM:<%s> refused: %r", port, sender, mail.raw[:100])
            await command(session.stream, "RSET")
            continue
        rcpt = await command(session.stream, f"RCPT TO:<{recipient}>")
        await command(session.stream, "RSET")
        if rcpt.code in _ACCEPTED:
            return sender or "<>", recipient, rcpt
        ctx.log.info("port %d: RCPT TO refused: %r", port, rcpt.raw[:100])
        return None
    return None


def _report(scanner: str, sender: str, recipient: str, reply: Reply, tls: bool) -> str:
    through = " (after STARTTLS)" if tls else ""
    return (
        "The SMTP server on this port is an open relay: it accepts mail from outside "
        f"senders to outside recipients. In a transaction{through} from {sender} to "
        f"{recipient} (domains reserved for examples, not this server's), it accepted "
        f"the recipient:\n\n  {printable(reply.raw.strip(), QUOTED)}\n\n"
        "ixion sent no message: it reset the transaction (RSET) before DATA.\n\n"
        "Spammers look for open relays to send their mail through someone else's "
        "server; the server's address then ends up on block lists and its own users' "
        "mail gets refused. If ixion scanned from an address the server trusts (Postfix "
        f"mynetworks, Exim relay_from_hosts), relaying may be meant for {scanner}'s "
        "network only: check from an outside address before ruling it out.\n\n"
        "Solution: relay only for authenticated users (SMTP AUTH on the submission port) "
        "and for the server's own networks, and accept other mail only for the server's "
        "own domains (Postfix: smtpd_relay_restrictions = permit_mynetworks, "
        "permit_sasl_authenticated, reject_unauth_destination, with mynetworks listing "
        "only trusted networks)."
    )


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "smtp", 25):
        try:
            async with smtp_session(ctx, port) as session:
                if session is None:
                    continue
                relayed = await _try_relay(ctx, port, session)
                tls = session.tls
                scanner = str(session.stream.writer.get_extra_info("sockname")[0])
        except (OSError, TimeoutError) as exc:
            ctx.log.info("port %d: %r", port, exc)
            continue
        if relayed is None:
            continue
        sender, recipient, reply = relayed
        ctx.kb.replace(f"SMTP/{port}/spam", 1)
        ctx.kb.replace("SMTP/spam", 1)
        ctx.hole(_report(scanner, sender, recipient, reply, tls), port=port)
