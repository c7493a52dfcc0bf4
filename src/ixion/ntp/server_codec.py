"""What a server sends, byte for byte as nessusd 2.2.5 sent it.

Checked against the captured transcripts: the uneven block headers of spec §2.2, prompts
without newline, the E002 line without trailer, the optional PLUGIN_LIST fields of §3.2, the
three result forms of §3.5 and both escapings. A few messages are not for every client; for
those :func:`encode_server_message` returns ``b""`` (TIME without ``timestamps``,
PLUGINS_DEPENDENCIES without ``dependencies``, UDP ports for NTP/1.0), so a server can send
them unconditionally.

The blocks (PLUGIN_LIST, PLUGINS_MD5, PLUGINS_DEPENDENCIES, PREFERENCES...) can also be had as
a run of chunks, :func:`encode_server_chunks`, whose concatenation is the same bytes: with a
whole feed PLUGIN_LIST is 200 MB, which a server should neither hold per client nor write in
one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.ntp import server_messages as sm
from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.messages import Message, Preferences, Rules, Unrecognized
from ixion.ntp.plugin_line import plugin_line
from ixion.ntp.text import (
    SEP,
    encode_text,
    escape_report_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from ixion.ntp.records import (
        Certificate,
        PortRef,
    )

__all__ = [
    "BAD_LOGIN",
    "BLOCK_END",
    "CHUNK_SIZE",
    "PASSWORD_PROMPT",
    "USER_PROMPT",
    "encode_server_chunks",
    "encode_server_message",
]

USER_PROMPT: Final = b"User : "
PASSWORD_PROMPT: Final = b"Password : "
BAD_LOGIN: Final = "Bad login attempt !"
BLOCK_END: Final = "<|> SERVER"
#: About how many bytes :func:`encode_server_chunks` puts in a chunk. Small enough that a
#: chunk is encoded in a millisecond or two and that a server streaming to a slow reader
#: holds little more than this for it; large enough that the per-chunk cost (a write, a turn
#: of the event loop) stays small: a whole feed's PLUGIN_LIST is about 3,000 chunks.
CHUNK_SIZE: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class _Block:
    """A multi-line message: its header line, its body lines, then ``<|> SERVER``. The body
    is produced as it is read, so that it can be streamed without being held whole."""

    header: str
    lines: Iterable[str]


def encode_server_message(msg: Message, features: Features) -> bytes:
    """The bytes a server sends for ``msg`` under ``features`` (maybe none, see above)."""
    block_of = _BLOCKS.get(type(msg))
    if block_of is not None:
        block = block_of(msg, features)
        return b"" if block is None else encode_text(_block(block.header, block.lines))
    encoder = _ENCODERS.get(type(msg))
    if encoder is None:
        raise LocalProtocolError(f"{type(msg).__name__} is not a server message")
    text = encoder(msg, features)
    return text if isinstance(text, bytes) else encode_text(text)


def encode_server_chunks(
    msg: Message, features: Features, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """The bytes of :func:`encode_server_message`, as a run of chunks.

    A block is cut between its lines: a chunk takes whole lines until it holds at least
    ``chunk_size`` characters, so a line longer than that is a chunk of its own. Any other
    message is one chunk, or none where the features leave it out. Whether ``msg`` may be
    sent at all is decided here, before the first chunk is asked for; the chunks can then
    only fail on text that has no UTF-8 form (a lone surrogate), after the peer has seen
    part of the block.

    Raises:
        LocalProtocolError: ``msg`` is not a server message, or not one for ``features``.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}")
    block_of = _BLOCKS.get(type(msg))
    if block_of is None:
        whole = encode_server_message(msg, features)
        return iter((whole,) if whole else ())
    block = block_of(msg, features)
    return iter(()) if block is None else _chunks(block, chunk_size)


def _chunks(block: _Block, chunk_size: int) -> Iterator[bytes]:
    pending = [block.header, "\n"]
    size = len(block.header) + 1
    for line in block.lines:
        pending += (line, "\n")
        size += len(line) + 1
        if size >= chunk_size:
            yield encode_text("".join(pending))
            pending.clear()
            size = 0
    pending += (BLOCK_END, "\n")
    yield encode_text("".join(pending))


def _line(verb: str, *args: str) -> str:
    return SEP.join(("SERVER", verb, *args, "SERVER")) + "\n"


def _block(header: str, lines: Iterable[str]) -> str:
    return header + "\n" + "".join(line + "\n" for line in lines) + BLOCK_END + "\n"


def _not_for_1_0(verb: str, features: Features) -> None:
    if features.version is Version.NTP_1_0:
        raise LocalProtocolError(f"NTP/1.0 has no {verb} message")


def _name_values(items: Iterable[tuple[str, str]]) -> Iterator[str]:
    return (f"{name} <|> {value}" for name, value in items)


def _preferences_block(msg: Preferences, features: Features) -> _Block:
    _not_for_1_0("PREFERENCES", features)
    return _Block("SERVER <|> PREFERENCES <|>", _name_values(msg.items))


def _rules_block(msg: Rules, features: Features) -> _Block:
    _not_for_1_0("RULES", features)
    return _Block("SERVER <|> RULES <|>", msg.rules)


def _dependencies_block(msg: sm.PluginsDependencies, features: Features) -> _Block | None:
    if not features.has("dependencies"):
        return None
    lines = ("".join(name + SEP for name in (e.name, *e.dependencies)) for e in msg.entries)
    return _Block("SERVER <|> PLUGINS_DEPENDENCIES", lines)


def _encode_certificate(cert: Certificate) -> str:
    trust = "trusted" if cert.trusted else "notrust"
    key = cert.public_key.replace("\n", ";")
    return SEP.join((cert.fingerprint, cert.owner, trust, str(cert.key_length), key))


def _encode_time(msg: sm.Time, features: Features) -> str:
    if not features.has("timestamps"):
        return ""
    host = () if msg.host is None else (msg.host,)
    return _line("TIME", msg.kind.value, *host, msg.when)


def _encode_status(msg: sm.Status, features: Features) -> str:
    if features.version is Version.NTP_1_0:
        return _line("STAT", msg.host, f"{msg.current}/{msg.total}")
    if features.short_status:
        return f"s:{msg.action.value[0]}:{msg.host}:{msg.current}:{msg.total}\n"
    return _line("STATUS", msg.host, msg.action.value, f"{msg.current}/{msg.total}")


def _legacy_port(port: PortRef) -> str:
    return str(port) if port.is_general else str(port.number)


def _encode_port(msg: sm.Port, features: Features) -> str:
    if features.version is not Version.NTP_1_0:
        return _line("PORT", msg.host, str(msg.port))
    if msg.port.protocol != "tcp":
        return ""  # NTP/1.0 clients only hear of TCP ports (spec §3.5).
    return _line("PORT", msg.host, _legacy_port(msg.port))


def _report_verb(kind: sm.ReportKind, features: Features) -> str:
    if kind in (sm.ReportKind.LOG, sm.ReportKind.DEBUG) and not features.is_otp:
        kind = sm.ReportKind.NOTE
    if kind is sm.ReportKind.NOTE and not features.accepts_notes:
        return sm.ReportKind.INFO.value  # spec §10.36
    return kind.value


def _encode_report(msg: sm.Report, features: Features) -> bytes:
    verb = _report_verb(msg.kind, features)
    if features.version is Version.NTP_1_0:
        text = escape_report_text(msg.text, backslash=False)
        port = encode_text(_legacy_port(msg.port)) + b":" + text
        return encode_text(f"SERVER <|> {verb} <|> {msg.host} <|> ") + port + b" <|> SERVER\n"
    text = escape_report_text(msg.text, backslash=features.backslash_escapes)
    tail = "SERVER"
    if msg.plugin_id is not None and features.has_plugin_ids_in_reports:
        tail = f"{msg.plugin_id} <|> SERVER"
    head = f"SERVER <|> {verb} <|> {msg.host} <|> {msg.port} <|> "
    return encode_text(head) + text + encode_text(f" <|> {tail}\n")


def _encode_e002(msg: sm.HostsNotAllowed, features: Features) -> str:
    hosts = "".join(";" + host for host in msg.hosts)
    return f"SERVER <|> ERROR <|> {msg.PREFIX}{hosts};{'...' if msg.truncated else ''}\n"


#: The block messages; None where the features leave the message out.
_BLOCKS: Final[dict[type[Message], Callable[..., _Block | None]]] = {
    sm.PluginList: lambda m, f: _Block(
        "SERVER <|> PLUGIN_LIST <|>", (plugin_line(p, f) for p in m.plugins)
    ),
    Preferences: _preferences_block,
    Rules: _rules_block,
    sm.PreferencesErrors: lambda m, f: _Block(
        "SERVER <|> PREFERENCES_ERRORS <|>", _name_values(m.items)
    ),
    sm.PluginsDependencies: _dependencies_block,
    sm.PluginsMd5List: lambda m, f: _Block(
        "SERVER <|> PLUGINS_MD5", (f"{e.key} <|> {e.md5}" for e in m.entries)
    ),
    sm.SessionsList: lambda m, f: _Block(
        "SERVER <|> SESSIONS_LIST", (f"{s.id} {s.targets}" for s in m.sessions)
    ),
    sm.DetachedSessionsList: lambda m, f: _Block(
        "SERVER <|> DETACHED_SESSIONS_LIST", (f"{s.id} {s.targets}" for s in m.sessions)
    ),
    sm.Certificates: lambda m, f: _Block(
        "SERVER <|> CERTIFICATES", (_encode_certificate(c) for c in m.certificates)
    ),
}

#: Every other server message, whole.
_ENCODERS: Final[dict[type[Message], Callable[..., str | bytes]]] = {
    sm.VersionReply: lambda m, f: m.version.banner + "\n",
    sm.UserPrompt: lambda m, f: USER_PROMPT,
    sm.PasswordPrompt: lambda m, f: PASSWORD_PROMPT,
    sm.BadLogin: lambda m, f: BAD_LOGIN + "\n",
    sm.PluginInfoReply: lambda m, f: plugin_line(m.plugin, f) + "\n",
    sm.PluginsMd5: lambda m, f: _line("PLUGINS_MD5", m.md5),
    sm.PluginsOrder: lambda m, f: _line("PLUGINS_ORDER", ";".join(m.ids)),
    sm.FileAccepted: lambda m, f: _line("FILE_ACCEPTED"),
    sm.PluginAccepted: lambda m, f: _line("PLUGIN_ACCEPTED"),
    sm.PluginDenied: lambda m, f: _line("PLUGIN_DENIED"),
    sm.NessusVersion: lambda m, f: _line("NESSUS_VERSION", m.version),
    sm.OpenvasVersion: lambda m, f: _line("OPENVAS_VERSION", m.version),
    sm.Time: _encode_time,
    sm.Status: _encode_status,
    sm.Stat: lambda m, f: _line("STAT", m.host, f"{m.current}/{m.total}"),
    sm.Port: _encode_port,
    sm.Report: _encode_report,
    sm.Finished: lambda m, f: _line("FINISHED", m.host),
    sm.Bye: lambda m, f: _line("BYE", "BYE"),
    sm.Error: lambda m, f: _line("ERROR", m.text),
    sm.HostsNotAllowed: _encode_e002,
    Unrecognized: lambda m, f: m.line + "\n",
}
