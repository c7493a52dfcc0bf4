"""Does the web server echo TRACE requests? (cross-site tracing, XST)

On every web port (in clear and through TLS), ``TRACE /`` is sent with a header of our own
holding a random token. Only an answer ``200`` whose body holds that header with that token
counts: the server echoed the request, which is what TRACE does and what an attacker needs.
A ``405``, any other status, or an echo without the header reports nothing.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._http import request
from ixion.plugins._support import printable, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["HEADER", "INFO", "echoed", "run"]

#: The header whose echo proves TRACE works.
HEADER: Final = "X-Ixion-Probe"

INFO = PluginInfo(
    id=90000032,
    filename="http_trace.py",
    name="HTTP TRACE method enabled",
    family="Web Servers",
    category=Category.ATTACK,
    summary="Checks whether the web server echoes TRACE requests (cross-site tracing)",
    description=(
        "Sends a TRACE request with a header of its own to each web server and reports "
        "those that echo it back. TRACE returns the request as the server received it, "
        "headers included: script able to send it could read cookies marked HttpOnly and "
        "credentials (cross-site tracing), and it shows what proxies on the way add. "
        "Disable TRACE."
    ),
    xrefs=(
        "URL:https://owasp.org/www-community/attacks/Cross_Site_Tracing",
        "URL:https://www.rfc-editor.org/rfc/rfc9110#name-trace",
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/www",),
    qod=Qod.of(QodType.REMOTE_VUL),
)


def echoed(body: bytes, token: str) -> bool:
    """Whether an answer's body holds our header with our token (names are case-blind)."""
    wanted = f"{HEADER.lower()}: {token}".encode()
    return any(line.strip().lower() == wanted for line in body.splitlines())


async def run(ctx: PluginContext) -> None:
    for port in service_ports(ctx, "www"):
        tls = uses_tls(ctx, port)
        token = secrets.token_hex(8)
        answer = await request(ctx, port, "TRACE", "/", tls=tls, headers=[(HEADER, token)])
        if answer is None or answer.status != 200 or not echoed(answer.body, token):
            continue
        ctx.kb.replace(f"www/{port}/TRACE", 1)
        kind = answer.header("content-type") or "none given"
        ctx.warning(
            "The web server answers TRACE requests by echoing them: 'TRACE /' sent with the "
            f"header '{HEADER}: {token}' came back with status 200 (Content-Type: "
            f"{printable(kind.encode('latin-1'), limit=80)}) and that header in its body.\n\n"
            "TRACE returns a request as the server received it, headers included. Script "
            "that can make a browser send TRACE reads what script is otherwise denied, such "
            "as cookies marked HttpOnly and Authorization headers (cross-site tracing, XST); "
            "current browsers refuse TRACE from script, but plugins and other clients may "
            "not. The echo also shows what proxies on the way add to requests (internal "
            "addresses, credentials).\n\n"
            "Solution: disable TRACE (Apache: 'TraceEnable Off'; IIS: deny the TRACE verb in "
            "request filtering; on a proxy or load balancer, refuse the method).",
            port=port,
        )
