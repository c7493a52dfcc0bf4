"""Does the memcached server answer anyone over TCP?

memcached has no authentication unless built and started with SASL (``-S``); it is meant to
sit on a private network next to the application servers. The check sends the text
protocol's ``version`` and ``stats`` (memcached's ``protocol.txt``): an answer means anyone
reaching the port can read what the cache holds (the keys are listed by ``lru_crawler
metadump all``), overwrite it (cache poisoning: forged sessions, pages, prices) or empty it
(``flush_all``). Nothing is read from or written to the cache here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports
from ixion.plugins._support import printable, text_of, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "parse_stats", "run"]

#: ``STAT`` lines read at most; memcached 1.6 sends about 90.
MAX_STATS: Final = 300
#: The statistics quoted in the report.
_SHOWN: Final = ("uptime", "curr_items", "bytes", "curr_connections", "total_items")
_VERSION: Final = re.compile(rb"^VERSION ([\x21-\x7e]{1,64})\r?\n")

INFO = PluginInfo(
    id=90000045,
    filename="memcached_open.py",
    name="memcached reachable without authentication",
    family="Databases",
    category=Category.ATTACK,
    summary="Checks whether the memcached server answers commands without authentication",
    description=(
        "Asks each memcached server for its version and statistics over TCP. A server "
        "that answers takes commands from anyone who reaches it: the cached data can be "
        "read, overwritten (cache poisoning) or flushed. Bind memcached to the addresses "
        "its application servers use, filter the port, or enable SASL authentication."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/memcached", 11211),
    xrefs=("CWE:306", "URL:https://github.com/memcached/memcached/wiki/SASLHowto"),
    qod=Qod.of(QodType.REMOTE_VUL),
)


def parse_stats(lines: list[bytes]) -> dict[str, str]:
    """``STAT name value`` lines as a mapping."""
    stats: dict[str, str] = {}
    for line in lines:
        words = text_of(line).split(None, 2)
        if len(words) == 3 and words[0] == "STAT":
            stats[words[1]] = words[2].strip()
    return stats


async def _stats(stream: Stream) -> list[bytes]:
    """The lines of a ``stats`` answer up to ``END`` (or what came in time)."""
    await stream.send(b"stats\r\n")
    lines: list[bytes] = []
    while len(lines) < MAX_STATS:
        line = await stream.read_line()
        if not line or line.rstrip() == b"END" or not line.startswith(b"STAT "):
            break
        lines.append(line)
    return lines


async def _probe(ctx: PluginContext, port: int) -> tuple[str, dict[str, str]] | None:
    try:
        async with await ctx.connect(port, tls=uses_tls(ctx, port)) as stream:
            await stream.send(b"version\r\n")
            answer = await stream.read_line()
            match = _VERSION.match(answer)
            if match is None:
                ctx.log.info("port %d: no VERSION answer: %r", port, answer[:80])
                return None
            stats = parse_stats(await _stats(stream))
            await stream.send(b"quit\r\n")
            return text_of(match[1]), stats
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "memcached", 11211):
        probed = await _probe(ctx, port)
        if probed is None:
            continue
        version, stats = probed
        ctx.kb.replace(f"memcached/{port}/version", version)
        ctx.kb.replace(f"memcached/{port}/noauth", 1)
        shown = "\n".join(
            f"  {name}: {printable(stats[name].encode(), 80)}" for name in _SHOWN if name in stats
        )
        ctx.warning(
            "The memcached server on this port answers without authentication: it "
            f"gave its version ({printable(version.encode(), 64)}) and its statistics to an "
            "unauthenticated client.\n\n"
            "Anyone who reaches this port can read what the cache holds (memcached lists "
            "its keys to whoever asks), overwrite entries to poison what the application "
            "reads back (sessions, rendered pages, prices), or empty the cache at once "
            "(flush_all) and load the databases behind it.\n\n"
            + (f"Its statistics:\n\n{shown}\n\n" if shown else "")
            + "Solution: bind memcached to the addresses its application servers use "
            "(-l), filter the port from every other network, or start it with SASL "
            "authentication (-S).",
            port=port,
        )
