"""Does the SSH server let someone in with a well-known default password?

Devices and images ship with accounts such as ``root``/``root`` or ``pi``/``raspberry``,
and bots try them on every SSH server they find. This check tries a short list of such
pairs (the ``Credentials`` preference), each in its own connection, by ``password`` or
``keyboard-interactive`` (whichever the server offers), through
:meth:`PluginContext.ssh_auth`; a successful login is disconnected at once, no command runs.

It runs only when the scan's ``default_credentials`` option is ``yes``: failed logins are
logged, may alert the host's owner, and may lock accounts (pam_faillock, fail2ban), which
nobody should get from a scan they did not ask for. Each failed try also costs time (OpenSSH
with PAM waits about two seconds before it says no), so the list is short.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports, yes
from ixion.plugins._support import printable

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "OPTION", "parse_credentials", "run"]

#: The scan option that allows this check to try passwords at all.
OPTION: Final = "default_credentials"
CREDENTIALS: Final = "Credentials"
#: Pairs tried at most, whatever the preference lists.
MAX_PAIRS: Final = 20
_PASSWORD_METHODS: Final = frozenset({"password", "keyboard-interactive"})

INFO = PluginInfo(
    id=90000043,
    filename="ssh_default_credentials.py",
    name="SSH login with default credentials",
    family="Default Accounts",
    category=Category.ATTACK,
    summary="Tries well-known default user names and passwords on SSH (only when allowed)",
    description=(
        "When the scan's 'default_credentials' option is 'yes', tries to log in to each "
        "SSH server with a short list of well-known default user names and passwords (the "
        "'Credentials' preference, user:password pairs separated by ';'), logging out at "
        "once. Failed attempts are logged by the server and may lock accounts. A login "
        "that succeeds gives anyone a shell: change the password or disable the account, "
        "and log in with keys only."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/ssh", 22),
    xrefs=("CWE:1392",),
    qod=Qod.of(QodType.EXPLOIT),
    preferences=(
        PluginPreference(
            CREDENTIALS,
            PreferenceType.ENTRY,
            "root:root;root:toor;admin:admin;admin:password;pi:raspberry;ubnt:ubnt",
        ),
    ),
)


def parse_credentials(text: str | None) -> list[tuple[str, str]]:
    """``user:password`` pairs separated by ``;`` or line ends (a password may hold ``:``),
    without duplicates, at most :data:`MAX_PAIRS`."""
    pairs: dict[tuple[str, str], None] = {}
    for item in re.split(r"[;\r\n]", text or ""):
        user, colon, password = item.strip().partition(":")
        if colon and user:
            pairs[(user, password)] = None
    return list(pairs)[:MAX_PAIRS]


async def _try(ctx: PluginContext, port: int, pairs: list[tuple[str, str]]) -> list[str]:
    """How each pair that logged in did, as report lines."""
    logged_in: list[str] = []
    for user, password in pairs:
        try:
            result = await ctx.ssh_auth(port, user, password)
        except (OSError, TimeoutError) as exc:
            ctx.log.info("port %d: %s: %r", port, user, exc)
            continue
        if not _PASSWORD_METHODS & set(result.methods) and not result.no_authentication:
            ctx.log.info("port %d: no password login offered (%s)", port, result.methods)
            break
        if result.logged_in_by is not None:
            shown = printable(f"{user} / {password}".encode(), 200)
            logged_in.append(f"  {shown}  (by {result.logged_in_by})")
    return logged_in


async def run(ctx: PluginContext) -> None:
    if not yes(ctx.scan_preference(OPTION)):
        ctx.log.info("the scan option %s is not 'yes': no password is tried", OPTION)
        return
    pairs = parse_credentials(ctx.preference(CREDENTIALS))
    for port in check_ports(ctx, "ssh", 22):
        logged_in = await _try(ctx, port, pairs)
        if not logged_in:
            continue
        ctx.kb.replace(f"SSH/{port}/default_credentials", 1)
        ctx.hole(
            "The SSH server on this port let ixion log in with well-known default "
            "credentials (user / password):\n\n"
            + "\n".join(logged_in)
            + "\n\nixion disconnected at once, without running anything. Anyone can try "
            "these: they are published in manuals and in every brute-force list, and bots "
            "try them against every SSH server they find. With the login comes a shell on "
            "the machine, with everything that account may do.\n\n"
            "Solution: change these passwords (or lock the accounts that need no login), "
            "log in with keys only (PasswordAuthentication no, KbdInteractiveAuthentication "
            "no), and check the machine for signs of earlier use of these accounts.",
            port=port,
        )
