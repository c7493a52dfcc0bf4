"""Helpers the built-in plugins share: reading line-based replies, KB lookups, banner text.

Not a plugin (its name starts with ``_``, so the loader skips it). Everything here works on a
:class:`~ixion.plugin_api.context.Stream` or the KB, never on raw sockets, so the context's rules
(only the scanned address, a timeout on every read) hold for every plugin that uses it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = [
    "MAX_REPLY_LINES",
    "PLAIN",
    "Reply",
    "encapsulation",
    "number",
    "printable",
    "read_http_head",
    "read_reply",
    "service_ports",
    "text_of",
    "uses_tls",
]

#: ``Transports/TCP/<port>`` for a plain connection (OpenVAS ``ENCAPS_IP``).
PLAIN: Final = 1
#: OpenVAS's encapsulation numbers for the version a TLS handshake settled on; ``2``
#: (``ENCAPS_SSLv23``) stands for "TLS, version not known".
_ENCAPSULATIONS: Final = {"SSLv3": 4, "TLSv1": 5, "TLSv1.1": 6, "TLSv1.2": 7, "TLSv1.3": 8}
_SSLV23: Final = 2

#: A multi-line FTP/SMTP reply longer than this is a hostile or broken server, not a banner.
MAX_REPLY_LINES: Final = 100
#: Longest HTTP response head kept; real ones are a few hundred bytes.
MAX_HTTP_HEAD: Final = 16 * 1024

#: ``NNN text``, ``NNN-text`` (more lines follow) or a bare ``NNN``; not ``2200 ...``.
_REPLY_LINE: Final = re.compile(rb"^(\d{3})(?:([ -])|(?=\r?\n)|$)")


def encapsulation(stream: Stream) -> int:
    """The ``Transports/TCP/<port>`` value for this connection: 1 plain, 2-8 TLS versions."""
    ssl_object = stream.writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return PLAIN
    return _ENCAPSULATIONS.get(ssl_object.version() or "", _SSLV23)


def uses_tls(ctx: PluginContext, port: int) -> bool:
    """Whether service detection found ``port`` speaking through TLS."""
    value = ctx.kb.get(f"Transports/TCP/{port}")
    return isinstance(value, int) and value > PLAIN


def service_ports(ctx: PluginContext, service: str) -> list[int]:
    """Every port ``Services/<service>`` names, ascending (a KB key may hold several)."""
    ports = {
        int(value)
        for value in ctx.kb.values(f"Services/{service}")
        if isinstance(value, int) or value.isdigit()
    }
    return sorted(port for port in ports if 0 < port <= 65535)


def number(text: str | None, default: float, low: float, high: float) -> float:
    """A numeric preference, or ``default`` when it is not a number in ``[low, high]``."""
    try:
        value = float(text or "")
    except ValueError:
        return default
    return value if low <= value <= high else default


def text_of(data: bytes) -> str:
    """Bytes from the network as text for the KB: UTF-8 where valid, U+FFFD elsewhere."""
    return data.decode("utf-8", "replace")


def printable(data: bytes, limit: int = 1024) -> str:
    """The printable part of ``data`` for a report: controls and non-ASCII become ``.``.

    Line ends survive, so a multi-line banner still reads as lines. A hostile banner can
    neither inject terminal escapes into a client nor grow a report without bound.
    """
    lines = data[:limit].replace(b"\r\n", b"\n").split(b"\n")
    cleaned = (
        "".join(chr(b) if 0x20 <= b < 0x7F or b == 0x09 else "." for b in line) for line in lines
    )
    text = "\n".join(cleaned).rstrip()
    return text + (" [...]" if len(data) > limit else "")


@dataclass(frozen=True, slots=True)
class Reply:
    """A numbered FTP/SMTP reply (RFC 959 §4.2, RFC 5321 §4.2): its code and its lines."""

    code: int | None
    lines: tuple[bytes, ...]

    @property
    def raw(self) -> bytes:
        return b"".join(self.lines)

    def texts(self) -> list[str]:
        """The text of each line after ``NNN`` and its separator, stripped."""
        return [text_of(_REPLY_LINE.sub(b"", line, count=1)).strip() for line in self.lines]


def _deadline(stream: Stream, timeout: float | None) -> float:
    return asyncio.get_running_loop().time() + (stream.timeout if timeout is None else timeout)


def _left(deadline: float) -> float:
    return max(0.0, deadline - asyncio.get_running_loop().time())


async def read_reply(stream: Stream, *, timeout: float | None = None) -> Reply:
    """Read one reply: lines until ``NNN <text>`` ends a ``NNN-`` sequence (or a single line).

    ``timeout`` bounds the whole reply, so a server dripping one line a second cannot hold a
    plugin for ``MAX_REPLY_LINES`` timeouts. ``code`` is None when nothing came in time, the
    peer closed, or the first line is not a numbered reply; ``lines`` then holds what came.
    """
    deadline = _deadline(stream, timeout)
    lines: list[bytes] = []
    first = await stream.read_line(timeout=_left(deadline))
    if not first:
        return Reply(None, ())
    lines.append(first)
    match = _REPLY_LINE.match(first)
    if match is None:
        return Reply(None, tuple(lines))
    code, separator = match[1], match[2] or b" "
    # Continuation lines may be anything; the reply ends at "<same code><space>" (RFC 959).
    while separator == b"-" and len(lines) < MAX_REPLY_LINES:
        line = await stream.read_line(timeout=_left(deadline))
        if not line:
            break
        lines.append(line)
        if line.startswith(code + b" ") or line.rstrip(b"\r\n") == code:
            separator = b" "
    return Reply(int(code), tuple(lines))


async def read_http_head(stream: Stream, *, timeout: float | None = None) -> bytes:
    """An HTTP response's status line and headers (up to the blank line), or what came.

    ``timeout`` bounds the whole head, as for :func:`read_reply`.
    """
    deadline = _deadline(stream, timeout)
    head = b""
    while len(head) < MAX_HTTP_HEAD:
        chunk = await stream.recv(MAX_HTTP_HEAD - len(head), timeout=_left(deadline))
        if not chunk:
            break
        head += chunk
        end = head.find(b"\r\n\r\n")
        if end >= 0:
            return head[: end + 4]
        if (bare := head.find(b"\n\n")) >= 0:  # a server that ends lines with LF alone
            return head[: bare + 2]
    return head
