"""Web directories whose files anyone can list: autoindex pages (``Index of /files/``).

On every web port (in clear and through TLS), ``/`` is fetched, then the directories it links
to and a few that are common on web servers (:data:`~ixion.plugins._http.COMMON_DIRECTORIES`).
A ``200`` page that is a server-generated index (Apache's and nginx's ``Index of /...``,
Python's ``Directory listing for /...``, IIS's ``[To Parent Directory]``, Tomcat's
``Directory Listing For``) is a listing: the page itself is the evidence. Only ``GET``s are
sent; ``www/<port>/listing`` records each listed directory for other checks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._http import candidates, directory_links, request, url
from ixion.plugins._support import printable, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "entries", "is_listing", "run"]

#: Names shown per listed directory.
SHOWN: Final = 10
_LISTING: Final = re.compile(
    rb"<title>\s*(?:Index of /|Directory listing for /|Directory Listing For )"
    rb"|<h1>\s*Index of /|\[To Parent Directory\]",
    re.IGNORECASE,
)
_ENTRY: Final = re.compile(rb"""<a\s[^>]*href\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)

INFO = PluginInfo(
    id=90000034,
    filename="http_listing.py",
    name="Web server directory listing",
    family="Web Servers",
    category=Category.ATTACK,
    summary="Finds web directories whose contents the server lists to anyone",
    description=(
        "Fetches / of each web server, the directories it links to and a few common ones, "
        "and reports those for which the server generates a listing of the files they hold. "
        "Anyone can then browse files that were never linked: backups, configuration, "
        "source code, uploads. Turn automatic indexes off."
    ),
    xrefs=("CWE:548",),
    dependencies=("find_service.py",),
    require_ports=("Services/www",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


def is_listing(body: bytes) -> bool:
    """Whether a page is a directory index a server generated."""
    return _LISTING.search(body[:8192]) is not None


def entries(body: bytes) -> list[str]:
    """The names a listing shows (not its parent, sort links or absolute links)."""
    names: list[str] = []
    for match in _ENTRY.finditer(body):
        link = match[1].decode("latin-1")
        if link.startswith(("?", "/", "..", "#")) or "://" in link or link in names:
            continue
        names.append(link)
    return names


async def _listed(ctx: PluginContext, port: int, tls: bool) -> dict[str, list[str]]:
    """Each listed directory with the names it shows."""
    root = await request(ctx, port, "GET", "/", tls=tls)
    if root is None:
        return {}
    links = directory_links(root.body) if root.status == 200 else []
    found: dict[str, list[str]] = {}
    for path in candidates(links):
        answer = root if path == "/" else await request(ctx, port, "GET", path, tls=tls)
        if answer is not None and answer.status == 200 and is_listing(answer.body):
            found[path] = entries(answer.body)
    return found


def _describe(ctx: PluginContext, port: int, tls: bool, found: dict[str, list[str]]) -> str:
    lines = ["The web server lists the files of these directories to anyone (directory listing):"]
    for path, names in found.items():
        shown = ", ".join(printable(name.encode("latin-1"), limit=120) for name in names[:SHOWN])
        more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        lines += ["", f"  {url(ctx, port, tls, path)}", f"      {shown or '(empty)'}{more}"]
    lines += [
        "",
        "Anyone can browse files that were never linked from a page: backups, configuration "
        "and source files, uploads, documents meant for a few. A listing also tells an "
        "attacker what software and files the site is made of.",
        "",
        "Solution: turn automatic directory indexes off (nginx: 'autoindex off;', Apache: "
        "'Options -Indexes', IIS: disable Directory Browsing) and put an index page where a "
        "listing is wanted on purpose; remove files that should not be public.",
    ]
    return "\n".join(lines)


async def run(ctx: PluginContext) -> None:
    for port in service_ports(ctx, "www"):
        tls = uses_tls(ctx, port)
        found = await _listed(ctx, port, tls)
        if not found:
            continue
        for path in found:
            ctx.kb.add(f"www/{port}/listing", path)
        ctx.warning(_describe(ctx, port, tls, found), port=port)
