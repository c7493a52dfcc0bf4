"""What a client sends: its encoding, and the parser of a client's byte stream.

The client's stream describes itself: the banner gives the version and whether an md5-caching
loop follows the password (spec §4.2), and every later line starts with its command word. So
the parser needs nothing from the server side of the conversation.

Where nessusd silently skips a line (unknown command, malformed arguments, spec §3.9) the parser
yields :class:`~ixion.ntp.messages.Unrecognized` so that a server can skip it too; only what
leaves the stream unreadable (bad banner, oversized or truncated reads, bad byte counts) is a
protocol error.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final

from ixion.ntp import client_messages as cm
from ixion.ntp.decoder import Parser, StreamDecoder
from ixion.ntp.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ixion.ntp.features import KNOWN_EXTENSIONS, Features, Version
from ixion.ntp.limits import (
    MAX_ATTACHED_FILE_SIZE,
    MAX_ATTACHED_PLUGIN_SIZE,
    MAX_BANNER_LINE,
    MAX_CLIENT_BLOCK_BYTES,
    MAX_CLIENT_BLOCK_LINES,
    MAX_COMMAND_LINE,
    MAX_LOGIN_LINE,
    MAX_PREFERENCE_LINE,
    MAX_RULE_LINE,
    MAX_SIZE_LINE,
    MAX_TARGETS_SIZE,
)
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from ixion.ntp.reader import Read, read_exact, read_line
from ixion.ntp.records import parse_int
from ixion.ntp.text import decode_bytes, encode_text, split_name_value

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ClientPhase", "ClientStreamDecoder", "encode_client_message", "parse_banner"]

_PREFIX: Final = "CLIENT <|> "
_PREFIX_BYTES: Final = _PREFIX.encode()
#: nessusd ends a client block at any line that contains this (spec §10.17).
_BLOCK_END: Final = "<|> CLIENT"


# --- encoding --------------------------------------------------------------------------------


def encode_client_message(msg: Message, features: Features) -> bytes:
    """The bytes a client sends for ``msg`` under ``features``."""
    encoder = _ENCODERS.get(type(msg))
    if encoder is None:
        raise LocalProtocolError(f"{type(msg).__name__} is not a client message")
    return encoder(msg, features)


def _command(verb: str, *args: str) -> bytes:
    return encode_text(" <|> ".join(("CLIENT", verb, *args, "CLIENT")) + "\n")


def _limited(line: str, limit: int, what: str) -> str:
    if len(encode_text(line)) > limit:
        raise LocalProtocolError(f"{what} longer than {limit} bytes")
    return line


def _encode_banner(msg: cm.Banner, features: Features) -> bytes:
    line = msg.version.banner
    if msg.extensions:
        line += "< " + " ".join(msg.extensions) + " >"
    return encode_text(_limited(line, MAX_BANNER_LINE, "banner") + "\n")


def _encode_block(verb: str, lines: list[str], limit: int, features: Features) -> bytes:
    if features.version is Version.NTP_1_0:
        raise LocalProtocolError(f"NTP/1.0 has no {verb} message")
    for line in lines:
        _limited(line, limit, f"{verb} line")
        if _BLOCK_END in line:
            raise LocalProtocolError(f"{verb} line would end the block: {line!r}")
    body = "".join(line + "\n" for line in lines)
    return encode_text(f"CLIENT <|> {verb} <|>\n{body}<|> CLIENT\n")


def _encode_preferences(msg: Preferences, features: Features) -> bytes:
    lines = [f"{name} <|> {value}" for name, value in msg.items]
    return _encode_block("PREFERENCES", lines, MAX_PREFERENCE_LINE, features)


def _encode_rules(msg: Rules, features: Features) -> bytes:
    return _encode_block("RULES", list(msg.rules), MAX_RULE_LINE, features)


def _encode_attachment(msg: cm.AttachedFile | cm.AttachedPlugin, features: Features) -> bytes:
    head = f"CLIENT <|> {msg.TYPE}\nname: {msg.name}\ncontent: {msg.content_type}\n"
    return encode_text(head + f"bytes: {len(msg.data)}\n") + msg.data


def _encode_new_attack(msg: cm.NewAttack, features: Features) -> bytes:
    # Also under NTP/1.0, where nessusd ignored it but Net::Nessus sent it anyway.
    return _command("NEW_ATTACK", _limited(msg.targets, MAX_COMMAND_LINE - 40, "targets"))


def _encode_legacy_attack(msg: cm.LegacyNewAttack, features: Features) -> bytes:
    args = (msg.plugin_set, msg.max_hosts, msg.recursive, msg.port_range, msg.targets)
    return _command("NEW_ATTACK", *args)


def _encode_long_attack(msg: cm.LongAttack, features: Features) -> bytes:
    payload = encode_text(msg.targets)
    return f"CLIENT <|> LONG_ATTACK <|>\n{len(payload)}\n".encode() + payload


def _simple(verb: str) -> Callable[[Message, Features], bytes]:
    return lambda msg, features: _command(verb)


_ENCODERS: Final[dict[type[Message], Callable[..., bytes]]] = {
    cm.Banner: _encode_banner,
    cm.UnknownVersion: lambda msg, f: encode_text(
        _limited(msg.line, MAX_BANNER_LINE, "banner") + "\n"
    ),
    cm.User: lambda msg, f: encode_text(_limited(msg.name, MAX_LOGIN_LINE, "user") + "\n"),
    cm.Password: lambda msg, f: encode_text(
        _limited(msg.password, MAX_LOGIN_LINE, "password") + "\n"
    ),
    cm.GoOn: lambda msg, f: encode_text(_limited(msg.line, MAX_COMMAND_LINE, "line") + "\n"),
    cm.PluginInfoRequest: lambda msg, f: _command("PLUGIN_INFO", msg.plugin_id),
    cm.StopAttack: lambda msg, f: _command("STOP_ATTACK", msg.host),
    cm.SessionDelete: lambda msg, f: _command("SESSION_DELETE", msg.session_id),
    cm.SessionRestore: lambda msg, f: _command("SESSION_RESTORE", msg.session_id),
    cm.StopDetached: lambda msg, f: _command("STOP_DETACHED", msg.session_id),
    cm.ClientBye: lambda msg, f: b"CLIENT <|> BYE <|> ACK\n",
    cm.Pong: lambda msg, f: b"CLIENT <|> PONG <|> PING <|> CLIENT\n",
    Unrecognized: lambda msg, f: encode_text(msg.line + "\n"),
    Preferences: _encode_preferences,
    Rules: _encode_rules,
    cm.AttachedFile: _encode_attachment,
    cm.AttachedPlugin: _encode_attachment,
    cm.NewAttack: _encode_new_attack,
    cm.LegacyNewAttack: _encode_legacy_attack,
    cm.LongAttack: _encode_long_attack,
    **{
        cls: _simple(cls.TYPE)
        for cls in (
            cm.CompleteList,
            cm.SendPluginsMd5,
            cm.StopWholeTest,
            cm.PauseWholeTest,
            cm.ResumeWholeTest,
            cm.SessionsListRequest,
            cm.DetachedSessionsListRequest,
            cm.NessusVersionRequest,
            cm.OpenvasVersionRequest,
            cm.CertificatesRequest,
            cm.HupFather,
            cm.Quit,
        )
    },
}


# --- decoding --------------------------------------------------------------------------------

_VERSIONS: Final = {version.banner: version for version in Version}


def parse_banner(text: str) -> cm.Banner | cm.UnknownVersion:
    """Read the banner as nessusd does (spec §1.4).

    Only the first 11 characters choose the version. Extension words follow as
    ``< word word >``, each word ended by one space; a word not followed by a space (as in
    ``< timestamps>``) is not a word, exactly as nessusd reads it.
    """
    version = _VERSIONS.get(text[:11])
    if version is None:
        return cm.UnknownVersion(line=text)
    rest = text[11:].removeprefix(" ")
    words: list[str] = []
    if rest.startswith("<"):
        body = rest[2:]
        while (space := body.find(" ")) >= 0:
            word = body[:space]
            if (
                word
                and not word.startswith(">")
                and "<|>" not in word  # an unknown word, so ignored (spec §1.4)
                and not any(c.isspace() for c in word)
            ):
                words.append(word)
            body = body[space + 1 :]
            if not body or body.startswith(">"):
                break
    return cm.Banner(version=version, extensions=tuple(words))


def _line_text(line: bytes) -> str:
    """A received line as text, without the ``\\r`` a CRLF peer adds (spec §10.16)."""
    return decode_bytes(line).removesuffix("\r")


def _fields(text: str) -> list[str]:
    return [field.strip() for field in text.split("<|>")]


def _argument(fields: list[str], index: int) -> str:
    if len(fields) <= index + 1 or not fields[index]:
        raise LocalProtocolError("missing argument")
    return fields[index]


_SIMPLE_COMMANDS: Final[dict[str, Callable[[list[str]], Message]]] = {
    "STOP_WHOLE_TEST": lambda f: cm.StopWholeTest(),
    "PAUSE_WHOLE_TEST": lambda f: cm.PauseWholeTest(),
    "RESUME_WHOLE_TEST": lambda f: cm.ResumeWholeTest(),
    "SESSIONS_LIST": lambda f: cm.SessionsListRequest(),
    "DETACHED_SESSIONS_LIST": lambda f: cm.DetachedSessionsListRequest(),
    "NESSUS_VERSION": lambda f: cm.NessusVersionRequest(),
    "OPENVAS_VERSION": lambda f: cm.OpenvasVersionRequest(),
    "OPENVASSD_VERSION": lambda f: cm.OpenvasVersionRequest(),
    "CERTIFICATES": lambda f: cm.CertificatesRequest(),
    "HUP_FATHER": lambda f: cm.HupFather(),
    "QUIT": lambda f: cm.Quit(),
    "BYE": lambda f: cm.ClientBye(),
    "PONG": lambda f: cm.Pong(),
    "PLUGIN_INFO": lambda f: cm.PluginInfoRequest(plugin_id=_argument(f, 2)),
    "STOP_ATTACK": lambda f: cm.StopAttack(host=_argument(f, 2)),
    # The id is the last field before the trailer (spec §3.9).
    "SESSION_DELETE": lambda f: cm.SessionDelete(session_id=_argument(f, len(f) - 2)),
    "SESSION_RESTORE": lambda f: cm.SessionRestore(session_id=_argument(f, len(f) - 2)),
    "STOP_DETACHED": lambda f: cm.StopDetached(session_id=_argument(f, len(f) - 2)),
    "DETACHED_STOP": lambda f: cm.StopDetached(session_id=_argument(f, len(f) - 2)),
    "NEW_ATTACK": lambda f: _new_attack(f),
}


def _new_attack(fields: list[str]) -> Message:
    if len(fields) >= 8:
        # CLIENT, NEW_ATTACK, plugins, max_hosts, recursive, port_range, targets, CLIENT.
        return cm.LegacyNewAttack(
            plugin_set=fields[2],
            max_hosts=fields[3],
            recursive=fields[4],
            port_range=fields[5],
            targets=fields[6],
        )
    return cm.NewAttack(targets=_argument(fields, 2))


class ClientPhase(enum.Enum):
    """Where a client stream starts (tests and captures may begin after the login)."""

    BANNER = "banner"
    MD5_LOOP = "md5_loop"
    ORDERS = "orders"


class ClientStreamDecoder(StreamDecoder):
    """Parses what a client sends to a server."""

    def __init__(
        self, *, features: Features | None = None, start: ClientPhase = ClientPhase.BANNER
    ) -> None:
        #: Version and extension words: from the banner once it is read.
        self.features = features or Features()
        self._start = start
        #: The last message carried a payload (LONG_ATTACK, ATTACHED_*): its verb. What
        #: follows the payload must be a command.
        self._after_payload: str | None = None
        super().__init__()

    def _parse(self) -> Parser:
        phase = self._start
        if phase is ClientPhase.BANNER:
            for read in (self._read_banner, self._read_user, self._read_password):
                if not (yield from self._begin()):
                    yield ConnectionClosed()
                    return
                msg = yield from read()
                yield msg
                if isinstance(msg, cm.UnknownVersion):
                    # The server hangs up on an unknown version; nothing more can follow.
                    if (yield from self._begin()):
                        raise RemoteProtocolError("data after an unsupported version banner")
                    yield ConnectionClosed()
                    return
            phase = ClientPhase.MD5_LOOP if self.features.md5_caching else ClientPhase.ORDERS
        while phase is ClientPhase.MD5_LOOP:
            if not (yield from self._begin()):
                yield ConnectionClosed()
                return
            line = yield from read_line(self._buffer, MAX_COMMAND_LINE, "md5-caching loop line")
            msg = _md5_loop_message(_line_text(line))
            if isinstance(msg, cm.GoOn):
                phase = ClientPhase.ORDERS
            yield msg
        while True:
            if not (yield from self._begin()):
                yield ConnectionClosed()
                return
            yield (yield from self._read_command())

    def _read_banner(self) -> Read[Message]:
        line = yield from read_line(self._buffer, MAX_BANNER_LINE, "version banner")
        banner = parse_banner(_line_text(line))
        if isinstance(banner, cm.UnknownVersion):
            return banner
        self.features = Features(
            version=banner.version, extensions=frozenset(banner.extensions) & KNOWN_EXTENSIONS
        )
        return banner

    def _read_user(self) -> Read[Message]:
        line = yield from read_line(self._buffer, MAX_LOGIN_LINE, "user name")
        return cm.User(name=_line_text(line))

    def _read_password(self) -> Read[Message]:
        line = yield from read_line(self._buffer, MAX_LOGIN_LINE, "password")
        return cm.Password(password=_line_text(line))

    def _read_command(self) -> Read[Message]:
        if self._after_payload is not None:
            verb, self._after_payload = self._after_payload, None
            yield from self._expect_command_after_payload(verb)
        line = yield from read_line(self._buffer, MAX_COMMAND_LINE, "command line")
        text = _line_text(line)
        if not text.startswith(_PREFIX):
            return Unrecognized(line=text, reason="not a CLIENT line")
        verb = text[len(_PREFIX) :].split(" ", 1)[0]
        if verb == "PREFERENCES":
            lines = yield from self._read_block(MAX_PREFERENCE_LINE, "PREFERENCES line")
            pairs = (split_name_value(line) for line in lines)
            return Preferences(items=tuple(pair for pair in pairs if pair is not None))
        if verb == "RULES":
            lines = yield from self._read_block(MAX_RULE_LINE, "RULES line")
            return Rules(rules=tuple(lines))
        if verb == "LONG_ATTACK":
            size = yield from self._read_size("LONG_ATTACK size", MAX_TARGETS_SIZE)
            payload = yield from read_exact(self._buffer, size, "LONG_ATTACK targets")
            self._after_payload = "LONG_ATTACK"
            return cm.LongAttack(targets=decode_bytes(payload))
        if verb in ("ATTACHED_FILE", "ATTACHED_PLUGIN"):
            return (yield from self._read_attachment(verb))
        command = _SIMPLE_COMMANDS.get(verb)
        if command is None:
            return Unrecognized(line=text, reason=f"unknown command {verb!r}")
        try:
            return command(_fields(text))
        except LocalProtocolError as exc:
            # nessusd skips a known command with unusable arguments (spec §3.9).
            return Unrecognized(line=text, reason=f"{verb}: {exc.message}")

    def _expect_command_after_payload(self, verb: str) -> Read[None]:
        """The next command starts right after a LONG_ATTACK or ATTACHED_* payload (spec
        §2.3): bytes there that cannot start one mean the size was too small. nessusd read
        them as a command; we refuse the stream at the first wrong byte. One stray line end
        passes (a client habit)."""
        while True:
            head = self._buffer.peek(len(_PREFIX_BYTES))
            line_end = head.startswith((b"\n", b"\r\n"))
            if not (line_end or head == b"\r" or _PREFIX_BYTES.startswith(head)):
                raise LocalProtocolError(
                    f"{verb} payload longer than its size: {head!r} follows it"
                )
            if line_end or len(head) == len(_PREFIX_BYTES) or self._buffer.eof:
                return
            yield

    def _read_block(self, limit: int, what: str) -> Read[list[str]]:
        """Body lines up to the terminator: any line containing ``<|> CLIENT``."""
        lines: list[str] = []
        start = self._buffer.consumed
        while True:
            text = _line_text((yield from read_line(self._buffer, limit, what)))
            if _BLOCK_END in text:
                return lines
            if len(lines) >= MAX_CLIENT_BLOCK_LINES:
                raise LimitExceeded(f"block longer than {MAX_CLIENT_BLOCK_LINES} lines")
            if self._buffer.consumed - start > MAX_CLIENT_BLOCK_BYTES:
                raise LimitExceeded(f"block longer than {MAX_CLIENT_BLOCK_BYTES} bytes")
            lines.append(text)

    def _read_size(self, what: str, cap: int) -> Read[int]:
        text = _line_text((yield from read_line(self._buffer, MAX_SIZE_LINE, what))).strip()
        size = parse_int(text, what)
        if size > cap:
            raise LimitExceeded(f"{what} {size} is over the limit of {cap} bytes")
        return size

    def _read_attachment(self, verb: str) -> Read[Message]:
        """``name: <n>``, any line (``content: ...``), ``bytes: <n>``, then n bytes (§6.8)."""
        header = yield from read_line(self._buffer, MAX_SIZE_LINE, f"{verb} name line")
        name = _line_text(header)
        if not name.startswith("name: "):
            raise LocalProtocolError(f"{verb} without its 'name: ' line")
        content = _line_text((yield from read_line(self._buffer, MAX_SIZE_LINE, f"{verb} line")))
        size_line = _line_text((yield from read_line(self._buffer, MAX_SIZE_LINE, f"{verb} line")))
        if not size_line.startswith("bytes: "):
            raise LocalProtocolError(f"{verb} without its 'bytes: ' line")
        cap = MAX_ATTACHED_FILE_SIZE if verb == "ATTACHED_FILE" else MAX_ATTACHED_PLUGIN_SIZE
        size = parse_int(size_line[7:].strip(), f"{verb} size")
        if size > cap:
            raise LimitExceeded(f"{verb} of {size} bytes is over the limit of {cap} bytes")
        data = yield from read_exact(self._buffer, size, f"{verb} payload")
        self._after_payload = verb
        cls = cm.AttachedFile if verb == "ATTACHED_FILE" else cm.AttachedPlugin
        return cls(name=name[6:], data=data, content_type=content.removeprefix("content: "))


def _md5_loop_message(text: str) -> Message:
    """nessusd matches loop commands anywhere in the line (spec §4.2)."""
    if "COMPLETE_LIST" in text:
        return cm.CompleteList()
    if "SEND_PLUGINS_MD5" in text:
        return cm.SendPluginsMd5()
    if "PLUGIN_INFO" in text:
        try:
            return cm.PluginInfoRequest(plugin_id=_argument(_fields(text), 2))
        except LocalProtocolError as exc:
            return Unrecognized(line=text, reason=f"PLUGIN_INFO: {exc.message}")
    return cm.GoOn(line=text)
