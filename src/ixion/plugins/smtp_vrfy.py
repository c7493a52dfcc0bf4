"""Does the SMTP server tell who has a mailbox (VRFY, EXPN)?

``VRFY`` asks whether a user or mailbox exists and ``EXPN`` what a mailing list expands to
(RFC 5321 §3.5). Answered truthfully, they let anyone list the server's users: names to
guess passwords for and to send phishing to.

A ``252`` is not necessarily an answer: RFC 5321 §3.5.3 has servers that will not verify
reply ``252 Cannot VRFY user, but will accept message``, for every name. So the check asks
about two users, ``root`` (present on every Unix system) and a random name that exists
nowhere, and decides from the difference: user enumeration is shown when ``root`` gets a
``250``/``251``/``252`` and the made-up name a ``5xx`` (no such user). The same answer for
both tells nothing, whatever its code. ``EXPN root`` answered with ``250`` (an expansion)
is reported too.
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
    from ixion.plugins._support import Reply

__all__ = ["INFO", "enumerates", "run"]

USER: Final = "root"
#: Replies that say the address is (or may be) valid (RFC 5321 §4.2.2).
_KNOWN: Final = frozenset({250, 251, 252})

INFO = PluginInfo(
    id=90000041,
    filename="smtp_vrfy.py",
    name="SMTP VRFY / EXPN user enumeration",
    family="SMTP problems",
    category=Category.ATTACK,
    summary="Checks whether the SMTP server confirms user names with VRFY or EXPN",
    description=(
        "Asks the SMTP server with VRFY whether 'root' and a made-up user exist, and "
        "with EXPN what 'root' expands to. A server whose answers differ between a real "
        "and a made-up user, or that expands addresses, lets anyone list its users. "
        "Disable VRFY and EXPN (Postfix: disable_vrfy_command = yes)."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/smtp", 25),
    cve=("CVE-1999-0531",),
    xrefs=("CWE:204",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


def enumerates(real: Reply, made_up: Reply) -> bool:
    """Whether VRFY tells a real user from a made-up one (module docstring)."""
    return (real.code in _KNOWN and made_up.code is not None and 500 <= made_up.code < 600) or (
        real.code == 250 and made_up.code == 252
    )


async def _ask(ctx: PluginContext, port: int) -> tuple[Reply, Reply, str, Reply] | None:
    """(VRFY root, VRFY <made-up>, the made-up name, EXPN root)."""
    made_up = f"ixion{secrets.token_hex(5)}"
    try:
        async with smtp_session(ctx, port) as session:
            if session is None:
                return None
            real = await command(session.stream, f"VRFY {USER}")
            fake = await command(session.stream, f"VRFY {made_up}")
            expn = await command(session.stream, f"EXPN {USER}")
            return real, fake, made_up, expn
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


def _quote(reply: Reply) -> str:
    return "\n".join(f"  {printable(line.rstrip(), QUOTED)}" for line in reply.lines[:10])


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "smtp", 25):
        asked = await _ask(ctx, port)
        if asked is None:
            continue
        real, fake, made_up, expn = asked
        ctx.log.info("port %d: VRFY %s, %s; EXPN %s", port, real.code, fake.code, expn.code)
        found = []
        if enumerates(real, fake):
            ctx.kb.replace(f"SMTP/{port}/vrfy", 1)
            found.append(
                f"VRFY tells existing users from others. 'VRFY {USER}' got:\n\n"
                f"{_quote(real)}\n\nwhile 'VRFY {made_up}', a name made up for the test, "
                f"got:\n\n{_quote(fake)}"
            )
        if expn.code == 250:
            ctx.kb.replace(f"SMTP/{port}/expn", 1)
            found.append(f"EXPN expands addresses. 'EXPN {USER}' got:\n\n{_quote(expn)}")
        if not found:
            continue
        ctx.warning(
            "The SMTP server on this port lets anyone check which users exist (user "
            "enumeration through VRFY / EXPN).\n\n"
            + "\n\n".join(found)
            + "\n\nWith it, an attacker lists the accounts of this machine or domain by "
            "trying names, then guesses their passwords (SSH, mail, web logins) or sends "
            "them targeted phishing. How this was decided: a 252 reply alone proves "
            "nothing, since servers that will not verify answer 252 for every name; only "
            "a difference between a real user and a made-up one shows enumeration.\n\n"
            "Solution: disable VRFY and EXPN (Postfix: disable_vrfy_command = yes; "
            "Sendmail: PrivacyOptions=goaway; Exim: no acl_smtp_vrfy/acl_smtp_expn "
            "accepting them), or answer 252 for every name.",
            port=port,
        )
