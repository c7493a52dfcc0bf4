"""What a server sends, read back: the parser of a server's byte stream.

Once the version reply and the two login prompts are past, every line names its message,
except the bare plugin line that answers PLUGIN_INFO. Which optional plugin fields are present,
and how report texts are escaped, come from the features the client negotiated.

A block is read as it arrives, a run of lines at a time (:mod:`~ixion.ntp.block_runs`). A
whole feed's PLUGIN_LIST is 136,000 lines and 200 MB: a client that passes a ``plugin_sink``
gets each run as a :class:`~ixion.ntp.plugin_line.PluginBatch` the moment it is read and
keeps what it wants, and the PLUGIN_LIST message then comes back empty. Without a sink the
message holds every record, as for any other block. PLUGINS_DEPENDENCIES is as long, and a
client that leaves dependencies to the server (spec §6.3) passes ``keep_dependencies=False``:
the block is read to its end, each line held to the caps, and comes back empty.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.ntp import server_messages as sm
from ixion.ntp.block_runs import read_block_run
from ixion.ntp.decoder import Parser, StreamDecoder
from ixion.ntp.errors import LimitExceeded, LocalProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.limits import MAX_SERVER_BLOCK_LINES, MAX_SERVER_LINE, MAX_VERSION_REPLY_LINE
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from ixion.ntp.plugin_line import PluginBatch, PluginLineReader, parse_plugin_line
from ixion.ntp.reader import Read, read_exact, read_line
from ixion.ntp.records import (
    Certificate,
    Dependency,
    Md5Entry,
    PluginRecord,
    PortRef,
    SessionEntry,
    parse_int,
)
from ixion.ntp.server_codec import BAD_LOGIN, PASSWORD_PROMPT, USER_PROMPT
from ixion.ntp.text import (
    SEP,
    decode_bytes,
    split_name_value,
    unescape_report_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["PluginSink", "ServerPhase", "ServerStreamDecoder"]

#: Told each run of PLUGIN_LIST lines as soon as it is read and checked. An exception it
#: raises ends the decoder: it leaves ``next_message()`` as it is, and the stream is lost.
PluginSink: TypeAlias = "Callable[[PluginBatch], None]"


class ServerPhase(enum.Enum):
    """Where a server stream starts (tests and captures may begin after the login)."""

    VERSION = "version"
    MESSAGES = "messages"


class ServerStreamDecoder(StreamDecoder):
    """Parses what a server sends to a client."""

    def __init__(
        self,
        features: Features,
        *,
        start: ServerPhase = ServerPhase.VERSION,
        plugin_sink: PluginSink | None = None,
        keep_dependencies: bool = True,
    ) -> None:
        #: What the client negotiated; a session updates it as the conversation goes.
        self.features = features
        #: Where PLUGIN_LIST lines go as they are read; None keeps them in the message.
        self.plugin_sink = plugin_sink
        #: False: PLUGINS_DEPENDENCIES is read through and comes back empty.
        self.keep_dependencies = keep_dependencies
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
        yield from self._expect(USER_PROMPT)
        return sm.UserPrompt()

    def _read_password_prompt(self) -> Read[Message]:
        yield from self._expect(PASSWORD_PROMPT)
        return sm.PasswordPrompt()

    def _expect(self, prompt: bytes) -> Read[None]:
        data = yield from read_exact(self._buffer, len(prompt), "login prompt")
        if data != prompt:
            raise LocalProtocolError(f"expected {prompt!r}, got {data!r}")

    def _read_message(self, text: str) -> Read[Message]:
        if text == BAD_LOGIN:
            return sm.BadLogin()
        if text.startswith("s:"):
            return _parse_short_status(text)
        if not text.startswith("SERVER <|> "):
            return sm.PluginInfoReply(plugin=parse_plugin_line(text, self.features))
        header = text.removesuffix(" <|>")
        if header == "SERVER <|> PLUGIN_LIST":
            return (yield from self._read_plugin_list())
        if header == "SERVER <|> PLUGINS_DEPENDENCIES" and not self.keep_dependencies:
            yield from self._read_block(keep=False)
            return sm.PluginsDependencies()
        block = _BLOCKS.get(header)
        if block is not None:
            lines = yield from self._read_block()
            return block(lines, self.features)
        return _parse_single(text, self.features)

    def _read_block(self, *, keep: bool = True) -> Read[list[str]]:
        """The lines of a block up to its end line; none but counted when not ``keep``."""
        lines: list[str] = []
        count = 0
        while (texts := (yield from read_block_run(self._buffer))) is not None:
            count += len(texts)
            if count > MAX_SERVER_BLOCK_LINES:
                raise LimitExceeded(f"block longer than {MAX_SERVER_BLOCK_LINES} lines")
            if keep:
                lines += texts
        return lines

    def _read_plugin_list(self) -> Read[Message]:
        reader = PluginLineReader(self.features)
        sink = self.plugin_sink
        records: list[PluginRecord] = []
        count = 0
        while (texts := (yield from read_block_run(self._buffer))) is not None:
            count += len(texts)
            if count > MAX_SERVER_BLOCK_LINES:
                raise LimitExceeded(f"block longer than {MAX_SERVER_BLOCK_LINES} lines")
            batch = reader.read_batch(texts)
            if sink is not None:
                sink(batch)
            else:
                records.extend(line.record() for line in batch.lines())
        return sm.PluginList(plugins=tuple(records))


def _pairs(lines: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple(pair for pair in map(split_name_value, lines) if pair is not None)


def _dependencies(lines: list[str]) -> tuple[Dependency, ...]:
    """PLUGINS_DEPENDENCIES: a whole feed's is 130,000 lines naming the same few thousand
    plugins over and over, so each name is kept once."""
    names: dict[str, str] = {}
    entries = []
    for line in lines:
        fields = line.removesuffix(" <|>").split(SEP)
        if len(fields) > 1 and fields[-1] == "":
            fields.pop()
        name, *needed = (names.setdefault(field, field) for field in fields)
        entries.append(Dependency(name=name, dependencies=tuple(needed)))
    return tuple(entries)


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
    "SERVER <|> PREFERENCES": lambda lines, f: Preferences(items=_pairs(lines)),
    "SERVER <|> RULES": lambda lines, f: Rules(rules=tuple(lines)),
    "SERVER <|> PREFERENCES_ERRORS": lambda lines, f: sm.PreferencesErrors(items=_pairs(lines)),
    "SERVER <|> PLUGINS_DEPENDENCIES": lambda lines, f: sm.PluginsDependencies(
        entries=_dependencies(lines)
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
