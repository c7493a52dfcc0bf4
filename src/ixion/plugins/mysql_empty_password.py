"""Does the MySQL or MariaDB server let ``root`` in with an empty password?

Old installers created ``root`` without a password, and the account is often given a ``'%'``
host to "let the application connect". The check speaks the client/server protocol itself
(MySQL's "Client/Server Protocol" documentation, "Connection Phase"): it reads the
server's Handshake v10, answers with a HandshakeResponse41 for ``root`` with an empty
``mysql_native_password`` answer, follows an AuthSwitchRequest to a plugin whose answer for
an empty password is empty as well (``caching_sha2_password``, MySQL 8's default), and
takes an OK packet as the finding. Plugins that derive a key even from an empty password
(MariaDB's ``ed25519``) are not answered, so such an account goes unreported. After an OK it
sends COM_QUIT and nothing else: no query runs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports, read_exact
from ixion.plugins._support import printable, text_of

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "Handshake", "handshake_response", "parse_handshake", "run"]

USER: Final = "root"
_NATIVE: Final = b"mysql_native_password"
#: Capability flags (``CLIENT_*``) the response claims: 4.1 protocol, secure (length-prefixed)
#: auth data, auth plugins; LONG_PASSWORD and LONG_FLAG as every client sets them.
_CAPABILITIES: Final = 0x1 | 0x4 | 0x200 | 0x8000 | 0x80000
_MAX_PACKET: Final = 16 * 1024 * 1024
_UTF8: Final = 33
#: Packets carry 3 length bytes; the first ones of a connection are small.
MAX_PACKET_READ: Final = 64 * 1024
#: How many AuthSwitch/AuthMoreData rounds are followed before giving up.
_ROUNDS: Final = 3
_OK, _ERR, _SWITCH = 0x00, 0xFF, 0xFE
#: Plugins whose answer for an empty password is empty. Others derive something from the
#: password even when it is empty (MariaDB's ed25519 signs with a key made from it), and
#: are not tried: such an account is not found.
_EMPTY_ANSWERS: Final = frozenset(
    {b"mysql_native_password", b"caching_sha2_password", b"mysql_old_password"}
)
#: MariaDB puts this before its version, for old clients that expected MySQL 5.5.
_MARIADB_PREFIX: Final = "5.5.5-"
#: caching_sha2_password's AuthMoreData "fast authentication succeeded".
_FAST_AUTH_OK: Final = b"\x01\x03"

INFO = PluginInfo(
    id=90000048,
    filename="mysql_empty_password.py",
    name="MySQL / MariaDB root login with an empty password",
    family="Databases",
    category=Category.ATTACK,
    summary="Checks whether the MySQL or MariaDB server lets root in with an empty password",
    description=(
        "Logs in to each MySQL or MariaDB server as 'root' with an empty password and "
        "quits at once. A server that accepts gives anyone who reaches it full control of "
        "every database, and often the server's files (LOAD DATA, SELECT ... INTO "
        "OUTFILE). Give root a strong password or socket authentication, and remove "
        "'root'@'%' and anonymous accounts (mariadb-secure-installation)."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/mysql", 3306),
    xrefs=("CWE:521", "URL:https://mariadb.com/kb/en/mariadb-secure-installation/"),
    qod=Qod.of(QodType.EXPLOIT),
)


@dataclass(frozen=True, slots=True)
class Handshake:
    """What matters of a server's Handshake v10 packet."""

    version: str
    plugin: bytes


def parse_handshake(payload: bytes) -> Handshake | None:
    """The server version and default auth plugin; None if it is not a Handshake v10."""
    if not payload or payload[0] != 10:
        return None
    end = payload.find(b"\0", 1)
    if end < 0:
        return None
    version = text_of(payload[1:end])
    if "MariaDB" in version:
        version = version.removeprefix(_MARIADB_PREFIX)
    at = end + 1 + 4 + 8 + 1  # connection id, auth data part 1, filler
    if len(payload) < at + 2:
        return Handshake(version, _NATIVE)
    capabilities = int.from_bytes(payload[at : at + 2], "little")
    at += 2 + 1 + 2  # character set, status flags
    if len(payload) < at + 3:
        return Handshake(version, _NATIVE)
    capabilities |= int.from_bytes(payload[at : at + 2], "little") << 16
    data_length = payload[at + 2]
    at += 2 + 1 + 10  # upper capabilities, auth data length, reserved
    at += max(13, data_length - 8)
    plugin = _NATIVE
    if capabilities & 0x80000 and at < len(payload):
        plugin = payload[at:].split(b"\0", 1)[0] or _NATIVE
    return Handshake(version, plugin)


def handshake_response(user: str) -> bytes:
    """A HandshakeResponse41 for ``user`` with an empty ``mysql_native_password`` answer."""
    return (
        struct.pack("<IIB", _CAPABILITIES, _MAX_PACKET, _UTF8)
        + b"\0" * 23
        + user.encode()
        + b"\0"
        + b"\0"  # auth response length 0: the empty password
        + _NATIVE
        + b"\0"
    )


async def _packet(stream: Stream) -> tuple[int, bytes] | None:
    """One packet: its sequence id and payload; None at the end or when cut short."""
    head = await read_exact(stream, 4)
    if len(head) < 4:
        return None
    size = int.from_bytes(head[:3], "little")
    if size > MAX_PACKET_READ:
        return None
    payload = await read_exact(stream, size)
    return (head[3], payload) if len(payload) == size else None


async def _send(stream: Stream, sequence: int, payload: bytes) -> None:
    await stream.send(len(payload).to_bytes(3, "little") + bytes([sequence & 0xFF]) + payload)


def _error(payload: bytes) -> str:
    """An ERR packet as ``#<code> <message>``."""
    code = int.from_bytes(payload[1:3], "little") if len(payload) >= 3 else 0
    message = payload[3:]
    if message.startswith(b"#"):  # SQL state marker and five characters
        message = message[6:]
    return f"#{code} {printable(message, 200)}"


async def _login(ctx: PluginContext, port: int) -> tuple[str, str | None] | None:
    """(server version, None if root got in else why not); None if no handshake came."""
    try:
        async with await ctx.connect(port) as stream:
            greeting = await _packet(stream)
            if greeting is None:
                return None
            if greeting[1][:1] == bytes([_ERR]):  # "Host ... is not allowed to connect"
                ctx.log.info("port %d: refused at once: %s", port, _error(greeting[1]))
                return None
            handshake = parse_handshake(greeting[1])
            if handshake is None:
                return None
            sequence = greeting[0] + 1
            await _send(stream, sequence, handshake_response(USER))
            for _ in range(_ROUNDS):
                reply = await _packet(stream)
                if reply is None or not reply[1]:
                    return handshake.version, "no answer to the login"
                sequence, payload = reply[0] + 1, reply[1]
                if payload[0] == _OK:
                    await _send(stream, 0, b"\x01")  # COM_QUIT
                    return handshake.version, None
                if payload[0] == _ERR:
                    return handshake.version, _error(payload)
                if payload == _FAST_AUTH_OK:  # caching_sha2_password: the OK follows
                    continue
                if payload[0] == _SWITCH:
                    plugin = payload[1:].split(b"\0", 1)[0]
                    if plugin not in _EMPTY_ANSWERS:
                        return handshake.version, f"asks for {printable(plugin, 64)}, not tried"
                await _send(stream, sequence, b"")
            return handshake.version, "the authentication exchange did not end"
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "mysql", 3306):
        result = await _login(ctx, port)
        if result is None:
            continue
        version, refused = result
        if refused is not None:
            ctx.log.info("port %d: root with an empty password refused: %s", port, refused)
            continue
        ctx.kb.replace(f"mysql/{port}/empty_root_password", 1)
        ctx.hole(
            "The MySQL / MariaDB server on this port let 'root' log in with an empty "
            "password (it answered the login with an OK packet; ixion quit before any "
            f"query).\n\nServer version: {printable(version.encode(), 80)}\n\n"
            "Anyone who reaches this port has every privilege root holds: reading, "
            "changing and dropping every database, creating accounts, and usually reading "
            "and writing the server's files (LOAD DATA INFILE, SELECT ... INTO OUTFILE).\n\n"
            "Solution: give root a strong password or socket authentication "
            "(ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket), drop "
            "'root'@'%' and anonymous accounts (mariadb-secure-installation or "
            "mysql_secure_installation does both), bind the server to the addresses its "
            "clients use, and filter the port.",
            port=port,
        )
