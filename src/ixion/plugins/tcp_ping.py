"""Is the host up? A TCP "ping": connect to a few ports of the user's port range.

A completed handshake (an open port) and a reset (a closed port) both prove that something
answered at the address; only silence everywhere suggests the host is down or fully
filtered. nessusd's ping_host.nasl played this role, and it too ends the host with
``Host/dead`` (spec §6.4 item 6); this plugin carries its id, 10180, so that a classic
client's rc file, which enables 10180 and 10335 among the scanners, pings with it.

Only ports of ``port_range`` are probed, never a fixed list: the user's range is the promise of
what ixion touches. Within it, well-known service ports come first, because a host behind a
firewall that drops everything but its services answers on those and nowhere else; the rest
of the probes are spread over the range.
"""

from __future__ import annotations

import asyncio
import errno
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugins._support import number

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext
    from ixion.plugin_api.ports import PortSet

__all__ = ["INFO", "probe_ports", "run"]

MARK_DEAD: Final = "Mark unreachable hosts as dead"
TIMEOUT: Final = "Timeout (seconds)"
#: How many ports are probed, at most.
PROBES: Final = 8
#: Tried first when the range holds them: the services firewalls most often let through.
_LIKELY_OPEN: Final = (80, 443, 22, 25, 21, 3389, 445, 23, 53, 110, 143, 8080)
#: Errors that mean "nothing at that address answers": an ICMP unreachable from a router
#: is as good a "no" as silence. Anything else (no file descriptors, no local port...) is
#: our own trouble and proves nothing about the host.
_NO_ANSWER: Final = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN})

INFO = PluginInfo(
    id=10180,
    filename="tcp_ping.py",
    name="TCP ping",
    family="Port scanners",
    category=Category.SCANNER,
    summary="Checks that the host answers TCP connections on ports of the port range",
    description=(
        "Connects to a few TCP ports of the port range (well-known service ports first, "
        "then ports spread over the range). A completed connection or a refused one "
        "proves the host is up. If none of them answers, the host is probably down or "
        "behind a firewall that drops everything; it is then marked dead (unless the "
        "preference says otherwise) and no further plugin is run against it, which saves "
        "waiting for timeouts on every port."
    ),
    preferences=(
        PluginPreference(MARK_DEAD, PreferenceType.CHECKBOX, "yes"),
        PluginPreference(TIMEOUT, PreferenceType.ENTRY, "3"),
    ),
)


def probe_ports(ports: PortSet, count: int = PROBES) -> list[int]:
    """Up to ``count`` ports of ``ports``: likely-open ones first, then evenly spread ones."""
    chosen = [port for port in _LIKELY_OPEN if port in ports][:count]
    total = len(ports)
    wanted = min(count, total)
    if len(chosen) < wanted:
        # Indices spread over the whole set; walking the spans finds each one without
        # expanding a 65535-port range into a list.
        step = total / wanted
        indices = sorted({int(i * step) for i in range(wanted)})
        chosen += [port for port in _nth_ports(ports, indices) if port not in chosen]
    return chosen[:wanted]


def _nth_ports(ports: PortSet, indices: list[int]) -> list[int]:
    found: list[int] = []
    offset = 0
    wanted = iter(indices)
    index = next(wanted, None)
    for low, high in ports.spans:
        size = high - low + 1
        while index is not None and index < offset + size:
            found.append(low + index - offset)
            index = next(wanted, None)
        offset += size
    return found


async def _answers(ctx: PluginContext, port: int, timeout: float) -> bool | None:
    """True: something answered; False: silence or unreachable; None: we could not tell."""
    try:
        stream = await ctx.connect(port, timeout=timeout)
    except ConnectionRefusedError:
        return True  # a RST comes from a live TCP stack
    except TimeoutError:
        return False
    except OSError as exc:
        if exc.errno in _NO_ANSWER:
            return False
        ctx.log.info("probe of port %d inconclusive: %s", port, exc)
        return None
    await stream.close()
    return True


async def run(ctx: PluginContext) -> None:
    ports = probe_ports(ctx.port_range.tcp)
    if not ports:
        ctx.log.info("no TCP port in the port range: nothing to ping")
        return
    timeout = number(ctx.preference(TIMEOUT), 3.0, 0.05, 600.0)
    results = await asyncio.gather(*(_answers(ctx, port, timeout) for port in ports))
    if any(results):
        return
    if None in results:
        ctx.log.info("no answer, but some probes failed locally: not marking the host dead")
        return
    ctx.log.info("no answer on TCP ports %s", ports)
    if ctx.preference(MARK_DEAD) != "yes":
        return
    ctx.kb.replace("Host/dead", 1)
    listed = ", ".join(str(port) for port in ports)
    ctx.note(
        f"The host did not answer TCP connection attempts to ports {listed} within "
        f"{timeout:g} seconds: it is down, or a firewall drops everything sent to it. "
        "It was marked dead and not tested further."
    )
