"""Hypothesis strategies for ``ixion.ntp``: features, field texts, records and every message.

A message strategy takes the :class:`Features` the message will be encoded under, because
what survives the wire depends on them (which PLUGIN_LIST fields are sent, how report texts
are escaped, which report kinds exist). Every strategy here draws only messages that come
back *equal* from ``encode -> decode`` under those features; where the protocol loses
information the strategy leaves that input out, and the comment says why. The lossy cases
themselves are asserted separately in ``test_properties.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st

from ixion.ntp import (
    KNOWN_EXTENSIONS,
    Category,
    Certificate,
    ClientPhase,
    Dependency,
    Features,
    LocalProtocolError,
    Md5Entry,
    Message,
    PluginRecord,
    PortRef,
    Preferences,
    Rules,
    ServerPhase,
    SessionEntry,
    Unrecognized,
    Version,
)
from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.text import SEP, check_field, check_word

MessageStrategy = Callable[[Features], st.SearchStrategy[Message]]

# --- features --------------------------------------------------------------------------------


def features() -> st.SearchStrategy[Features]:
    """Any negotiated behaviour: every version, any extension words, any report options."""
    return st.builds(
        Features,
        version=st.sampled_from(Version),
        extensions=st.frozensets(st.sampled_from(sorted(KNOWN_EXTENSIONS))),
        escape_crlf=st.booleans(),
        accepts_notes=st.booleans(),
        short_status=st.booleans(),
        keep_alive=st.booleans(),
    )


def banner_for(features: Features) -> cm.Banner:
    """The banner that negotiates ``features``' version and extension words."""
    return cm.Banner(version=features.version, extensions=tuple(sorted(features.extensions)))


# --- texts -----------------------------------------------------------------------------------

#: Pieces that sit close to the protocol's delimiters and escapes, so that the interesting
#: cases (separators, escapes, CR, non-ASCII, NUL) show up far more often than at random.
_TRICKY_PIECES: Final = (
    "<|>",
    " <|",
    "|> ",
    "<",
    "|",
    ">",
    " ",
    "  ",
    ";",
    ":",
    ",",
    ", ",
    "/",
    "(",
    ")",
    "\r",
    "\t",
    "\\",
    "\\n",
    "...",
    "SERVER",
    "CLIENT",
    "s:",
    "é",
    "\x00",
    "\x7f",
    "\x85",
    "\u2028",
    "\U0001f600",
    "<!>",
)
#: The same without whitespace, for words (hosts, ids, versions).
_WORD_PIECES: Final = (
    *(p for p in _TRICKY_PIECES if not any(c.isspace() for c in p)),
    "0",
    "9",
    "-",
    ".",
    "NOCVE",
)


def _joined(
    pieces: tuple[str, ...], chars: st.SearchStrategy[str], size: int
) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(pieces), st.text(chars, min_size=1, max_size=3))
    return st.lists(piece, max_size=size).map("".join)


_NO_NEWLINE: Final = st.characters(codec="utf-8", exclude_characters="\n")
_NOT_SPACE: Final = st.characters(codec="utf-8").filter(lambda c: not c.isspace())


def _passes(check: Callable[[str, str], None]) -> Callable[[str], bool]:
    def ok(value: str) -> bool:
        try:
            check("value", value)
        except LocalProtocolError:
            return False
        return True

    return ok


is_field = _passes(check_field)
is_word = _passes(check_word)


def texts(size: int = 8) -> st.SearchStrategy[str]:
    """Any text, newlines and whole separators included."""
    pieces = (*_TRICKY_PIECES, "\n", "\r\n", SEP, " <|>")
    return _joined(pieces, st.characters(codec="utf-8"), size)


def free_texts(size: int = 12) -> st.SearchStrategy[str]:
    """Texts crowded with separators, escapes and bytes the report escaping replaces."""
    pieces = (SEP, " <|>", "<|> ", "<|>", " ", ";", "\n", "\r", "\t", "\\", "\\n", "é", "a")
    return _joined(pieces, st.characters(codec="utf-8"), size)


def lines(size: int = 8) -> st.SearchStrategy[str]:
    """Text without a newline."""
    return _joined(_TRICKY_PIECES, _NO_NEWLINE, size)


def client_lines(size: int = 8) -> st.SearchStrategy[str]:
    """A line as a client's line survives: the server drops a CR before the LF (spec §10.16:
    CRLF clients), so a line of ours cannot end in CR."""
    return lines(size).filter(lambda line: not line.endswith("\r"))


def fields(size: int = 8) -> st.SearchStrategy[str]:
    """A field: no newline, no separator (may be empty)."""
    return lines(size).filter(is_field)


def words(size: int = 5) -> st.SearchStrategy[str]:
    """A word: a non-empty field without whitespace."""
    return _joined(_WORD_PIECES, _NOT_SPACE, size).filter(is_word)


def progress() -> st.SearchStrategy[int]:
    """A STATUS counter: small values mostly, the whole range sometimes (12 digits)."""
    return st.one_of(st.integers(0, 70_000), st.integers(0, 10**12 - 1))


# --- records ---------------------------------------------------------------------------------

#: Words the OTP encoder writes for an empty optional field; a reader cannot tell them from a
#: field that really holds the word (the decoder reads them as empty under every version).
_OTP_EMPTY_WORDS: Final = {"NOCVE", "NOBID", "NOXREF", "NOSIGNKEYS", "NOTAG"}


def _reference_lists() -> st.SearchStrategy[tuple[str, ...]]:
    """CVE, BID or xref lists; they travel as one field joined with ``, ``."""

    def travels(values: tuple[str, ...]) -> bool:
        joined = ", ".join(values)
        return is_field(joined) and joined not in _OTP_EMPTY_WORDS

    entry = fields(4).filter(lambda v: bool(v) and ", " not in v)
    return st.lists(entry, max_size=3).map(tuple).filter(travels)


def descriptions() -> st.SearchStrategy[str]:
    """Plugin descriptions that survive PLUGIN_LIST.

    Every LF goes out as ``;`` and every ``;`` comes back as LF (spec §3.2), so a description
    with a literal ``;`` is lossy; a separator inside it is neutralised to `` <!> ``.
    """
    return texts().filter(lambda t: ";" not in t and SEP not in t and not t.endswith(" <|>"))


def _optional_plugin_fields(features: Features) -> set[str]:
    if features.is_otp:
        return {"version", "cve", "bid", "xref", "sign_keys", "tags"}
    wanted = {
        "plugins_version": "version",
        "plugins_cve_id": "cve",
        "plugins_bugtraq_id": "bid",
        "plugins_xrefs": "xref",
    }
    return {field for word, field in wanted.items() if features.has(word)}


@st.composite
def plugin_records(draw: st.DrawFn, features: Features, *, bare: bool = False) -> PluginRecord:
    """A plugin whose line reads back under ``features``.

    The optional fields that ``features`` leave off the wire keep their defaults, since the
    reader cannot know them. A ``bare`` line (the PLUGIN_INFO answer) has no header, so its
    id must not make it look like another server line (``SERVER <|> ...`` or ``s:...``).
    """
    plugin_id = draw(
        words().filter(lambda w: not bare or (w != "SERVER" and not w.startswith("s:")))
    )
    present = _optional_plugin_fields(features)
    optional: dict[str, str | tuple[str, ...]] = {}
    not_empty_word = fields(4).filter(lambda v: v not in _OTP_EMPTY_WORDS)
    if "version" in present:
        optional["version"] = draw(fields(4))
    for name in ("cve", "bid", "xref"):
        if name in present:
            optional[name] = draw(_reference_lists())
    for name in ("sign_keys", "tags"):
        if name in present:
            optional[name] = draw(not_empty_word)
    return PluginRecord(
        id=plugin_id,
        name=draw(fields()),
        category=draw(st.sampled_from(Category)),
        copyright=draw(fields()),
        description=draw(descriptions()),
        summary=draw(fields()),
        family=draw(fields()),
        **optional,  # type: ignore[arg-type]
    )


def _protocols() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["tcp", "udp", "icmp"]),
        words(3).filter(lambda w: not any(c in w for c in "/()")),
    )


def port_refs(features: Features, *, report: bool = False) -> st.SearchStrategy[PortRef]:
    """A port field that reads back under ``features``.

    NTP/1.1+: ``svc (n/proto)`` or ``general/proto``; a port without a service name goes out
    as ``unknown (n/proto)`` and comes back named ``unknown``, so a named port always has a
    name here. NTP/1.0 carries only the number: no service name, and no protocol except
    ``general/<proto>`` (PORT lines for other protocols are not sent at all, see the tests).
    In a 1.0 report the port is followed by ``:`` and the text, so a protocol with ``:``
    would move the split.
    """
    if features.version is Version.NTP_1_0:
        numbered = st.builds(PortRef, service=st.none(), number=st.integers(1, 65535))
        if not report:
            return st.one_of(st.just(PortRef.general()), numbered)
        protocol = _protocols().filter(lambda p: ":" not in p)
        return st.one_of(st.builds(PortRef.general, protocol), numbered)
    service = fields(4).filter(bool)
    return st.one_of(
        st.builds(PortRef.general, _protocols()),
        st.builds(PortRef, service=service, number=st.integers(0, 65535), protocol=_protocols()),
    )


_PRINTABLE: Final = "".join(chr(c) for c in range(0x20, 0x7F))


def report_texts(features: Features) -> st.SearchStrategy[str]:
    """Report texts that survive the escaping of spec §3.5 steps 6-7 under ``features``.

    Every byte outside 0x20-0x7E becomes a space, so only printable ASCII and the line ends
    the escaping knows are drawn. Without backslash escapes (and always under NTP/1.0) both
    LF and CR go out as ``;`` and come back as LF, so there is no CR and no literal ``;``.
    A separator in the text is neutralised to `` <!> ``.
    """
    backslash = features.backslash_escapes and features.version is not Version.NTP_1_0
    pieces = ["<|>", " <|", "|> ", "\\", "\\n", "\\r", "\n", "\n\n", "\\\n", ":", " "]
    if backslash:
        pieces += ["\r", "\r\n", ";"]
    alphabet = _PRINTABLE if backslash else _PRINTABLE.replace(";", "")
    text = _joined(tuple(pieces), st.sampled_from(alphabet), 10)
    return text.filter(lambda t: SEP not in t and not t.endswith(" <|>"))


# --- client messages -------------------------------------------------------------------------


def _just(msg: Message) -> MessageStrategy:
    return lambda features: st.just(msg)


#: Every command word the client decoder knows (spec §3.9 and the OTP additions).
CLIENT_VERBS: Final = frozenset(
    {
        "PREFERENCES",
        "RULES",
        "LONG_ATTACK",
        "ATTACHED_FILE",
        "ATTACHED_PLUGIN",
        "NEW_ATTACK",
        "STOP_ATTACK",
        "STOP_WHOLE_TEST",
        "PAUSE_WHOLE_TEST",
        "RESUME_WHOLE_TEST",
        "SESSIONS_LIST",
        "SESSION_DELETE",
        "SESSION_RESTORE",
        "DETACHED_SESSIONS_LIST",
        "STOP_DETACHED",
        "DETACHED_STOP",
        "NESSUS_VERSION",
        "OPENVAS_VERSION",
        "OPENVASSD_VERSION",
        "PLUGIN_INFO",
        "CERTIFICATES",
        "HUP_FATHER",
        "QUIT",
        "BYE",
        "PONG",
    }
)

#: Known commands whose arguments nessusd cannot use, so it skips the line (spec §3.9).
_UNUSABLE_COMMANDS: Final = (
    "CLIENT <|> PLUGIN_INFO <|> CLIENT",
    "CLIENT <|> PLUGIN_INFO <|> two words <|> CLIENT",
    "CLIENT <|> STOP_ATTACK",
    "CLIENT <|> SESSION_DELETE <|> yesterday <|> CLIENT",
    "CLIENT <|> SESSION_RESTORE <|>  <|> CLIENT",
    "CLIENT <|> STOP_DETACHED <|> 12a <|> CLIENT",
    "CLIENT <|> NEW_ATTACK <|>  <|> CLIENT",
)


def _client_unrecognized(features: Features) -> st.SearchStrategy[Message]:
    not_a_command = client_lines().filter(lambda line: not line.startswith("CLIENT <|> "))
    unknown_verb = st.builds(
        lambda verb, rest: f"CLIENT <|> {verb}{rest}",
        st.one_of(st.just(""), words()).filter(lambda v: v not in CLIENT_VERBS),
        st.one_of(st.just(""), lines().map(lambda rest: " " + rest)),
    ).filter(lambda line: not line.endswith("\r"))
    line = st.one_of(not_a_command, unknown_verb, st.sampled_from(_UNUSABLE_COMMANDS))
    return line.map(lambda line: Unrecognized(line=line))


def _banners(features: Features) -> st.SearchStrategy[Message]:
    extension = st.one_of(st.sampled_from(sorted(KNOWN_EXTENSIONS)), words(3)).filter(
        lambda w: not w.startswith(">")
    )
    return st.builds(
        cm.Banner,
        version=st.sampled_from(Version),
        extensions=st.lists(extension, max_size=6).map(tuple),
    )


_BANNERS: Final = frozenset(v.banner for v in Version)


def _unknown_versions(features: Features) -> st.SearchStrategy[Message]:
    near_misses = st.sampled_from(["", "< NTP/1.3 >", "< NTP/1.2>", "NTP/1.2", "< OTP/2.0 >"])
    line = st.one_of(near_misses, client_lines()).filter(lambda line: line[:11] not in _BANNERS)
    return line.map(lambda line: cm.UnknownVersion(line=line))


def _go_on(features: Features) -> st.SearchStrategy[Message]:
    loop_words = ("COMPLETE_LIST", "SEND_PLUGINS_MD5", "PLUGIN_INFO")
    line = client_lines().filter(lambda line: not any(w in line for w in loop_words))
    return st.one_of(st.just(cm.GoOn()), line.map(lambda line: cm.GoOn(line=line)))


def _attachments(cls: type[cm.AttachedFile | cm.AttachedPlugin]) -> MessageStrategy:
    # Name and content type are lines of their own: no CR before the LF (see client_lines).
    header = fields().filter(lambda v: not v.endswith("\r"))
    return lambda features: st.builds(
        cls,
        name=header,
        data=st.binary(max_size=64),
        content_type=st.one_of(st.just("octet/stream"), header),
    )


def _preference_items(*, client: bool) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    value = client_lines()

    def ok(item: tuple[str, str]) -> bool:
        # A line containing ``<|> CLIENT`` would end a client's block (spec §10.17).
        return not (client and "<|> CLIENT" in f"{item[0]} <|> {item[1]}")

    item = st.tuples(fields(), value).filter(ok)
    return st.lists(item, max_size=4).map(tuple)


def _preferences(*, client: bool) -> MessageStrategy:
    return lambda features: _preference_items(client=client).map(
        lambda items: Preferences(items=items)
    )


def _rules(*, client: bool) -> MessageStrategy:
    rule = fields()
    if client:
        rule = rule.filter(lambda r: "<|> CLIENT" not in r and not r.endswith("\r"))
    return lambda features: st.lists(rule, max_size=4).map(lambda r: Rules(rules=tuple(r)))


_SESSION_IDS: Final = st.from_regex(r"[0-9-]{1,16}", fullmatch=True)
_PIDS: Final = st.from_regex(r"[0-9]{1,8}", fullmatch=True)

CLIENT_MESSAGES: Final[dict[type[Message], MessageStrategy]] = {
    cm.Banner: _banners,
    cm.UnknownVersion: _unknown_versions,
    cm.User: lambda f: client_lines().map(lambda name: cm.User(name=name)),
    cm.Password: lambda f: client_lines().map(lambda pw: cm.Password(password=pw)),
    cm.CompleteList: _just(cm.CompleteList()),
    cm.SendPluginsMd5: _just(cm.SendPluginsMd5()),
    cm.GoOn: _go_on,
    cm.AttachedFile: _attachments(cm.AttachedFile),
    cm.AttachedPlugin: _attachments(cm.AttachedPlugin),
    cm.NewAttack: lambda f: words().map(lambda t: cm.NewAttack(targets=t)),
    cm.LegacyNewAttack: lambda f: st.builds(
        cm.LegacyNewAttack,
        plugin_set=words(),
        max_hosts=words(),
        recursive=words(),
        port_range=words(),
        targets=words(),
    ),
    cm.LongAttack: lambda f: texts(20).map(lambda t: cm.LongAttack(targets=t)),
    cm.StopAttack: lambda f: words().map(lambda h: cm.StopAttack(host=h)),
    cm.StopWholeTest: _just(cm.StopWholeTest()),
    cm.PauseWholeTest: _just(cm.PauseWholeTest()),
    cm.ResumeWholeTest: _just(cm.ResumeWholeTest()),
    cm.SessionsListRequest: _just(cm.SessionsListRequest()),
    cm.SessionDelete: lambda f: _SESSION_IDS.map(lambda i: cm.SessionDelete(session_id=i)),
    cm.SessionRestore: lambda f: _SESSION_IDS.map(lambda i: cm.SessionRestore(session_id=i)),
    cm.DetachedSessionsListRequest: _just(cm.DetachedSessionsListRequest()),
    cm.StopDetached: lambda f: _PIDS.map(lambda i: cm.StopDetached(session_id=i)),
    cm.NessusVersionRequest: _just(cm.NessusVersionRequest()),
    cm.OpenvasVersionRequest: _just(cm.OpenvasVersionRequest()),
    cm.PluginInfoRequest: lambda f: words().map(lambda i: cm.PluginInfoRequest(plugin_id=i)),
    cm.CertificatesRequest: _just(cm.CertificatesRequest()),
    cm.HupFather: _just(cm.HupFather()),
    cm.Quit: _just(cm.Quit()),
    cm.ClientBye: _just(cm.ClientBye()),
    cm.Pong: _just(cm.Pong()),
    Preferences: _preferences(client=True),
    Rules: _rules(client=True),
    Unrecognized: _client_unrecognized,
}


# --- server messages -------------------------------------------------------------------------

#: Every single-line verb the server decoder knows.
SERVER_VERBS: Final = frozenset(
    {
        "PLUGINS_MD5",
        "PLUGINS_ORDER",
        "FILE_ACCEPTED",
        "PLUGIN_ACCEPTED",
        "PLUGIN_DENIED",
        "NESSUS_VERSION",
        "OPENVAS_VERSION",
        "TIME",
        "STATUS",
        "STAT",
        "PORT",
        "FINISHED",
        "BYE",
        "ERROR",
        *(kind.value for kind in sm.ReportKind),
    }
)


def _server_unrecognized(features: Features) -> st.SearchStrategy[Message]:
    verb = st.one_of(st.sampled_from(["PING", "", "HOLD"]), fields(3)).filter(
        lambda v: v not in SERVER_VERBS
    )
    line = st.builds(
        lambda verb, args: SEP.join(("SERVER", verb, *args, "SERVER")),
        verb,
        st.lists(fields(4), max_size=3),
    )
    return line.map(lambda line: Unrecognized(line=line))


def _dependencies(features: Features) -> st.SearchStrategy[Message]:
    name = fields(4).filter(bool)
    entry = st.builds(Dependency, name=name, dependencies=st.lists(name, max_size=3).map(tuple))
    return st.lists(entry, max_size=4).map(lambda e: sm.PluginsDependencies(entries=tuple(e)))


def _md5_list(features: Features) -> st.SearchStrategy[Message]:
    key = fields(4).filter(lambda k: bool(k) and not k.startswith("<|> SERVER"))
    entry = st.builds(Md5Entry, key=key, md5=words())
    return st.lists(entry, max_size=4).map(lambda e: sm.PluginsMd5List(entries=tuple(e)))


def _sessions(cls: type[sm.SessionsList | sm.DetachedSessionsList]) -> MessageStrategy:
    session_id = words().filter(lambda w: not w.startswith("<|>"))
    entry = st.builds(SessionEntry, id=session_id, targets=fields())
    return lambda features: st.lists(entry, max_size=4).map(lambda e: cls(sessions=tuple(e)))


def _certificate_ok(key: str) -> bool:
    # A PEM key travels with LF as ``;``; a literal ``;`` would come back as LF.
    return ";" not in key and is_field(key.replace("\n", ";"))


def _certificates(features: Features) -> st.SearchStrategy[Message]:
    certificate = st.builds(
        Certificate,
        fingerprint=words().filter(lambda w: not w.startswith("<|>")),
        owner=fields(),
        trusted=st.booleans(),
        key_length=st.integers(0, 2**31 - 1),
        public_key=texts().filter(_certificate_ok),
    )
    return st.lists(certificate, max_size=3).map(lambda c: sm.Certificates(certificates=tuple(c)))


def _times(features: Features) -> st.SearchStrategy[Message]:
    when = fields().filter(bool)

    def build(kind: sm.TimeKind, host: str, when: str) -> sm.Time:
        return sm.Time(kind=kind, when=when, host=host if kind.names_host else None)

    return st.builds(build, st.sampled_from(sm.TimeKind), words(), when)


def _report_kinds(features: Features) -> st.SearchStrategy[sm.ReportKind]:
    """Kinds that reach the wire as themselves: NOTE is sent as INFO unless the client
    accepts notes (spec §10.36), LOG and DEBUG exist only in OTP (elsewhere they go as NOTE)."""
    kinds = [sm.ReportKind.HOLE, sm.ReportKind.INFO]
    if features.accepts_notes:
        kinds.append(sm.ReportKind.NOTE)
    if features.is_otp:
        kinds += [sm.ReportKind.LOG, sm.ReportKind.DEBUG]
    return st.sampled_from(kinds)


def _reports(features: Features) -> st.SearchStrategy[Message]:
    # NTP/1.0 and 1.1 reports carry no plugin id (spec §3.5).
    plugin_id = st.none()
    if features.has_plugin_ids_in_reports:
        plugin_id = st.one_of(st.none(), words())
    return st.builds(
        sm.Report,
        kind=_report_kinds(features),
        host=words(),
        port=port_refs(features, report=True),
        text=report_texts(features),
        plugin_id=plugin_id,
    )


def _hosts_not_allowed(features: Features) -> st.SearchStrategy[Message]:
    host = words().filter(lambda h: ";" not in h and h != "...")
    return st.builds(
        sm.HostsNotAllowed, hosts=st.lists(host, max_size=4).map(tuple), truncated=st.booleans()
    )


SERVER_MESSAGES: Final[dict[type[Message], MessageStrategy]] = {
    sm.VersionReply: lambda f: st.builds(sm.VersionReply, version=st.sampled_from(Version)),
    sm.UserPrompt: _just(sm.UserPrompt()),
    sm.PasswordPrompt: _just(sm.PasswordPrompt()),
    sm.BadLogin: _just(sm.BadLogin()),
    sm.PluginList: lambda f: st.lists(plugin_records(f), max_size=3).map(
        lambda p: sm.PluginList(plugins=tuple(p))
    ),
    sm.PluginInfoReply: lambda f: plugin_records(f, bare=True).map(
        lambda p: sm.PluginInfoReply(plugin=p)
    ),
    sm.PluginsDependencies: _dependencies,
    sm.PluginsMd5: lambda f: words().map(lambda m: sm.PluginsMd5(md5=m)),
    sm.PluginsMd5List: _md5_list,
    sm.PluginsOrder: lambda f: st.lists(words().filter(lambda w: ";" not in w), max_size=4).map(
        lambda ids: sm.PluginsOrder(ids=tuple(ids))
    ),
    sm.PreferencesErrors: lambda f: st.lists(st.tuples(fields(), fields()), max_size=4).map(
        lambda items: sm.PreferencesErrors(items=tuple(items))
    ),
    sm.FileAccepted: _just(sm.FileAccepted()),
    sm.PluginAccepted: _just(sm.PluginAccepted()),
    sm.PluginDenied: _just(sm.PluginDenied()),
    sm.SessionsList: _sessions(sm.SessionsList),
    sm.DetachedSessionsList: _sessions(sm.DetachedSessionsList),
    sm.NessusVersion: lambda f: words().map(lambda v: sm.NessusVersion(version=v)),
    sm.OpenvasVersion: lambda f: words().map(lambda v: sm.OpenvasVersion(version=v)),
    sm.Certificates: _certificates,
    sm.Time: _times,
    sm.Status: lambda f: st.builds(
        sm.Status,
        host=words(),
        action=st.sampled_from(sm.StatusAction),
        current=progress(),
        total=progress(),
    ),
    sm.Stat: lambda f: st.builds(sm.Stat, host=words(), current=progress(), total=progress()),
    sm.Port: lambda f: st.builds(sm.Port, host=words(), port=port_refs(f)),
    sm.Report: _reports,
    sm.Finished: lambda f: words().map(lambda h: sm.Finished(host=h)),
    sm.Bye: _just(sm.Bye()),
    sm.Error: lambda f: (
        fields()
        .filter(lambda t: not t.startswith(sm.HostsNotAllowed.PREFIX))
        .map(lambda t: sm.Error(text=t))
    ),
    sm.HostsNotAllowed: _hosts_not_allowed,
    Preferences: _preferences(client=False),
    Rules: _rules(client=False),
    Unrecognized: _server_unrecognized,
}


# --- where each message is decoded -----------------------------------------------------------


@dataclass(frozen=True)
class ClientContext:
    """Where a client decoder must start to read a message, and what must come before it."""

    phase: ClientPhase
    before: tuple[Message, ...] = ()


@dataclass(frozen=True)
class ServerContext:
    phase: ServerPhase
    before: tuple[Message, ...] = ()


def client_context(cls: type[Message], features: Features) -> ClientContext:
    if cls in (cm.Banner, cm.UnknownVersion):
        return ClientContext(ClientPhase.BANNER)
    if cls is cm.User:
        return ClientContext(ClientPhase.BANNER, (banner_for(features),))
    if cls is cm.Password:
        return ClientContext(ClientPhase.BANNER, (banner_for(features), cm.User(name="admin")))
    if cls in (cm.CompleteList, cm.SendPluginsMd5, cm.GoOn):
        return ClientContext(ClientPhase.MD5_LOOP)
    return ClientContext(ClientPhase.ORDERS)


def server_context(cls: type[Message], features: Features) -> ServerContext:
    reply = sm.VersionReply(version=features.version)
    if cls is sm.VersionReply:
        return ServerContext(ServerPhase.VERSION)
    if cls is sm.UserPrompt:
        return ServerContext(ServerPhase.VERSION, (reply,))
    if cls is sm.PasswordPrompt:
        return ServerContext(ServerPhase.VERSION, (reply, sm.UserPrompt()))
    return ServerContext(ServerPhase.MESSAGES)


#: Messages read in the login or md5-loop phases; the rest are read after the login.
CLIENT_LOGIN_MESSAGES: Final = frozenset(
    {
        cm.Banner,
        cm.UnknownVersion,
        cm.User,
        cm.Password,
        cm.CompleteList,
        cm.SendPluginsMd5,
        cm.GoOn,
    }
)
SERVER_LOGIN_MESSAGES: Final = frozenset({sm.VersionReply, sm.UserPrompt, sm.PasswordPrompt})


def client_round_trips(cls: type[Message], features: Features) -> bool:
    """Whether ``cls`` travels as itself under ``features`` (see the tests for the others)."""
    if cls in (Preferences, Rules):
        return features.version is not Version.NTP_1_0  # NTP/1.0 has no blocks
    return True


def server_round_trips(cls: type[Message], features: Features) -> bool:
    if cls in (Preferences, Rules):
        return features.version is not Version.NTP_1_0
    if cls is sm.Time:
        return features.has("timestamps")  # otherwise not sent at all
    if cls is sm.PluginsDependencies:
        return features.has("dependencies")  # otherwise not sent at all
    if cls is sm.Status:
        return features.version is not Version.NTP_1_0  # sent as STAT
    return True
