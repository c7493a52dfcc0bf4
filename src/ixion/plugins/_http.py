"""One HTTP request and its whole answer, for the web checks: TRACE, PUT, directory listings.

Each request is HTTP/1.1 on a connection of its own with ``Connection: close``; the answer's
body is read as its head says (``Content-Length``, chunked, or to the end), up to
:data:`MAX_BODY` bytes and within a deadline, so a hostile server can neither hold a check
nor fill its memory. Connections go through ``ctx.connect``: only the scanned host.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ixion.plugin_api.context import PluginContext, Stream

__all__ = [
    "COMMON_DIRECTORIES",
    "MAX_BODY",
    "Response",
    "candidates",
    "directory_links",
    "host_header",
    "parse_head",
    "request",
    "url",
]

#: Longest body kept; listings and echoed requests are a few KiB.
MAX_BODY: Final = 256 * 1024
#: Longest head read, and most header lines.
MAX_HEAD: Final = 16 * 1024
MAX_HEADER_LINES: Final = 200
#: Directories often found on web servers, listed or writable by mistake.
COMMON_DIRECTORIES: Final = (
    "/files/",
    "/uploads/",
    "/upload/",
    "/images/",
    "/static/",
    "/assets/",
    "/backup/",
    "/data/",
    "/pub/",
    "/dav/",
    "/webdav/",
    "/tmp/",
)
_STATUS: Final = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})")
_HREF: Final = re.compile(rb"""href\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_CHUNK_SIZE: Final = re.compile(rb"^\s*([0-9a-fA-F]{1,8})")


@dataclass(frozen=True, slots=True)
class Response:
    """An answer: its status, its headers (names lower-cased, repeats joined by ``, ``)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def parse_head(head: bytes) -> tuple[int, dict[str, str]] | None:
    """Status and headers of a response head, or None if it is not HTTP."""
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    match = _STATUS.match(lines[0]) if lines else None
    if match is None:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        key = name.strip().decode("latin-1").lower()
        text = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return int(match[1]), headers


def host_header(ctx: PluginContext, port: int, tls: bool) -> str:
    host = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
    return host if port == (443 if tls else 80) else f"{host}:{port}"


def url(ctx: PluginContext, port: int, tls: bool, path: str) -> str:
    """How a report names a page: ``https://host:port/path``."""
    return f"{'https' if tls else 'http'}://{host_header(ctx, port, tls)}{path}"


async def _head(stream: Stream) -> bytes:
    """The status line and headers, read line by line so that no byte of the body is taken."""
    head = b""
    for _ in range(MAX_HEADER_LINES):
        line = await stream.read_line()
        head += line
        if not line.strip() or len(head) > MAX_HEAD:
            break
    return head


async def _exactly(stream: Stream, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await stream.recv(min(size - len(data), 65536))
        if not chunk:
            break
        data += chunk
    return data


async def _chunked(stream: Stream, limit: int) -> bytes:
    body = b""
    while len(body) < limit:
        match = _CHUNK_SIZE.match(await stream.read_line())
        size = int(match[1], 16) if match else 0
        if size == 0:
            break
        body += await _exactly(stream, min(size, limit - len(body)))
        await stream.read_line()  # the CRLF after the chunk
    return body[:limit]


async def _body(stream: Stream, method: str, status: int, headers: dict[str, str]) -> bytes:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _chunked(stream, MAX_BODY)
    length = headers.get("content-length", "").split(",")[0].strip()
    if length.isdigit():
        return await _exactly(stream, min(int(length), MAX_BODY))
    body = b""
    while len(body) < MAX_BODY and (chunk := await stream.recv(MAX_BODY - len(body))):
        body += chunk
    return body


async def request(
    ctx: PluginContext,
    port: int,
    method: str,
    path: str,
    *,
    tls: bool,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response | None:
    """Send one request; its response, or None if none came (refused, closed, not HTTP).

    The whole exchange is bounded by three read timeouts.
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_header(ctx, port, tls)}"]
    lines += ["User-Agent: ixion", "Accept: */*", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in ("PUT", "POST"):
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
    try:
        async with await ctx.connect(port, tls=tls) as stream:
            async with asyncio.timeout(3 * stream.timeout):
                await stream.send(data)
                parsed = parse_head(await _head(stream))
                if parsed is None:
                    return None
                status, answer = parsed
                return Response(status, answer, await _body(stream, method, status, answer))
    except (OSError, TimeoutError, ValueError) as exc:
        ctx.log.info("port %d: %s %s: %r", port, method, path, exc)
        return None


def directory_links(body: bytes, base: str = "/", limit: int = 20) -> list[str]:
    """The directories of this site that a page links to: ``/files/`` for ``files/a.txt``,
    ``/files/`` for ``/files/``; links to other sites and queries are left out."""
    found: list[str] = []
    for match in _HREF.finditer(body):
        link = match[1].decode("latin-1")
        parts = urlsplit(urljoin(base, link))
        if parts.scheme or parts.netloc or parts.query or ".." in parts.path:
            continue
        first = parts.path.lstrip("/").split("/", 1)
        if len(first) == 2 and first[0]:
            directory = f"/{first[0]}/"
            if directory not in found:
                found.append(directory)
        if len(found) >= limit:
            break
    return found


def candidates(links: Iterable[str], limit: int = 20) -> list[str]:
    """``/``, then the linked directories, then :data:`COMMON_DIRECTORIES`, each once."""
    ordered = dict.fromkeys(["/", *links, *COMMON_DIRECTORIES])
    return list(ordered)[:limit]
