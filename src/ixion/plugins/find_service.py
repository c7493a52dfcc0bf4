"""Which service listens on each open TCP port, and through TLS or not (spec §6.6).

The same steps as nessusd's find_service.nes (id 10330), on every open port at once (up to
``PARALLEL``):

1. connect and wait briefly for a spontaneous banner (SSH, FTP, SMTP, POP3 and IMAP servers
   speak first);
2. if nothing came, send ``GET / HTTP/1.0`` and read the answer;
3. if neither is recognisable (or the answer looks like a TLS alert, or nothing came at all),
   try a TLS handshake, and if it works do 1 and 2 again inside it, recording
   ``Transports/TCP/<port>`` as the negotiated version (OpenVAS's numbers).

A ``220`` greeting is FTP or SMTP; when the words in it do not settle which, the server is
asked ``EHLO`` (and ``HELO``, for old mailers), which any SMTP server answers with ``250`` and
an FTP server refuses. Both are harmless.

KB keys (spec §6.5): ``Services/<name>`` = port (``www`` for HTTP), ``Known/tcp/<port>`` =
name, ``Transports/TCP/<port>``, ``<name>/banner/<port>`` (``SSH/banner`` for SSH), and the
raw material other plugins may want, ``FindService/tcp/<port>/spontaneous`` and
``FindService/tcp/<port>/get_http`` (byte for byte: :func:`ixion.plugin_api.kb.kb_text`).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.kb import FIND_SERVICE_DONE, kb_text
from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugins._support import (
    PLAIN,
    encapsulation,
    number,
    printable,
    read_http_head,
    read_reply,
    text_of,
)

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "classify", "run"]

BANNER_WAIT: Final = "Banner timeout (seconds)"
#: Ports identified at the same time.
PARALLEL: Final = 32
#: Bytes kept of a banner; enough for any greeting, small enough for a hostile one.
MAX_BANNER: Final = 4096
HTTP_PROBE: Final = b"GET / HTTP/1.0\r\n\r\n"

#: Words that make a ``220`` greeting a mail server's or an FTP server's.
_MAIL_WORDS: Final = re.compile(rb"SMTP|MAIL|POSTFIX|EXIM|SENDMAIL|QMAIL", re.IGNORECASE)
_FTP_WORDS: Final = re.compile(rb"FTP", re.IGNORECASE)
#: What a TLS server sends to plain text: an alert or handshake record (type 21 or 22,
#: version 3.x), or a web server's page saying a TLS port got plain HTTP.
_TLS_HINT: Final = re.compile(
    rb"^[\x15\x16]\x03[\x00-\x04]|plain HTTP request was sent to HTTPS|SSL-enabled server port",
    re.IGNORECASE,
)

#: How notes name each ``Transports/TCP`` value above PLAIN.
_TLS_NAMES: Final = {2: "TLS", 4: "SSLv3", 5: "TLSv1.0", 6: "TLSv1.1", 7: "TLSv1.2", 8: "TLSv1.3"}
#: Seconds a greeting that started may take to finish, after the banner wait.
_GREETING_GRACE: Final = 1.0

#: How each service is named in reports and where its banner goes in the KB.
_NAMES: Final = {
    "ssh": ("An SSH server", "SSH/banner"),
    "ftp": ("An FTP server", "ftp/banner"),
    "smtp": ("An SMTP server", "smtp/banner"),
    "pop3": ("A POP3 server", "pop3/banner"),
    "imap": ("An IMAP server", "imap/banner"),
    "www": ("A web server", "www/banner"),
}

INFO = PluginInfo(
    id=90000010,
    filename="find_service.py",
    name="Services",
    family="Service detection",
    category=Category.GATHER_INFO,
    summary="Identifies the service on each open TCP port, in clear or through TLS",
    description=(
        "Connects to every open TCP port, reads what the service says first, sends an HTTP "
        "request if it says nothing, and tries a TLS handshake when the answer is not "
        "recognisable. SSH, FTP, SMTP, POP3, IMAP and web servers are recognised, in clear "
        "and through TLS. Knowing what runs where is the basis of every later check; a "
        "service nobody expected on a port is worth a question in itself."
    ),
    dependencies=("tcp_scanner.py",),
    preferences=(PluginPreference(BANNER_WAIT, PreferenceType.ENTRY, "3"),),
)


def classify(banner: bytes) -> str | None:
    """The service a first answer (spontaneous or to our GET) shows, or None.

    Returns ``ftp-or-smtp`` for a 220 greeting whose words do not tell.
    """
    text = banner.lstrip(b"\r\n\0 ")
    if text.startswith(b"SSH-"):
        return "ssh"
    if text.startswith((b"HTTP/1.", b"HTTP/2")):
        return "www"
    if text.startswith(b"+OK"):
        return "pop3"
    if re.match(rb"\* (OK|PREAUTH)\b", text, re.IGNORECASE):
        return "imap"
    if re.match(rb"220[ -]", text):
        mail, ftp = bool(_MAIL_WORDS.search(text)), bool(_FTP_WORDS.search(text))
        if mail != ftp:
            return "smtp" if mail else "ftp"
        return "ftp-or-smtp"
    return None


@dataclass(frozen=True, slots=True)
class Seen:
    """What one connection (plain or TLS) showed."""

    service: str | None
    banner: bytes = b""
    http: bytes = b""
    #: The connection failed, or a TLS handshake did not complete.
    failed: bool = False
    encapsulation: int = PLAIN

    @property
    def tls_hint(self) -> bool:
        return bool(_TLS_HINT.search(self.http or self.banner))


async def _look(ctx: PluginContext, port: int, *, tls: bool, wait: float) -> Seen:
    """Steps 1 and 2 over one connection (two if the first closed before our GET)."""
    try:
        stream = await ctx.connect(port, tls=tls)
    except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
        ctx.log.debug("port %d%s: %r", port, " (TLS)" if tls else "", exc)
        return Seen(None, failed=True)
    encaps = encapsulation(stream)
    answer: bytes | None = None
    async with stream:
        banner = await _banner(stream, wait)
        if banner:
            service = classify(banner)
            if service == "ftp-or-smtp":
                service = await _ftp_or_smtp(stream)
            return Seen(service, banner=banner, encapsulation=encaps)
        if not stream.reader.at_eof():
            answer = await _ask_http(stream)
    if answer is None:  # it hung up on silence; ask again on a fresh connection
        try:
            async with await ctx.connect(port, tls=tls) as again:
                answer = await _ask_http(again)
        except (OSError, TimeoutError):
            answer = b""
    service = classify(answer)
    return Seen("www" if service == "www" else None, http=answer, encapsulation=encaps)


async def _banner(stream: Stream, wait: float) -> bytes:
    """What the service says unasked, within ``wait``; a multi-line greeting is read whole.

    One deadline bounds it all, so a server dripping a byte at a time cannot stretch it.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait + _GREETING_GRACE
    data = await stream.recv(MAX_BANNER, timeout=wait)
    while data and len(data) < MAX_BANNER and not _complete(data):
        left = deadline - loop.time()
        more = await stream.recv(MAX_BANNER - len(data), timeout=left) if left > 0 else b""
        if not more:
            break
        data += more
    return data[:MAX_BANNER]


def _complete(data: bytes) -> bool:
    """Whether a greeting has arrived whole: a last line ended, and a ``NNN-`` reply closed."""
    if not data.endswith(b"\n"):
        return False
    match = re.match(rb"(\d{3})-", data)
    if match is None:
        return True
    last = data.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].rstrip(b"\r")
    return last == match[1] or last.startswith(match[1] + b" ")


async def _ask_http(stream: Stream) -> bytes:
    try:
        await stream.send(HTTP_PROBE)
    except (OSError, TimeoutError):
        return b""
    return await read_http_head(stream)


async def _ftp_or_smtp(stream: Stream) -> str | None:
    """Settle an ambiguous 220 greeting by asking.

    Any SMTP server answers EHLO (RFC 5321) or, if very old, HELO with 250. A server that
    refuses both and answers SYST with 215 (system type) or 530 (log in first), FTP's own
    codes (RFC 959), is an FTP server. Anything else stays unknown.
    """
    try:
        for command in (b"EHLO ixion.invalid\r\n", b"HELO ixion.invalid\r\n"):
            await stream.send(command)
            reply = await read_reply(stream)
            if reply.code is None:
                return None
            if reply.code == 250:
                await stream.send(b"QUIT\r\n")
                return "smtp"
        await stream.send(b"SYST\r\n")
        reply = await read_reply(stream)
        if reply.code in (215, 530):
            await stream.send(b"QUIT\r\n")
            return "ftp"
    except (OSError, TimeoutError):
        pass
    return None


async def _identify(ctx: PluginContext, port: int, wait: float) -> None:
    seen = await _look(ctx, port, tls=False, wait=wait)
    if seen.failed:
        return  # closed since the scan: nothing to say
    # A plain banner nobody knows is still plain text: TLS servers never speak first.
    if (seen.service is None and not seen.banner) or seen.tls_hint:
        inside = await _look(ctx, port, tls=True, wait=wait)
        if not inside.failed:
            seen = inside
    _record(ctx, port, seen)


def _record(ctx: PluginContext, port: int, seen: Seen) -> None:
    kb = ctx.kb
    kb.replace(f"Transports/TCP/{port}", seen.encapsulation)
    if seen.banner:
        kb.replace(f"FindService/tcp/{port}/spontaneous", kb_text(seen.banner))
    if seen.http:
        kb.replace(f"FindService/tcp/{port}/get_http", kb_text(seen.http))
    tls = _TLS_NAMES.get(seen.encapsulation, "")
    through = f" through {tls}" if tls else ""
    if seen.service is None:
        kb.add("Services/unknown", port)
        said = seen.banner or seen.http
        if said:
            ctx.note(
                f"An unknown service is running on this port{through}. It sent:\n\n"
                f"{printable(said)}",
                port=port,
            )
        return
    kb.add(f"Services/{seen.service}", port)
    kb.replace(f"Known/tcp/{port}", seen.service)
    what, banner_key = _NAMES[seen.service]
    raw = seen.http if seen.service == "www" else seen.banner
    if seen.service == "ssh":
        # Only the identification line: a server may send its binary KEXINIT right after.
        raw = raw.lstrip(b"\r\n\0 ").split(b"\n", 1)[0] + b"\n"
    kb.replace(f"{banner_key}/{port}", text_of(raw).strip())
    text = f"{what} is running on this port{through}."
    if seen.service != "www":
        text += f"\nIts banner:\n\n{printable(raw)}"
    ctx.note(text, port=port)


async def run(ctx: PluginContext) -> None:
    wait = number(ctx.preference(BANNER_WAIT), 3.0, 0.1, 60.0)
    limit = asyncio.Semaphore(PARALLEL)

    async def one(port: int) -> None:
        async with limit:
            await _identify(ctx, port, wait)

    async with asyncio.TaskGroup() as group:
        for port in ctx.open_ports():
            group.create_task(one(port))
    ctx.kb.replace(FIND_SERVICE_DONE, 1)
