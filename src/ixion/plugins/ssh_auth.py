"""Which ways of logging in does the SSH server offer? (RFC 4252 §5.2)

After the key exchange, a client may ask to log in with the method ``none``; the server's
refusal lists the methods that "can continue": ``publickey``, ``password``,
``keyboard-interactive`` (PAM prompts: usually a password, sometimes a one-time code),
``gssapi-with-mic`` (Kerberos), ``hostbased``. The check asks so for ``root`` and for a
made-up user, through :meth:`PluginContext.ssh_auth` (ixion's own SSH client), and logs
nothing in.

Password logins (``password``, or ``keyboard-interactive`` which nearly always asks for a
password) let anyone on the network guess passwords; keys cannot be guessed. Whether
``root`` may log in cannot be told from outside: OpenSSH lists the same methods for root
whatever ``PermitRootLogin`` says, and for users that do not exist, so that nobody learns
which accounts exist or may log in (observed with OpenSSH 9.2: ``publickey,password`` for
root with ``PermitRootLogin yes`` and ``no`` alike). When the two lists differ, the server
does tell users apart, and that is reported too.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, SshAuthResult

__all__ = ["INFO", "PASSWORD_METHODS", "run"]

USER: Final = "root"
#: Methods by which a password is typed in.
PASSWORD_METHODS: Final = ("password", "keyboard-interactive")

INFO = PluginInfo(
    id=90000042,
    filename="ssh_auth.py",
    name="SSH authentication methods",
    family="General",
    category=Category.GATHER_INFO,
    summary="Reports the authentication methods each SSH server offers",
    description=(
        "Asks each SSH server, after the key exchange, which authentication methods it "
        "offers (a 'none' login request for root and for a made-up user; nothing is logged "
        "in). A server offering password authentication lets anyone try to guess "
        "passwords; one that lets a user in without any authentication is wide open. Offer "
        "public keys only (PasswordAuthentication no, KbdInteractiveAuthentication no)."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/ssh", 22),
    xrefs=("CWE:307",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


async def _ask(ctx: PluginContext, port: int, user: str) -> SshAuthResult | None:
    try:
        return await ctx.ssh_auth(port, user)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: user %s: %r", port, user, exc)
        return None


def _listed(methods: tuple[str, ...]) -> str:
    return ", ".join(printable(m.encode(), 64) for m in methods) if methods else "(none)"


def _note(root: SshAuthResult, other: SshAuthResult | None, made_up: str) -> str:
    text = (
        f"The SSH server on this port ({printable(root.server_version.encode(), 200)}) offers "
        f"these authentication methods to the user '{USER}':\n\n  {_listed(root.methods)}\n\n"
    )
    if other is None:
        return text
    if other.methods == root.methods:
        return text + (
            f"It lists the same for '{made_up}', a user made up for the test: the list "
            "does not tell which accounts exist, nor whether root may log in (OpenSSH "
            "answers the same whatever PermitRootLogin says)."
        )
    return text + (
        f"It lists different ones for '{made_up}', a user made up for the test:\n\n"
        f"  {_listed(other.methods)}\n\n"
        "So its answers tell existing accounts from others."
    )


def _password_warning(methods: tuple[str, ...]) -> str:
    offered = [method for method in PASSWORD_METHODS if method in methods]
    return (
        "The SSH server on this port accepts password authentication "
        f"({' and '.join(offered)} among its methods: {_listed(methods)}).\n\n"
        "Anyone who reaches the port can try to guess passwords, and bots on the Internet "
        "try common ones against every SSH server all day; one weak password is enough. "
        "Keys cannot be guessed. (keyboard-interactive may also carry a one-time code, "
        "when the server is set up for two factors.)\n\n"
        "Solution: log in with keys only: PasswordAuthentication no and "
        "KbdInteractiveAuthentication no in sshd_config (ChallengeResponseAuthentication no "
        "before OpenSSH 8.7), PermitRootLogin prohibit-password or no, and restart sshd. "
        "Where passwords must stay, limit who may log in (AllowUsers, AllowGroups), rate-"
        "limit attempts (MaxAuthTries, fail2ban) and require strong passwords."
    )


async def run(ctx: PluginContext) -> None:
    made_up = f"ixion-{secrets.token_hex(4)}"
    for port in check_ports(ctx, "ssh", 22):
        root = await _ask(ctx, port, USER)
        if root is None:
            continue
        other = await _ask(ctx, port, made_up)
        ctx.kb.replace(f"SSH/{port}/auth_methods", ",".join(root.methods))
        if root.issue_banner:
            ctx.kb.replace(f"SSH/{port}/issue_banner", root.issue_banner)
        open_to = [r for r in (root, other) if r is not None and r.no_authentication]
        if open_to:
            who = USER if root.no_authentication else made_up
            ctx.hole(
                f"The SSH server on this port let the user '{who}' in without any "
                "authentication: it accepted the login method 'none' (RFC 4252 §5.2). "
                "ixion disconnected at once.\n\n"
                "Anyone who reaches the port gets a session on the machine.\n\n"
                "Solution: require authentication (OpenSSH: PermitEmptyPasswords no, and no "
                "account without a password; other servers: disable anonymous or 'none' "
                "logins), then restart the server.",
                port=port,
                qod_type=QodType.EXPLOIT,
            )
            continue
        ctx.note(_note(root, other, made_up), port=port)
        methods = tuple(dict.fromkeys([*root.methods, *(other.methods if other else ())]))
        if any(method in methods for method in PASSWORD_METHODS):
            ctx.kb.replace(f"SSH/{port}/password_auth", 1)
            ctx.warning(_password_warning(methods), port=port)
