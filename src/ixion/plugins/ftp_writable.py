"""Can anonymous FTP users store files? Shown by storing one, reading it back, deleting it.

Runs where ftp_anonymous logged in (``ftp/<port>/anonymous``). After the same anonymous login,
each of the login directory, ``upload``, ``uploads``, ``incoming`` and ``pub/incoming`` that
exists gets a small text file with a random name (``STOR``); the write counts as confirmed
when ``RETR`` brings back the same bytes, or ``SIZE`` reports their number under that name.
The file is then deleted (``DELE``); many servers let anonymous users upload but not delete
(vsftpd without ``anon_other_write_enable``), and the report then names the file left, for
the administrator to remove. The file is 50-odd bytes of text, so the check runs under
``safe_checks`` too; the preference "Upload a test file" turns it off.

Passive mode only. Data connections go to the scanned host alone: the port comes from the
``229`` (EPSV) or ``227`` (PASV) reply, and the address a ``227`` names is ignored; a server
naming another address (or a hostile one, naming a victim's) is not followed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import read_reply, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext, Stream

__all__ = ["DIRECTORIES", "ENABLED", "INFO", "Write", "passive_port", "run"]

ENABLED: Final = "Upload a test file"
PASSWORD: Final = "Password"
#: Where uploads are usually allowed, relative to the login directory ("" is that one).
DIRECTORIES: Final = ("", "upload", "uploads", "incoming", "pub/incoming")
_EPSV: Final = re.compile(r"\(([!-~])\1\1(\d{1,5})\1\)")
_PASV: Final = re.compile(r"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")
_PWD: Final = re.compile(r'"((?:[^"]|"")*)"')

INFO = PluginInfo(
    id=90000035,
    filename="ftp_writable.py",
    name="Anonymous FTP: writable directories",
    family="FTP",
    category=Category.ATTACK,
    summary="Stores a test file as the anonymous FTP user, reads it back, deletes it",
    description=(
        "Logs in to each FTP server that allows anonymous logins and tries to store a small "
        "test file in the login directory and the usual upload directories (upload, "
        "uploads, incoming, pub/incoming), reads it back and deletes it. Anonymous write "
        "access lets anyone use the server to distribute malware or illegal content, fill "
        "its disk, or place files a web server then serves."
    ),
    xrefs=("CWE:732",),
    dependencies=("ftp_anonymous.py",),
    require_keys=("ftp/anonymous",),
    require_ports=("Services/ftp",),
    preferences=(
        PluginPreference(ENABLED, PreferenceType.CHECKBOX, "yes"),
        PluginPreference(PASSWORD, PreferenceType.ENTRY, "ixion@example.com"),
    ),
    qod=Qod.of(QodType.REMOTE_VUL),
)


@dataclass(frozen=True, slots=True)
class Write:
    """A file the server said it stored: where, and what followed."""

    path: str
    #: RETR or SIZE showed the bytes written.
    confirmed: bool
    #: DELE's reply code (250: deleted).
    deleted: int | None


def passive_port(reply: str) -> int | None:
    """The data port of a ``229`` (EPSV) or ``227`` (PASV) reply; a PASV address is ignored."""
    if reply.startswith("229") and (match := _EPSV.search(reply)):
        port = int(match[2])
    elif reply.startswith("227") and (match := _PASV.search(reply)):
        port = int(match[5]) * 256 + int(match[6])
    else:
        return None
    return port if 0 < port <= 65535 else None


class _Session:
    """An anonymous FTP login, with passive data connections to the scanned host only."""

    def __init__(self, ctx: PluginContext, port: int, stream: Stream, tls: bool) -> None:
        self.ctx, self.port, self.stream, self.tls = ctx, port, stream, tls

    async def command(self, line: str) -> tuple[int | None, str]:
        await self.stream.send(line.encode("utf-8", "replace") + b"\r\n")
        reply = await read_reply(self.stream)
        return reply.code, " ".join(reply.texts())

    async def login(self, password: str) -> str | None:
        """The login directory, if ``anonymous`` got in (None otherwise)."""
        if (await read_reply(self.stream)).code != 220:
            return None
        code, _ = await self.command("USER anonymous")
        if code == 331:
            code, _ = await self.command(f"PASS {password}")
        if code != 230:
            return None
        if self.tls:  # data connections through TLS too (RFC 4217)
            await self.command("PBSZ 0")
            await self.command("PROT P")
        await self.command("TYPE I")
        code, text = await self.command("PWD")
        match = _PWD.search(text) if code == 257 else None
        return match[1].replace('""', '"') if match else "/"

    async def _data(self) -> Stream | None:
        """A passive data connection: EPSV, else PASV; None if neither gave one."""
        for verb in ("EPSV", "PASV"):
            code, text = await self.command(verb)
            port = passive_port(f"{code} {text}")
            if port is None:
                continue
            try:
                return await self.ctx.connect(port, tls=self.tls)
            except (OSError, TimeoutError) as exc:
                self.ctx.log.info("port %d: %s data port %d: %r", self.port, verb, port, exc)
        return None

    async def store(self, name: str, content: bytes) -> bool:
        """``STOR``: whether the server said the transfer completed."""
        data = await self._data()
        if data is None:
            return False
        async with data:
            code, _ = await self.command(f"STOR {name}")
            if code not in (125, 150):
                return False
            await data.send(content)
        return (await read_reply(self.stream)).code in (226, 250)

    async def retrieve(self, name: str, limit: int) -> bytes | None:
        """``RETR``: the file's bytes (up to ``limit``), or None if refused."""
        data = await self._data()
        if data is None:
            return None
        async with data:
            code, _ = await self.command(f"RETR {name}")
            if code not in (125, 150):
                return None
            content = b""
            while len(content) < limit and (chunk := await data.recv(limit - len(content))):
                content += chunk
        return content if (await read_reply(self.stream)).code in (226, 250) else None


async def _try(session: _Session, home: str, directory: str) -> Write | None:
    """Store, check and delete a test file in ``directory`` (relative to ``home``)."""
    if (await session.command(f"CWD {home}"))[0] != 250:
        return None
    if directory and (await session.command(f"CWD {directory}"))[0] != 250:
        return None
    token = secrets.token_hex(8)
    name = f"ixion-ftp-test-{token}.txt"
    content = f"ixion write test {token}: safe to delete\n".encode()
    if not await session.store(name, content):
        return None
    confirmed = await session.retrieve(name, len(content) + 1024) == content
    if not confirmed:
        code, text = await session.command(f"SIZE {name}")
        confirmed = code == 213 and text.strip() == str(len(content))
    deleted, _ = await session.command(f"DELE {name}")
    path = "/".join(part.strip("/") for part in (home, directory, name) if part.strip("/"))
    return Write("/" + path, confirmed, deleted)


async def _writes(ctx: PluginContext, port: int, password: str) -> list[Write]:
    tls = uses_tls(ctx, port)
    found: list[Write] = []
    try:
        async with await ctx.connect(port, tls=tls) as stream:
            session = _Session(ctx, port, stream, tls)
            home = await session.login(password)
            if home is None:
                ctx.log.info("port %d: the anonymous login failed this time", port)
                return []
            found = [
                write
                for directory in DIRECTORIES
                if (write := await _try(session, home, directory)) is not None
            ]
            await session.command("QUIT")
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
    return found


def _describe(writes: list[Write]) -> str:
    confirmed = [write for write in writes if write.confirmed]
    shown = confirmed or writes
    lines = [
        "Anonymous users can write to this FTP server: logged in as 'anonymous', ixion was "
        f"able to upload a file to {'this place' if len(shown) == 1 else 'each of these places'}"
        + (" and read it back:" if confirmed else ", though not to read it back:"),
        "",
    ]
    for write in shown:
        fate = (
            "deleted again"
            if write.deleted == 250
            else f"could NOT be deleted (reply {write.deleted}): please remove it"
        )
        lines.append(f"  {write.path}  ({fate})")
    places = sorted({write.path.rsplit("/", 1)[0] or "/" for write in shown})
    lines += [
        "",
        f"The {'directory' if len(places) == 1 else 'directories'} {', '.join(places)} "
        f"{'is' if len(places) == 1 else 'are'} writable by anyone. The server can be used to "
        "distribute malware or illegal content under your name, to fill its disk, and, where "
        "a web server serves the same files, to place pages or scripts on the web site.",
        "",
        "Solution: disable anonymous uploads (vsftpd: 'anon_upload_enable=NO', "
        "'anon_mkdir_write_enable=NO'; ProFTPD: no WRITE in the <Anonymous> section's <Limit>), "
        "or disable anonymous access altogether if it is not needed. If anonymous uploads "
        "are wanted, make the upload directory write-only (not listable, no downloads) and "
        "move files out of it for review.",
    ]
    return "\n".join(lines)


async def run(ctx: PluginContext) -> None:
    if (ctx.preference(ENABLED) or "yes") != "yes":
        return
    lines = (ctx.preference(PASSWORD) or "").splitlines()  # one line: no smuggled command
    password = next((line.strip() for line in lines if line.strip()), "ixion@example.com")
    for port in service_ports(ctx, "ftp"):
        if not ctx.kb.get(f"ftp/{port}/anonymous"):
            continue
        writes = await _writes(ctx, port, password)
        if not writes:
            continue
        ctx.kb.replace(f"ftp/{port}/writable", 1)
        if any(write.confirmed for write in writes):
            ctx.hole(_describe(writes), port=port)
        else:
            ctx.warning(_describe(writes), port=port, qod_type=QodType.REMOTE_PROBE)
