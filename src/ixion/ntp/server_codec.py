"""What a server sends, byte for byte as nessusd 2.2.5 sent it.

Checked against the captured transcripts: the uneven block headers of spec §2.2, prompts
without newline, the E002 line without trailer, the optional PLUGIN_LIST fields of §3.2, the
three result forms of §3.5 and both escapings. A few messages are not for every client; for
those :func:`encode_server_message` returns ``b""`` (TIME without ``timestamps``,
PLUGINS_DEPENDENCIES without ``dependencies``, UDP ports for NTP/1.0), so a server can send
them unconditionally.
"""

from __future__ import annotations

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
    from collections.abc import Callable

    from ixion.ntp.records import (
        Certificate,
        PortRef,
    )

__all__ = ["BAD_LOGIN", "BLOCK_END", "PASSWORD_PROMPT", "USER_PROMPT", "encode_server_message"]

USER_PROMPT: Final = b"User : "
PASSWORD_PROMPT: Final = b"Password : "
BAD_LOGIN: Final = "Bad login attempt !"
BLOCK_END: Final = "<|> SERVER"


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
    return header + "\n" + "".join(line + "\n" for line in lines) + BLOCK_END + "\n"


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
    sm.UserPrompt: lambda m, f: USER_PROMPT,
    sm.PasswordPrompt: lambda m, f: PASSWORD_PROMPT,
    sm.BadLogin: lambda m, f: BAD_LOGIN + "\n",
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
