"""The web server's own name for itself: the ``Server`` header of every web port.

The header is whatever the administrator lets the server say, so it is reported as a claim,
not as proof of what runs. It is worth knowing because it usually names the software and its
version, which is the first thing an attacker looks up in vulnerability databases; that is
said in the note rather than raised as a separate warning, because hiding the version does
not fix anything by itself.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import printable, read_http_head, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "run", "server_header"]

_VERSION: Final = re.compile(r"\d+\.\d+")

INFO = PluginInfo(
    id=90000020,
    filename="http_version.py",
    name="HTTP server type and version",
    family="Web Servers",
    category=Category.GATHER_INFO,
    summary="Reports the Server header of each web server",
    description=(
        "Requests / from each web server (in clear or through TLS, as service detection "
        "found it) and reports the software it names in its Server header. A version "
        "number there tells an attacker which known vulnerabilities to try; keep the "
        "software patched, and consider sending a generic Server header."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/www",),
    qod=Qod.of(QodType.REMOTE_BANNER),
)


def server_header(head: bytes) -> str | None:
    """The first ``Server`` header of an HTTP response head, or None."""
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if not lines or not lines[0].startswith(b"HTTP/"):
        return None
    for line in lines[1:]:
        if not line:
            break
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"server":
            return printable(value.strip(), limit=512) or None
    return None


def _host_header(ctx: PluginContext, port: int, tls: bool) -> str:
    host = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
    default = 443 if tls else 80
    return host if port == default else f"{host}:{port}"


async def _fetch_head(ctx: PluginContext, port: int, tls: bool) -> bytes:
    request = (
        f"GET / HTTP/1.0\r\nHost: {_host_header(ctx, port, tls)}\r\n"
        "User-Agent: ixion\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii", "replace")
    try:
        async with await ctx.connect(port, tls=tls) as stream:
            await stream.send(request)
            return await read_http_head(stream)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return b""


async def run(ctx: PluginContext) -> None:
    for port in service_ports(ctx, "www"):
        tls = uses_tls(ctx, port)
        server = server_header(await _fetch_head(ctx, port, tls))
        if server is None:
            # What find_service saw, if the server changed its mind or went away since.
            banner = ctx.kb.get(f"www/banner/{port}")
            if isinstance(banner, str):
                server = server_header(banner.encode("utf-8", "replace"))
        if server is None:
            continue
        ctx.kb.replace(f"www/{port}/server", server)
        text = f"The web server on this port identifies itself as:\n\n  {server}"
        if _VERSION.search(server):
            text += (
                "\n\nThe header includes version numbers, which tell an attacker which "
                "known vulnerabilities to try. Keep this software up to date; servers "
                "can usually be told to send a generic name instead "
                "(e.g. Apache 'ServerTokens Prod', nginx 'server_tokens off')."
            )
        ctx.note(text, port=port)
