"""What the service checks share: which ports to look at, and reading binary replies.

Not a plugin (its name starts with ``_``). A check looks where service detection found its
service (``Services/<name>``, ``Services/udp/<name>``); when detection found nothing there
(it did not run, or the service did not answer its probes), the service's usual port is
tried, if the scan's port range includes it, the port may be open and no other service was
identified on it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ixion.plugin_api.ports import Transport
from ixion.plugins._support import service_ports

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["check_ports", "read_exact", "yes"]


def check_ports(ctx: PluginContext, service: str, usual: int, proto: str = "tcp") -> list[int]:
    """The ports to check for ``service``: where detection found it, else ``usual``.

    ``usual`` is tried only inside the scan's port range (a port the user did not ask to
    scan is never touched, though nessusd's rules count it as open), and not when the port
    scan found it closed or detection named another service there (``Known/<proto>/<port>``).
    """
    key = service if proto == "tcp" else f"{proto}/{service}"
    found = service_ports(ctx, key)
    if found:
        return found
    transport = Transport.UDP if proto == "udp" else Transport.TCP
    other = ctx.kb.get(f"Known/{proto}/{usual}")
    if (
        (transport, usual) not in ctx.port_range
        or other not in (None, service)
        or not ctx.port_is_open(usual, proto)
    ):
        return []
    return [usual]


async def read_exact(stream: Stream, size: int, *, timeout: float | None = None) -> bytes:
    """``size`` bytes, or fewer when the peer closed or went quiet: ``timeout`` (by default
    the stream's) bounds the whole read, so a server sending a byte at a time cannot hold a
    check for long."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (stream.timeout if timeout is None else timeout)
    data = b""
    while len(data) < size:
        left = deadline - loop.time()
        if left <= 0:
            break
        chunk = await stream.recv(size - len(data), timeout=left)
        if not chunk:
            break
        data += chunk
    return data


def yes(value: str | None) -> bool:
    """A yes/no preference as nessusd read most of them: exactly ``yes`` is yes."""
    return value == "yes"
