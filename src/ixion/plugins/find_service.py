"""Which service listens on each open TCP port, and through TLS or not (spec §6.6).

nessusd's find_service.nes (id 10330) listened for a greeting and sent ``GET / HTTP/1.0``;
this plugin goes on from there with the probes of :mod:`ixion.plugins._service_probes`, on
every open port at once (up to ``PARALLEL``), each port following its own plan:

1. the probe of the port's usual service first (443: a TLS handshake, 6379: Redis's
   ``PING``...); on any other port, listen for a greeting (SSH, FTP, SMTP, POP3, IMAP, VNC,
   MySQL speak first). A greeting nobody knows ends the plan: the service said what it is.
2. the other probes, the most common services first. A TLS handshake comes when nothing in
   clear rules it out (a TLS record or a 400 page asking for HTTPS asks for it; silence
   allows it); when it works, the plan starts again inside it (``Transports/TCP/<port>``
   then holds the negotiated version, in OpenVAS's numbers).

A ``220`` greeting is FTP's or SMTP's; when its words do not settle which, the server is
asked ``EHLO`` (and ``HELO``, for old mailers), which any SMTP server answers with ``250`` and
an FTP server refuses. Both are harmless.

Hostile or broken services cost bounded time and memory: every read stops at
``MAX_BANNER``/``MAX_ANSWER`` bytes and a deadline, each port at its ``PORT_BUDGET``, and
whatever a probe raises (a reset, a TLS alert, an end of stream) ends that probe alone, with
the reason logged; a port left unidentified keeps the reasons in the KB.

KB keys (spec §6.5), the feed's: ``Services/<name>`` = port (``www`` for HTTP),
``Known/tcp/<port>`` = name, ``Transports/TCP/<port>``, ``<name>/banner/<port>``
(``SSH/banner`` for SSH), the raw answers ``FindService/tcp/<port>/spontaneous`` and
``FindService/tcp/<port>/get_http`` (byte for byte: :func:`ixion.plugin_api.kb.kb_text`),
``Services/unknown`` for the rest. ixion's own: ``ixion/service/tcp/<port>`` = the name
``nmap -sV`` gives the service (``http``, ``ssl/http``...; ``ssl/unknown`` for an unknown
service behind TLS), written through :meth:`PluginContext.name_service`, which also names
the port in its PORT line and results (the host's TCP ports wait for this plugin to end:
``detects_services``), and ``ixion/service_failure/tcp/<port>``, why a port stayed unknown.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.kb import FIND_SERVICE_DONE, kb_text
from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugin_api.service_names import SERVICE_NAME_KEY
from ixion.plugins._service_probes import (
    AMBIGUOUS,
    GET,
    KINDS,
    LISTEN,
    TLS,
    TLS_HINT,
    Kind,
    Probe,
    complete,
    http_head,
    plan,
    quote,
    recognise,
)
from ixion.plugins._support import PLAIN, encapsulation, number, printable, read_reply, text_of

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "SERVICE_FAILURE", "SERVICE_NAME", "run"]

BANNER_WAIT: Final = "Banner timeout (seconds)"
PORT_BUDGET: Final = "Time per port (seconds)"
#: Ports identified at the same time.
PARALLEL: Final = 32
#: Bytes kept of a greeting; enough for any, small enough for a hostile one.
MAX_BANNER: Final = 4096
#: Bytes read of an answer to a probe: an HTTP head and the start of a 400 page.
MAX_ANSWER: Final = 16 * 1024
#: KB key templates: the name ``nmap -sV`` gives the port's service, and why none was found.
SERVICE_NAME: Final = SERVICE_NAME_KEY.format(proto="tcp", port="{port}")
SERVICE_FAILURE: Final = "ixion/service_failure/tcp/{port}"

#: What a probe may raise: ConnectionResetError, ssl.SSLError... are all OSErrors;
#: EOFError covers asyncio.IncompleteReadError.
_FAILURES: Final = (OSError, TimeoutError, EOFError)
#: How notes name each ``Transports/TCP`` value above PLAIN.
_TLS_NAMES: Final = {2: "TLS", 4: "SSLv3", 5: "TLSv1.0", 6: "TLSv1.1", 7: "TLSv1.2", 8: "TLSv1.3"}
#: Seconds a greeting that started may take to finish, after the wait for its first byte.
_GRACE: Final = 1.0
#: Seconds an answer to a probe may pause between two pieces (real ones come in one piece).
_GAP: Final = 0.5
#: Answers nobody knows after which a port's plan stops: a service that meets HTTP, memcached
#: and PostgreSQL with gibberish will not answer the binary protocols after them any better.
MAX_UNKNOWN_ANSWERS: Final = 3

INFO = PluginInfo(
    id=90000010,
    filename="find_service.py",
    name="Services",
    family="Service detection",
    category=Category.GATHER_INFO,
    summary="Identifies the service on each open TCP port, in clear or through TLS",
    description=(
        "Connects to every open TCP port, listens for a greeting, then sends the probes of "
        "the services that might be there, the port's usual one first, and tries a TLS "
        "handshake when the port may want one. Web, SSH, FTP, SMTP, POP3, IMAP, DNS, LDAP, "
        "SMB, RDP, VNC, MySQL/MariaDB, PostgreSQL, Redis and Memcached servers are "
        "recognised, in clear and through TLS. Knowing what runs where is the basis of "
        "every later check; a service nobody expected on a port is worth a question in itself."
    ),
    dependencies=("tcp_scanner.py",),
    detects_services=True,
    preferences=(
        PluginPreference(BANNER_WAIT, PreferenceType.ENTRY, "3"),
        PluginPreference(PORT_BUDGET, PreferenceType.ENTRY, "60"),
    ),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


@dataclass(slots=True)
class _Port:
    """What the probes of one port found out so far."""

    number: int
    kind: Kind | None = None
    #: The answer that named the service.
    evidence: bytes = b""
    encapsulation: int = PLAIN
    spontaneous: bytes = b""
    http: bytes = b""
    #: The first thing it said that no rule knows.
    unknown: bytes = b""
    #: Something accepted a TCP connection (a refusal means it closed since the scan).
    reachable: bool = False
    #: Worth a TLS handshake: nothing it said in clear rules TLS out.
    maybe_tls: bool = True
    #: Answers to probes that no rule knows.
    unknown_answers: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, step: str, what: str | BaseException) -> None:
        if isinstance(what, BaseException):
            detail = str(what).strip()
            what = type(what).__name__ + (f": {detail}" if detail else "")
        self.problems.append(f"{step}: {what[:200]}")


def _step(probe: Probe, tls: bool) -> str:
    return f"ssl/{probe.name}" if tls else probe.name


async def _connect(ctx: PluginContext, port: _Port, tls: bool, step: str) -> Stream | None:
    try:
        stream = await ctx.connect(port.number, tls=tls)
    except _FAILURES as exc:
        # Refused: nothing listens (any more). Anything else, even a handshake cut short,
        # means something accepted the connection.
        port.reachable = port.reachable or not isinstance(exc, ConnectionRefusedError)
        port.problem(step, exc)
        return None
    port.reachable = True
    if tls:
        port.encapsulation = encapsulation(stream)
    return stream


async def _read(stream: Stream, probe: Probe, wait: float) -> bytes:
    """The answer to ``probe``: its first bytes within ``wait``, the rest until it is
    :func:`complete`, ends, or fills its limit, all within ``wait`` + ``_GRACE``; after a
    probe, each piece within ``_GAP`` of the one before.

    One deadline bounds it all, so a server dripping a byte at a time cannot stretch it.
    """
    limit = MAX_BANNER if probe is LISTEN else MAX_ANSWER
    gap = _GRACE if probe is LISTEN else _GAP
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait + _GRACE
    data = await stream.recv(limit, timeout=wait)
    while data and len(data) < limit and not complete(data, probe):
        left = min(deadline - loop.time(), gap)
        more = await stream.recv(limit - len(data), timeout=left) if left > 0 else b""
        if not more:
            break
        data += more
    return data[:limit]


async def _listen(
    ctx: PluginContext, port: _Port, wait: float, tls: bool
) -> tuple[bool, Stream | None]:
    """Wait for a greeting. Settled or not, and the connection when it is silent but open:
    the next probe goes over it, saving a connection."""
    step = _step(LISTEN, tls)
    stream = await _connect(ctx, port, tls, step)
    if stream is None:
        return False, None
    keep = False
    try:
        greeting = await _read(stream, LISTEN, wait)
        if greeting:
            return await _judge(ctx, port, LISTEN, greeting, tls, stream), None
        port.problem(step, "closed without a word" if stream.at_eof else f"silent for {wait:g} s")
        keep = not stream.at_eof
        return False, stream if keep else None
    except _FAILURES as exc:
        port.problem(step, exc)
        return False, None
    finally:
        if not keep:
            await stream.close()


async def _ask(
    ctx: PluginContext, port: _Port, probe: Probe, wait: float, tls: bool, stream: Stream | None
) -> bool:
    """Send ``probe`` (over ``stream``, else a new connection) and judge the answer."""
    step = _step(probe, tls)
    if stream is None and (stream := await _connect(ctx, port, tls, step)) is None:
        return False
    async with stream:
        try:
            if probe.payload:
                await stream.send(probe.payload)
            answer = await _read(stream, probe, wait)
            if not answer:
                port.problem(step, "closed without answering" if stream.at_eof else "no answer")
                return False
            return await _judge(ctx, port, probe, answer, tls, stream)
        except _FAILURES as exc:
            port.problem(step, exc)
            return False


async def _judge(
    ctx: PluginContext, port: _Port, probe: Probe, answer: bytes, tls: bool, stream: Stream
) -> bool:
    """Record what ``answer`` shows; whether that settles the port."""
    if probe is LISTEN:
        port.spontaneous = answer
    elif probe is GET:
        port.http = answer
    result = recognise(answer, probe)
    if result == AMBIGUOUS:
        result = await _ftp_or_smtp(stream if probe is LISTEN else None, ctx, port, tls)
    if result == TLS_HINT:
        port.problem(_step(probe, tls), "answered as a TLS server would")
        return False
    if result is not None:
        port.kind, port.evidence = KINDS[result], answer
        return True
    port.unknown = port.unknown or answer
    port.maybe_tls = port.maybe_tls and tls
    overflow = " or more" if len(answer) >= (MAX_BANNER if probe is LISTEN else MAX_ANSWER) else ""
    port.problem(_step(probe, tls), f"{len(answer)} bytes{overflow}, not recognised")
    if probe is LISTEN:
        return True  # a greeting nobody knows is still the service saying what it is
    port.unknown_answers += 1
    if port.unknown_answers >= MAX_UNKNOWN_ANSWERS:
        port.problem("all", f"{port.unknown_answers} answers not recognised, no more probes")
        return True
    return False


async def _ftp_or_smtp(
    stream: Stream | None, ctx: PluginContext, port: _Port, tls: bool
) -> str | None:
    """Settle an ambiguous 220 greeting by asking, over a fresh connection if need be.

    Any SMTP server answers EHLO (RFC 5321) or, if very old, HELO with 250. A server that
    refuses both and answers SYST with 215 (system type) or 530 (log in first), FTP's own
    codes (RFC 959), is an FTP server. Anything else stays unknown.
    """
    if stream is None:
        fresh = await _connect(ctx, port, tls, "220")
        if fresh is None:
            return None
        async with fresh:
            try:
                greeting = await read_reply(fresh)
            except _FAILURES:
                return None
            return await _ftp_or_smtp(fresh, ctx, port, tls) if greeting.code == 220 else None
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
    except _FAILURES:
        pass
    return None


async def _explore(ctx: PluginContext, port: _Port, wait: float, *, tls: bool) -> bool:
    """Follow the port's plan, in clear or inside TLS; whether that settled the port.

    Inside TLS, a failed first step is a failed handshake: not TLS, back to the clear plan.
    After a working handshake the port is settled even if nothing inside is known.
    """
    kept: Stream | None = None
    try:
        for index, probe in enumerate(plan(port.number, tls=tls)):
            if probe is LISTEN:
                settled, kept = await _listen(ctx, port, wait, tls)
            elif probe is TLS:
                settled = port.maybe_tls and await _explore(ctx, port, wait, tls=True)
            else:
                stream, kept = kept, None
                settled = await _ask(ctx, port, probe, wait, tls, stream)
            if settled:
                return True
            if tls and index == 0 and port.encapsulation == PLAIN:
                return False
        return tls
    finally:
        if kept is not None:
            await kept.close()


async def _identify(ctx: PluginContext, number: int, wait: float, budget: float) -> None:
    port = _Port(number)
    try:
        async with asyncio.timeout(budget):
            await _explore(ctx, port, wait, tls=False)
    except TimeoutError:
        port.problem("all", f"gave up after {budget:g} s")
    except Exception as exc:  # one port's surprise must not end the others' detection
        ctx.log.warning("port %d: service detection failed", number, exc_info=True)
        port.problem("all", exc)
    if port.reachable:
        _record(ctx, port)
    else:
        ctx.log.debug("port %d: closed since the scan: %s", number, "; ".join(port.problems))


def _record(ctx: PluginContext, port: _Port) -> None:
    kb, number = ctx.kb, port.number
    kb.replace(f"Transports/TCP/{number}", port.encapsulation)
    if port.spontaneous:
        kb.replace(f"FindService/tcp/{number}/spontaneous", kb_text(port.spontaneous))
    if port.http:
        kb.replace(f"FindService/tcp/{number}/get_http", kb_text(port.http))
    tls = _TLS_NAMES.get(port.encapsulation, "")
    through, ssl = (f" through {tls}", "ssl/") if tls else ("", "")
    kind = port.kind
    if kind is None:
        kb.add("Services/unknown", number)
        if tls:
            ctx.name_service(number, "tcp", "ssl/unknown")
        reason = "; ".join(port.problems) or "nothing recognisable"
        kb.replace(SERVICE_FAILURE.format(port=number), reason)
        ctx.log.info("port %d: service not identified: %s", number, reason)
        if port.unknown:
            ctx.note(
                f"An unknown service is running on this port{through}. It sent:\n\n"
                f"{printable(port.unknown)}",
                port=number,
            )
        return
    ctx.log.debug("port %d: %s%s, after: %s", number, ssl, kind.nmap, "; ".join(port.problems))
    kb.add(f"Services/{kind.key}", number)
    kb.replace(f"Known/tcp/{number}", kind.key)
    ctx.name_service(number, "tcp", ssl + kind.nmap)
    raw = http_head(port.evidence) if kind.key == "www" else port.evidence
    quoted = quote(kind.key, raw)
    if kind.banner is not None:
        kb.replace(f"{kind.banner}/{number}", text_of(raw if quoted is None else quoted).strip())
    text = f"{kind.label} is running on this port{through}."
    if quoted is not None:
        text += f"\nIts banner:\n\n{printable(quoted)}"
    ctx.note(text, port=number)


async def run(ctx: PluginContext) -> None:
    wait = number(ctx.preference(BANNER_WAIT), 3.0, 0.1, 60.0)
    budget = number(ctx.preference(PORT_BUDGET), 60.0, 1.0, 3600.0)
    limit = asyncio.Semaphore(PARALLEL)

    async def one(port: int) -> None:
        async with limit:
            await _identify(ctx, port, wait, budget)

    async with asyncio.TaskGroup() as group:
        for port in ctx.open_ports():
            group.create_task(one(port))
    ctx.kb.replace(FIND_SERVICE_DONE, 1)
