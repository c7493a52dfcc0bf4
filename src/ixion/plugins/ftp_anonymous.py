"""Does the FTP server let anyone log in as ``anonymous``? (RFC 1635)

The login is tried exactly as a browser or ``ftp`` client would: ``USER anonymous``, then
``PASS`` with an e-mail-like password if asked (a ``230`` straight after USER counts too),
then ``QUIT``. Nothing is listed, read or written. Only a ``230 User logged in`` reply is
taken as success; any other answer, a timeout or a closed connection reports nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import printable, read_reply, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "run"]

PASSWORD: Final = "Password"
#: RFC 959 reply codes.
_READY, _LOGGED_IN, _NEED_PASSWORD = 220, 230, 331

INFO = PluginInfo(
    id=90000022,
    filename="ftp_anonymous.py",
    name="Anonymous FTP enabled",
    family="FTP",
    category=Category.ATTACK,
    summary="Checks whether the FTP server accepts anonymous logins",
    description=(
        "Logs in to each FTP server as 'anonymous' with an e-mail address as password, "
        "then logs out; nothing is read or written. If the login succeeds, anyone can read "
        "what the server shares, and upload files to any writable directory (a common way "
        "to host illegal content or malware on someone else's machine). Disable anonymous "
        "access unless the server is meant to be a public archive, and then make sure it "
        "holds only public files and nothing is writable."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/ftp",),
    preferences=(PluginPreference(PASSWORD, PreferenceType.ENTRY, "ixion@example.com"),),
    qod=Qod.of(QodType.REMOTE_VUL),
)


async def _command(stream: Stream, line: str) -> int | None:
    await stream.send(line.encode("ascii", "replace") + b"\r\n")
    return (await read_reply(stream)).code


async def _anonymous_login(ctx: PluginContext, port: int, password: str) -> str | None:
    """The server's greeting if ``anonymous`` logged in, else None."""
    try:
        async with await ctx.connect(port, tls=uses_tls(ctx, port)) as stream:
            greeting = await read_reply(stream)
            if greeting.code != _READY:
                ctx.log.info("port %d: no 220 greeting (%r)", port, greeting.raw[:80])
                return None
            code = await _command(stream, "USER anonymous")
            if code == _NEED_PASSWORD:
                code = await _command(stream, f"PASS {password}")
            if code is not None:
                await _command(stream, "QUIT")
            if code != _LOGGED_IN:
                ctx.log.info("port %d: anonymous login refused (reply %s)", port, code)
                return None
            return printable(greeting.raw)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


async def run(ctx: PluginContext) -> None:
    # A CR or LF in the preference would smuggle a second command: keep one line.
    lines = (ctx.preference(PASSWORD) or "").splitlines()
    password = next((line.strip() for line in lines if line.strip()), "ixion@example.com")
    for port in service_ports(ctx, "ftp"):
        greeting = await _anonymous_login(ctx, port, password)
        if greeting is None:
            continue
        ctx.kb.replace("ftp/anonymous", 1)
        ctx.kb.replace(f"ftp/{port}/anonymous", 1)
        ctx.warning(
            "Anonymous FTP login is allowed on this server: the login 'anonymous' with "
            f"the password '{password}' was accepted (reply 230).\n\n"
            "Anyone can read the files it shares, and upload files to any directory it "
            "lets anonymous users write to. Unless this is meant to be a public archive, "
            "disable anonymous access; if it is, make sure it holds only public files and "
            "that nothing is writable.\n\n"
            f"The server's greeting:\n\n{greeting}",
            port=port,
        )
