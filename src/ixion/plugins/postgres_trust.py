"""Does the PostgreSQL server let ``postgres`` in without a password?

``pg_hba.conf`` picks an authentication method per connection type, database, user and
address; ``trust`` lets the client in as whoever it claims to be. It is ``initdb``'s default
for local connections, and copied to ``host`` lines it opens the server to the network.

The check speaks protocol 3.0 (PostgreSQL documentation, "Frontend/Backend Protocol"): a
StartupMessage as user ``postgres`` for database ``postgres``. ``AuthenticationOk`` (an
``R`` message with code 0) before any password is asked is the finding; a request for a
password (cleartext, MD5, SASL/SCRAM...) is noted with its method, and the session is ended
with ``Terminate`` before any query. A server that refuses a clear connection for want of
encryption (no ``pg_hba.conf`` entry, SQLSTATE 28000) is asked again over TLS (SSLRequest),
since a ``hostssl ... trust`` line is just as open.
"""

from __future__ import annotations

import ssl
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugin_api.tls import probing_context
from ixion.plugins._checks import check_ports, read_exact
from ixion.plugins._support import printable, text_of

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "Answer", "run", "startup_message"]

USER: Final = "postgres"
#: Protocol 3.0, and the SSLRequest code (1234.5679), as the protocol numbers them.
_PROTOCOL: Final = 3 << 16
_SSL_REQUEST: Final = 80877103
#: Longest message read; the server's first answers are a few hundred bytes.
MAX_MESSAGE: Final = 64 * 1024
#: Messages read after the startup at most (parameter statuses come one by one).
MAX_MESSAGES: Final = 64
#: ``AuthenticationXXX`` codes, as the protocol numbers them.
_METHODS: Final = {
    2: "Kerberos V5",
    3: "a cleartext password",
    5: "an MD5-hashed password",
    7: "GSSAPI",
    9: "SSPI",
    10: "SASL",
}
#: SQLSTATE invalid_authorization_specification: no pg_hba.conf line (maybe: not without TLS).
_NO_HBA_ENTRY: Final = "28000"

INFO = PluginInfo(
    id=90000047,
    filename="postgres_trust.py",
    name="PostgreSQL login without a password",
    family="Databases",
    category=Category.ATTACK,
    summary="Checks whether PostgreSQL lets the postgres superuser in without a password",
    description=(
        "Starts a PostgreSQL session as the user 'postgres' without a password and ends "
        "it before any query. A server that lets the session in ('trust' in pg_hba.conf) "
        "gives anyone who reaches it the superuser: every database can be read and "
        "changed, and COPY ... PROGRAM runs commands on the server. Use scram-sha-256 for "
        "every 'host' line of pg_hba.conf."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/postgresql", 5432),
    xrefs=("CWE:306", "URL:https://www.postgresql.org/docs/current/auth-trust.html"),
    qod=Qod.of(QodType.EXPLOIT),
)


@dataclass(slots=True)
class Answer:
    """What the server answered a StartupMessage."""

    #: ``AuthenticationXXX`` code: 0 let in, others ask for a credential; None: none came.
    code: int | None = None
    #: SASL mechanisms offered (code 10).
    mechanisms: list[str] = field(default_factory=list)
    #: ErrorResponse fields by their code letter (``C`` SQLSTATE, ``M`` message).
    error: dict[str, str] = field(default_factory=dict)
    #: ParameterStatus values (``server_version``...) sent after AuthenticationOk.
    parameters: dict[str, str] = field(default_factory=dict)
    tls: bool = False


def startup_message(user: str, database: str) -> bytes:
    pairs = {"user": user, "database": database, "application_name": "ixion"}
    body = struct.pack(">I", _PROTOCOL)
    body += b"".join(f"{name}\0{value}\0".encode() for name, value in pairs.items()) + b"\0"
    return struct.pack(">I", len(body) + 4) + body


def _strings(data: bytes) -> list[str]:
    return [text_of(part) for part in data.split(b"\0")]


async def _message(stream: Stream) -> tuple[bytes, bytes] | None:
    """One backend message: its type byte and its body; None at the end or on garbage."""
    head = await read_exact(stream, 5)
    if len(head) < 5:
        return None
    size = struct.unpack(">I", head[1:])[0]
    if not 4 <= size <= MAX_MESSAGE:
        return None
    body = await read_exact(stream, size - 4)
    return (head[:1], body) if len(body) == size - 4 else None


async def _read_answer(stream: Stream, answer: Answer) -> None:
    for _ in range(MAX_MESSAGES):
        message = await _message(stream)
        if message is None:
            return
        kind, body = message
        if kind == b"E":
            answer.error = {part[:1]: part[1:] for part in _strings(body) if part}
            return
        if kind == b"R" and len(body) >= 4:
            answer.code = struct.unpack(">I", body[:4])[0]
            if answer.code == 10:
                answer.mechanisms = [name for name in _strings(body[4:]) if name]
            if answer.code != 0:
                return
        elif kind == b"S":
            name, value, *_ = [*_strings(body), "", ""]
            answer.parameters[name] = value
        elif kind == b"Z":  # ReadyForQuery: the session is open
            return


async def _start_tls(stream: Stream) -> bool:
    """SSLRequest, then a TLS handshake if the server said ``S``."""
    await stream.send(struct.pack(">II", 8, _SSL_REQUEST))
    if await read_exact(stream, 1) != b"S":
        return False
    await stream.writer.start_tls(probing_context())
    return True


async def _startup(ctx: PluginContext, port: int, tls: bool) -> Answer | None:
    try:
        async with await ctx.connect(port) as stream:
            if tls and not await _start_tls(stream):
                return None
            answer = Answer(tls=tls)
            await stream.send(startup_message(USER, "postgres"))
            await _read_answer(stream, answer)
            await stream.send(b"X\0\0\0\x04")  # Terminate
            return answer
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


def _report_login(answer: Answer) -> str:
    version = answer.parameters.get("server_version")
    through = " over TLS" if answer.tls else ""
    return (
        f"The PostgreSQL server on this port let the superuser 'postgres' log in{through} "
        "without a password: it answered the session start-up for database 'postgres' "
        "with AuthenticationOk (ixion ended the session before any query).\n\n"
        + (f"Server version: {printable(version.encode(), 80)}\n\n" if version else "")
        + "Anyone who reaches this port can read, change and drop every database, create "
        "accounts, and run shell commands as the server's account (COPY ... FROM "
        "PROGRAM, untrusted procedural languages). pg_hba.conf most likely has a 'trust' "
        "line for this address.\n\n"
        "Solution: in pg_hba.conf, replace 'trust' by 'scram-sha-256' on every 'host' "
        "and 'hostssl' line (and keep 'trust' or 'peer' for local sockets only), give "
        "the postgres role a strong password, limit listen_addresses to the interfaces "
        "clients use, and filter the port. Reload the server afterwards."
    )


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "postgresql", 5432):
        answer = await _startup(ctx, port, tls=False)
        if answer is not None and answer.error.get("C") == _NO_HBA_ENTRY:
            ctx.log.info("port %d: %s; trying over TLS", port, answer.error.get("M"))
            answer = await _startup(ctx, port, tls=True) or answer
        if answer is None:
            continue
        if answer.code == 0:
            ctx.kb.replace(f"postgresql/{port}/trust", USER)
            ctx.hole(_report_login(answer), port=port)
        elif answer.code in _METHODS:
            method = _METHODS[answer.code]
            if answer.mechanisms:
                method += f" ({', '.join(answer.mechanisms)})"
            ctx.note(
                f"The PostgreSQL server on this port asks the user '{USER}' for {method} "
                "before letting a session in.",
                port=port,
                qod_type=QodType.REMOTE_ACTIVE,
            )
        elif answer.error:
            ctx.log.info("port %d: refused: %s", port, answer.error)
