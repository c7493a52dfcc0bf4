"""What a server sends: its byte-exact encoding, and the parser of a server's byte stream.

The encoding is nessusd 2.2.5's to the byte (checked against the captured transcripts): the
uneven block headers of spec §2.2, prompts without newline, the E002 line without trailer,
the optional PLUGIN_LIST fields of §3.2, the three result forms of §3.5 and both escapings.
A few messages are not for every client; for those :func:`encode_server_message` returns
``b""`` (TIME without ``timestamps``, PLUGINS_DEPENDENCIES without ``dependencies``, UDP ports
for NTP/1.0), so a server can send them unconditionally.

A server's stream is readable line by line once the login prompts are past: every line names
its message, except the bare plugin line that answers PLUGIN_INFO. Which optional plugin fields
are present, and how report texts are escaped, come from the features.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING, Final

from . import server_messages as sm
from .decoder import Parser, StreamDecoder
from .errors import LimitExceeded, LocalProtocolError
from .features import Features, Version
from .limits import MAX_SERVER_BLOCK_LINES, MAX_SERVER_LINE, MAX_VERSION_REPLY_LINE
from .messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from .reader import Read, read_exact, read_line
from .records import (
    Category,
    Certificate,
    Dependency,
    Md5Entry,
    PluginRecord,
    PortRef,
    SessionEntry,
    parse_int,
)
from .text import (
    SEP,
    decode_bytes,
    encode_text,
    escape_description,
    escape_report_text,
    split_name_value,
    unescape_description,
    unescape_report_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ServerPhase", "ServerStreamDecoder", "encode_server_message"]

_USER_PROMPT: Final = b"User : "
_PASSWORD_PROMPT: Final = b"Password : "
_BAD_LOGIN: Final = "Bad login attempt !"
_TERMINATOR: Final = "<|> SERVER"

#: OTP's words for an empty optional field (nessusd 2.2.5 sends an empty field instead).
_OTP_EMPTY: Final = {
    "cve": "NOCVE",
    "bid": "NOBID",
    "xref": "NOXREF",
    "sign_keys": "NOSIGNKEYS",
    "tags": "NOTAG",
}


# --- plugin lines (spec §3.2) ----------------------------------------------------------------


def _optional_fields(features: Features) -> list[str]:
    """Names of the optional PLUGIN_LIST fields present, in their fixed order."""
    if features.is_otp:
        return ["version", "cve", "bid", "xref", "sign_keys", "tags"]
    wanted = (
        ("plugins_version", "version"),
        ("plugins_cve_id", "cve"),
        ("plugins_bugtraq_id", "bid"),
        ("plugins_xrefs", "xref"),
    )
    return [field for word, field in wanted if features.has(word)]


def plugin_line(plugin: PluginRecord, features: Features) -> str:
    fields = [
        plugin.id,
        plugin.name,
        plugin.category.value,
        plugin.copyright,
        escape_description(plugin.description),
        plugin.summary,
        plugin.family,
    ]
    for name in _optional_fields(features):
        value = getattr(plugin, name)
        text = ", ".join(value) if isinstance(value, tuple) else value
        if not text and features.is_otp:
            text = _OTP_EMPTY.get(name, text)
        fields.append(text)
    return SEP.join(fields)


def parse_plugin_line(text: str, features: Features) -> PluginRecord:
    fields = text.split(SEP)
    optional = _optional_fields(features)
    if len(fields) != 7 + len(optional):
        raise LocalProtocolError(
            f"plugin line has {len(fields)} fields, expected {7 + len(optional)}: {text[:80]!r}"
        )
    values: dict[str, str | tuple[str, ...]] = {}
    for name, value in zip(optional, fields[7:], strict=True):
        if value == _OTP_EMPTY.get(name):
            value = ""
        values[name] = (tuple(value.split(", ")) if value else ()) if name in _LISTS else value
    return PluginRecord(
        id=fields[0],
        name=fields[1],
        category=Category.from_wire(fields[2]),
        copyright=fields[3],
        description=unescape_description(fields[4]),
        summary=fields[5],
        family=fields[6],
        **values,  # type: ignore[arg-type]
    )


_LISTS: Final = frozenset({"cve", "bid", "xref"})


# --- encoding --------------------------------------------------------------------------------


def encode_server_message(msg: Message, features: Features) -> bytes:
    """The bytes a server sends for ``msg`` under ``features`` (maybe none, see above)."""
    encoder = _ENCODERS.get(type(msg))
    if encoder is None:
        raise LocalProtocolError(f"{type(msg).__name__} is not a server message")
    text = encoder(msg, features)
    return text if isinstance(text, bytes) else encode_text(text)


def _line(verb: str, *args: str) -> str:
    return SEP.join(("SERVER", verb, *args, "SERVER")) + "\n"


def _block(header: str, lines: list[str]) -> str:
    return header + "\n" + "".join(line + "\n" for line in lines) + _TERMINATOR + "\n"


def _not_for_1_0(verb: str, features: Features) -> None:
    if features.version is Version.NTP_1_0:
        raise LocalProtocolError(f"NTP/1.0 has no {verb} message")


def _encode_preferences(msg: Preferences, features: Features) -> str:
    _not_for_1_0("PREFERENCES", features)
    return _block("SERVER <|> PREFERENCES <|>", [f"{n} <|> {v}" for n, v in msg.items])


def _encode_rules(msg: Rules, features: Features) -> str:
    _not_for_1_0("RULES", features)
    return _block("SERVER <|> RULES <|>", list(msg.rules))


def _encode_dependencies(msg: sm.PluginsDependencies, features: Features) -> str:
    if not features.has("dependencies"):
        return ""
    lines = ["".join(name + SEP for name in (e.name, *e.dependencies)) for e in msg.entries]
    return _block("SERVER <|> PLUGINS_DEPENDENCIES", lines)


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


_ENCODERS: Final[dict[type[Message], Callable[..., str | bytes]]] = {
    sm.VersionReply: lambda m, f: m.version.banner + "\n",
    sm.UserPrompt: lambda m, f: _USER_PROMPT,
    sm.PasswordPrompt: lambda m, f: _PASSWORD_PROMPT,
    sm.BadLogin: lambda m, f: _BAD_LOGIN + "\n",
    sm.PluginList: lambda m, f: _block(
        "SERVER <|> PLUGIN_LIST <|>", [plugin_line(p, f) for p in m.plugins]
    ),
    sm.PluginInfoReply: lambda m, f: plugin_line(m.plugin, f) + "\n",
    Preferences: _encode_preferences,
    Rules: _encode_rules,
    sm.PreferencesErrors: lambda m, f: _block(
        "SERVER <|> PREFERENCES_ERRORS <|>", [f"{n} <|> {v}" for n, v in m.items]
    ),
    sm.PluginsDependencies: _encode_dependencies,
    sm.PluginsMd5: lambda m, f: _line("PLUGINS_MD5", m.md5),
    sm.PluginsMd5List: lambda m, f: _block(
        "SERVER <|> PLUGINS_MD5", [f"{e.key} <|> {e.md5}" for e in m.entries]
    ),
    sm.PluginsOrder: lambda m, f: _line("PLUGINS_ORDER", ";".join(m.ids)),
    sm.FileAccepted: lambda m, f: _line("FILE_ACCEPTED"),
    sm.PluginAccepted: lambda m, f: _line("PLUGIN_ACCEPTED"),
    sm.PluginDenied: lambda m, f: _line("PLUGIN_DENIED"),
    sm.SessionsList: lambda m, f: _block(
        "SERVER <|> SESSIONS_LIST", [f"{s.id} {s.targets}" for s in m.sessions]
    ),
    sm.DetachedSessionsList: lambda m, f: _block(
        "SERVER <|> DETACHED_SESSIONS_LIST", [f"{s.id} {s.targets}" for s in m.sessions]
    ),
    sm.NessusVersion: lambda m, f: _line("NESSUS_VERSION", m.version),
    sm.OpenvasVersion: lambda m, f: _line("OPENVAS_VERSION", m.version),
    sm.Certificates: lambda m, f: _block(
        "SERVER <|> CERTIFICATES", [_encode_certificate(c) for c in m.certificates]
    ),
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


# --- decoding --------------------------------------------------------------------------------


class ServerPhase(enum.Enum):
    """Where a server stream starts (tests and captures may begin after the login)."""

    VERSION = "version"
    MESSAGES = "messages"


class ServerStreamDecoder(StreamDecoder):
    """Parses what a server sends to a client."""

    def __init__(self, features: Features, *, start: ServerPhase = ServerPhase.VERSION) -> None:
        #: What the client negotiated; a session updates it as the conversation goes.
        self.features = features
        self._start = start
        super().__init__()

    def _parse(self) -> Parser:
        if self._start is ServerPhase.VERSION:
            for read in (self._read_version, self._read_user_prompt, self._read_password_prompt):
                if not (yield from self._begin()):
                    yield ConnectionClosed()
                    return
                yield (yield from read())
        while True:
            if not (yield from self._begin()):
                yield ConnectionClosed()
                return
            line = yield from read_line(self._buffer, MAX_SERVER_LINE, "server line")
            yield (yield from self._read_message(decode_bytes(line)))

    def _read_version(self) -> Read[Message]:
        line = decode_bytes(
            (yield from read_line(self._buffer, MAX_VERSION_REPLY_LINE, "version reply"))
        )
        for version in Version:
            if line == version.banner:
                self.features = dataclasses.replace(self.features, version=version)
                return sm.VersionReply(version=version)
        raise LocalProtocolError(f"not a version reply: {line[:40]!r}")

    def _read_user_prompt(self) -> Read[Message]:
        yield from self._expect(_USER_PROMPT)
        return sm.UserPrompt()

    def _read_password_prompt(self) -> Read[Message]:
        yield from self._expect(_PASSWORD_PROMPT)
        return sm.PasswordPrompt()

    def _expect(self, prompt: bytes) -> Read[None]:
        data = yield from read_exact(self._buffer, len(prompt), "login prompt")
        if data != prompt:
            raise LocalProtocolError(f"expected {prompt!r}, got {data!r}")

    def _read_message(self, text: str) -> Read[Message]:
        if text == _BAD_LOGIN:
            return sm.BadLogin()
        if text.startswith("s:"):
            return _parse_short_status(text)
        if not text.startswith("SERVER <|> "):
            return sm.PluginInfoReply(plugin=parse_plugin_line(text, self.features))
        block = _BLOCKS.get(text.removesuffix(" <|>"))
        if block is not None:
            lines = yield from self._read_block()
            return block(lines, self.features)
        return _parse_single(text, self.features)

    def _read_block(self) -> Read[list[str]]:
        lines: list[str] = []
        while True:
            line = yield from read_line(self._buffer, MAX_SERVER_LINE, "server block line")
            text = decode_bytes(line)
            if text.startswith(_TERMINATOR):
                return lines
            if len(lines) >= MAX_SERVER_BLOCK_LINES:
                raise LimitExceeded(f"block longer than {MAX_SERVER_BLOCK_LINES} lines")
            lines.append(text)


def _pairs(lines: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple(pair for pair in map(split_name_value, lines) if pair is not None)


def _dependency(line: str) -> Dependency:
    names = line.removesuffix(" <|>").split(SEP)
    if len(names) > 1 and names[-1] == "":
        names.pop()
    return Dependency(name=names[0], dependencies=tuple(names[1:]))


def _md5_entry(line: str) -> Md5Entry:
    pair = split_name_value(line)
    if pair is None:
        raise LocalProtocolError(f"bad PLUGINS_MD5 line {line[:80]!r}")
    return Md5Entry(key=pair[0], md5=pair[1])


def _session(line: str) -> SessionEntry:
    session_id, _, targets = line.partition(" ")
    return SessionEntry(id=session_id, targets=targets)


def _certificate(line: str) -> Certificate:
    fields = line.split(SEP)
    if len(fields) != 5 or fields[2] not in ("trusted", "notrust"):
        raise LocalProtocolError(f"bad CERTIFICATES line {line[:80]!r}")
    return Certificate(
        fingerprint=fields[0],
        owner=fields[1],
        trusted=fields[2] == "trusted",
        key_length=parse_int(fields[3], "key length"),
        public_key=fields[4].replace(";", "\n"),
    )


_BLOCKS: Final[dict[str, Callable[[list[str], Features], Message]]] = {
    "SERVER <|> PLUGIN_LIST": lambda lines, f: sm.PluginList(
        plugins=tuple(parse_plugin_line(line, f) for line in lines)
    ),
    "SERVER <|> PREFERENCES": lambda lines, f: Preferences(items=_pairs(lines)),
    "SERVER <|> RULES": lambda lines, f: Rules(rules=tuple(lines)),
    "SERVER <|> PREFERENCES_ERRORS": lambda lines, f: sm.PreferencesErrors(items=_pairs(lines)),
    "SERVER <|> PLUGINS_DEPENDENCIES": lambda lines, f: sm.PluginsDependencies(
        entries=tuple(map(_dependency, lines))
    ),
    "SERVER <|> PLUGINS_MD5": lambda lines, f: sm.PluginsMd5List(
        entries=tuple(map(_md5_entry, lines))
    ),
    "SERVER <|> SESSIONS_LIST": lambda lines, f: sm.SessionsList(
        sessions=tuple(map(_session, lines))
    ),
    "SERVER <|> DETACHED_SESSIONS_LIST": lambda lines, f: sm.DetachedSessionsList(
        sessions=tuple(map(_session, lines))
    ),
    "SERVER <|> CERTIFICATES": lambda lines, f: sm.Certificates(
        certificates=tuple(map(_certificate, lines))
    ),
}


def _progress(text: str) -> tuple[int, int]:
    current, slash, total = text.partition("/")
    if not slash:
        raise LocalProtocolError(f"bad progress {text[:40]!r}")
    return parse_int(current, "progress"), parse_int(total, "progress total")


def _parse_short_status(text: str) -> Message:
    parts = text.split(":")
    actions = {"a": sm.StatusAction.ATTACK, "p": sm.StatusAction.PORTSCAN}
    if len(parts) < 5 or parts[1] not in actions:
        raise LocalProtocolError(f"bad short status {text[:80]!r}")
    return sm.Status(
        host=":".join(parts[2:-2]),  # an IPv6 host has colons of its own
        action=actions[parts[1]],
        current=parse_int(parts[-2], "progress"),
        total=parse_int(parts[-1], "progress total"),
    )


def _parse_single(text: str, features: Features) -> Message:
    if text.startswith("SERVER <|> ERROR <|> " + sm.HostsNotAllowed.PREFIX):
        return _parse_e002(text)
    fields = text.split(SEP)
    if len(fields) < 3 or fields[-1] != "SERVER":
        raise LocalProtocolError(f"server line without its SERVER trailer: {text[:80]!r}")
    verb, args = fields[1], fields[2:-1]
    parse = _SINGLE.get(verb)
    if parse is None:
        return Unrecognized(line=text, reason=f"unknown server message {verb!r}")
    try:
        return parse(args, features)
    except (IndexError, ValueError) as exc:
        raise LocalProtocolError(f"malformed {verb} line {text[:80]!r}") from exc


def _parse_e002(text: str) -> Message:
    rest = text[len("SERVER <|> ERROR <|> " + sm.HostsNotAllowed.PREFIX) :]
    rest = rest.removesuffix(" <|> SERVER")
    truncated = rest.endswith("...")
    hosts = tuple(host for host in rest.removesuffix("...").split(";") if host)
    return sm.HostsNotAllowed(hosts=hosts, truncated=truncated)


def _exactly(args: list[str], count: int) -> list[str]:
    if len(args) != count:
        raise ValueError(f"{len(args)} fields instead of {count}")
    return args


def _parse_time(args: list[str], features: Features) -> Message:
    kind = sm.TimeKind(args[0])
    if kind.names_host:
        _, host, when = _exactly(args, 3)
        return sm.Time(kind=kind, host=host, when=when)
    _, when = _exactly(args, 2)
    return sm.Time(kind=kind, when=when)


def _parse_report(kind: sm.ReportKind) -> Callable[[list[str], Features], Message]:
    def parse(args: list[str], features: Features) -> Message:
        host = args[0]
        if features.version is Version.NTP_1_0:
            port_text, colon, wire = _exactly(args, 2)[1].partition(":")
            if not colon:
                raise ValueError("no port")
            text = unescape_report_text(wire, backslash=False)
            return sm.Report(kind=kind, host=host, port=_legacy_port_ref(port_text), text=text)
        plugin_id = None
        body = args[2:]
        if features.has_plugin_ids_in_reports and len(body) >= 2:
            plugin_id = body.pop()
        if not body:
            raise ValueError("no report text")
        wire = SEP.join(body)
        text = unescape_report_text(wire, backslash=features.backslash_escapes)
        port = PortRef.parse(args[1])
        return sm.Report(kind=kind, host=host, port=port, text=text, plugin_id=plugin_id)

    return parse


def _legacy_port_ref(text: str) -> PortRef:
    if text.startswith("general/"):
        return PortRef.parse(text)
    return PortRef(service=None, number=parse_int(text, "port number", high=65535))


def _parse_port(args: list[str], features: Features) -> Message:
    host, port = _exactly(args, 2)
    if features.version is Version.NTP_1_0:
        return sm.Port(host=host, port=_legacy_port_ref(port))
    return sm.Port(host=host, port=PortRef.parse(port))


def _parse_status(args: list[str], features: Features) -> Message:
    host, action, progress = _exactly(args, 3)
    current, total = _progress(progress)
    return sm.Status(host=host, action=sm.StatusAction(action), current=current, total=total)


def _parse_stat(args: list[str], features: Features) -> Message:
    host, progress = _exactly(args, 2)
    current, total = _progress(progress)
    return sm.Stat(host=host, current=current, total=total)


def _no_fields(build: Callable[[], Message]) -> Callable[[list[str], Features], Message]:
    def parse(args: list[str], features: Features) -> Message:
        _exactly(args, 0)
        return build()

    return parse


def _parse_bye(args: list[str], features: Features) -> Message:
    if _exactly(args, 1) != ["BYE"]:
        raise ValueError("BYE must repeat BYE")
    return sm.Bye()


_SINGLE: Final[dict[str, Callable[[list[str], Features], Message]]] = {
    "PLUGINS_MD5": lambda a, f: sm.PluginsMd5(md5=_exactly(a, 1)[0]),
    "PLUGINS_ORDER": lambda a, f: sm.PluginsOrder(
        ids=tuple(i for i in _exactly(a, 1)[0].split(";") if i)
    ),
    "FILE_ACCEPTED": _no_fields(sm.FileAccepted),
    "PLUGIN_ACCEPTED": _no_fields(sm.PluginAccepted),
    "PLUGIN_DENIED": _no_fields(sm.PluginDenied),
    "NESSUS_VERSION": lambda a, f: sm.NessusVersion(version=_exactly(a, 1)[0]),
    "OPENVAS_VERSION": lambda a, f: sm.OpenvasVersion(version=_exactly(a, 1)[0]),
    "TIME": _parse_time,
    "STATUS": _parse_status,
    "STAT": _parse_stat,
    "PORT": _parse_port,
    "FINISHED": lambda a, f: sm.Finished(host=_exactly(a, 1)[0]),
    "BYE": _parse_bye,
    "ERROR": lambda a, f: sm.Error(text=_exactly(a, 1)[0]),
    **{kind.value: _parse_report(kind) for kind in sm.ReportKind},
}
