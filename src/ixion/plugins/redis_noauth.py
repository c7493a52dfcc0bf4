"""Does the Redis server run commands for anyone, without a password?

Redis trusts whoever connects unless told otherwise (``requirepass``, or ACL users from 6.0
on); since 3.2 its *protected mode* refuses clients from other machines while no password is
set, and administrators who turn it off to "make it work" leave the database open.

The check sends ``PING`` in the RESP protocol (https://redis.io/docs/latest/develop/reference/
protocol-spec/): ``+PONG`` is a command run without authentication, confirmed with ``INFO
server`` (the version and platform quoted in the report) and ``INFO keyspace`` (how much data
is exposed). ``-NOAUTH`` (a password is required) and ``-DENIED`` (protected mode) are the
answers of a server that is not open; they get a note. Nothing is written or changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._checks import check_ports, read_exact
from ixion.plugins._support import printable, text_of, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["INFO", "info_fields", "run"]

#: Longest ``INFO`` section read; a real one is a few kilobytes.
MAX_INFO: Final = 64 * 1024
#: The ``INFO server`` fields quoted in the report, in this order.
_SHOWN: Final = ("redis_version", "redis_mode", "os", "arch_bits", "executable", "config_file")

INFO = PluginInfo(
    id=90000044,
    filename="redis_noauth.py",
    name="Redis server without authentication",
    family="Databases",
    category=Category.ATTACK,
    summary="Checks whether the Redis server runs commands without a password",
    description=(
        "Sends PING and INFO to each Redis server. A server that answers runs any command "
        "for anyone who reaches it: every key can be read, changed or deleted, and Redis "
        "can be made to write files (CONFIG SET dir, SAVE) or load code (MODULE LOAD), "
        "which gives control of the machine. Require a password (requirepass, or ACL "
        "users), keep protected-mode on, and listen only where clients need it."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/redis", 6379),
    xrefs=(
        "CWE:306",
        "URL:https://redis.io/docs/latest/operate/oss_and_stack/management/security/",
    ),
    qod=Qod.of(QodType.REMOTE_VUL),
)


def _command(*words: str) -> bytes:
    """A RESP array of bulk strings, what redis-cli sends."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


async def _bulk(stream: Stream) -> bytes | None:
    """A bulk string reply (``$<n>\\r\\n<n bytes>\\r\\n``); None for anything else."""
    head = await stream.read_line()
    if not head.startswith(b"$"):
        return None
    try:
        size = int(head[1:].strip())
    except ValueError:
        return None
    if not 0 <= size <= MAX_INFO:
        return None
    return (await read_exact(stream, size + 2))[:size]


def info_fields(text: bytes) -> dict[str, str]:
    """``name:value`` lines of an INFO reply (``#`` section headers skipped)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, colon, value = text_of(line).partition(":")
        if colon and not name.startswith("#"):
            fields[name.strip()] = value.strip()
    return fields


async def _probe(ctx: PluginContext, port: int) -> tuple[bytes, bytes, bytes] | None:
    """(PING's answer, INFO server, INFO keyspace), the last two empty unless PONG."""
    try:
        async with await ctx.connect(port, tls=uses_tls(ctx, port)) as stream:
            await stream.send(_command("PING"))
            answer = await stream.read_line()
            if not answer.startswith(b"+PONG"):
                return answer, b"", b""
            await stream.send(_command("INFO", "server"))
            server = await _bulk(stream) or b""
            await stream.send(_command("INFO", "keyspace"))
            keyspace = await _bulk(stream) or b""
            await stream.send(_command("QUIT"))
            return answer, server, keyspace
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


def _report(server: dict[str, str], keyspace: dict[str, str]) -> str:
    details = [f"  {name}: {server[name]}" for name in _SHOWN if server.get(name)]
    databases = [f"  {name}: {value}" for name, value in sorted(keyspace.items())]
    text = (
        "The Redis server on this port runs commands without authentication: PING was "
        "answered with +PONG and INFO with the server's details, and no password was "
        "asked for.\n\n"
        "Anyone who reaches this port can read, change and delete every key it holds. "
        "Worse, Redis can be told to write its database file anywhere its account may "
        "write (CONFIG SET dir and dbfilename, then SAVE: an SSH authorized_keys file, a "
        "crontab) and to load modules (MODULE LOAD), which gives an attacker a shell on "
        "the machine.\n\n"
    )
    if details:
        text += "What INFO server says:\n\n" + "\n".join(details) + "\n\n"
    if databases:
        text += "Its databases (INFO keyspace):\n\n" + "\n".join(databases) + "\n\n"
    else:
        text += "INFO keyspace lists no database holding keys.\n\n"
    return text + (
        "Solution: require authentication (requirepass, or from Redis 6 on ACL users with "
        "passwords and the default user disabled), keep protected-mode on, bind Redis to "
        "the addresses its clients use, and filter the port from untrusted networks. "
        "Consider renaming or disabling CONFIG, MODULE and DEBUG (rename-command, ACL)."
    )


async def run(ctx: PluginContext) -> None:
    for port in check_ports(ctx, "redis", 6379):
        probed = await _probe(ctx, port)
        if probed is None:
            continue
        answer, server, keyspace = probed
        if answer.startswith(b"+PONG"):
            fields = info_fields(server)
            ctx.kb.replace(f"redis/{port}/noauth", 1)
            if fields.get("redis_version"):
                ctx.kb.replace(f"redis/{port}/version", fields["redis_version"])
            ctx.hole(_report(fields, info_fields(keyspace)), port=port)
        elif answer.startswith((b"-NOAUTH", b"-DENIED", b"-WRONGPASS")):
            ctx.note(
                "The Redis server on this port refused to run PING before a login; it "
                f"answered:\n\n  {printable(answer.strip(), 300)}",
                port=port,
                qod_type=QodType.REMOTE_ACTIVE,
            )
        else:
            ctx.log.info("port %d: not a Redis answer to PING: %r", port, answer[:80])
