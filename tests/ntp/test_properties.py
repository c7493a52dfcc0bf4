"""Property tests of the protocol layer: round trips, hostile input, splits, the state table.

* Every message type, in both directions, comes back equal from ``encode -> decode`` under a
  spread of features (``strategies.py`` draws only what the wire can carry; the lossy cases
  are asserted on their own below).
* Arbitrary bytes into either decoder, from every start phase, give messages or a
  :class:`RemoteProtocolError`, never another exception, and end within a bounded number of
  calls.
* A valid stream reads the same whatever the points it is split at.
* The state table accepts or refuses every (role, message) with :class:`LocalProtocolError`
  and never leaves a side in a state that is not its own.
"""

from __future__ import annotations

import dataclasses
import itertools
from types import ModuleType
from typing import Final, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.ntp import (
    NEED_DATA,
    Category,
    Certificate,
    ClientPhase,
    ClientStreamDecoder,
    ConnectionClosed,
    Features,
    LocalProtocolError,
    Message,
    PluginRecord,
    PortRef,
    Preferences,
    RemoteProtocolError,
    Role,
    Rules,
    ServerPhase,
    ServerStreamDecoder,
    State,
    Unrecognized,
    Version,
    encode_client_message,
    encode_server_message,
)
from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.decoder import StreamDecoder
from ixion.ntp.state import TRANSITIONS, ConnectionState
from tests.ntp import strategies as s
from tests.transcripts import Transcript, all_transcripts

TRANSCRIPTS: Final = all_transcripts()

# --- helpers ---------------------------------------------------------------------------------


def _name(cls: type[Message]) -> str:
    return cls.__name__


CLIENT_CLASSES: Final = sorted(s.CLIENT_MESSAGES, key=_name)
SERVER_CLASSES: Final = sorted(s.SERVER_MESSAGES, key=_name)


def _exported(module: ModuleType, names: list[str]) -> set[type[Message]]:
    classes = (getattr(module, name) for name in names)
    return {c for c in classes if isinstance(c, type) and issubclass(c, Message)}


def client_decoder(
    features: Features, phase: ClientPhase = ClientPhase.ORDERS
) -> ClientStreamDecoder:
    return ClientStreamDecoder(features=features, start=phase)


def server_decoder(
    features: Features, phase: ServerPhase = ServerPhase.MESSAGES
) -> ServerStreamDecoder:
    return ServerStreamDecoder(features, start=phase)


def _pull(decoder: StreamDecoder, budget: int, *, closed: bool) -> list[Message]:
    """Messages until NEED_DATA (or, once the peer ``closed``, until ConnectionClosed).

    Every message but ConnectionClosed consumes at least one byte, so ``budget`` (the bytes
    buffered, plus one) bounds the calls: going over it means the decoder is looping.
    """
    messages: list[Message] = []
    for _ in range(budget + 1):
        msg = decoder.next_message()
        if msg is NEED_DATA:
            assert not closed, "the decoder asked for more data after the end of the stream"
            return messages
        messages.append(msg)
        if isinstance(msg, ConnectionClosed):
            return messages
    raise AssertionError(f"no end after {budget + 1} calls to next_message()")


def decode_whole(decoder: StreamDecoder, data: bytes) -> list[Message]:
    """Feed ``data`` at once and then the end of the stream; every message, in order."""
    decoder.receive_data(data)
    decoder.receive_data(b"")
    return _pull(decoder, len(data) + 1, closed=True)


def decode_in_pieces(decoder: StreamDecoder, data: bytes, cuts: list[int]) -> list[Message]:
    """Feed ``data`` cut at ``cuts``, reading after every piece, then the end of the stream."""
    bounds = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    messages: list[Message] = []
    for start, end in itertools.pairwise(bounds):
        decoder.receive_data(data[start:end])  # never b"": that would mean end of stream
        messages += _pull(decoder, end + 1, closed=False)
    decoder.receive_data(b"")
    return messages + _pull(decoder, len(data) + 1, closed=True)


def bytewise(data: bytes) -> list[int]:
    return list(range(len(data)))


Outcome = list[Message] | RemoteProtocolError


def decode_hostile(decoder: StreamDecoder, data: bytes, cuts: list[int]) -> Outcome:
    """Messages, or the RemoteProtocolError that ended them; any other exception escapes."""
    try:
        return decode_in_pieces(decoder, data, cuts)
    except RemoteProtocolError as exc:
        error = exc
    # A failed decoder stays failed: the stream position is lost.
    with pytest.raises(RemoteProtocolError) as again:
        decoder.next_message()
    assert again.value is error
    return error


def _transcript_features(transcript: Transcript) -> Features:
    """What the client negotiated in ``transcript`` (banner, then its PREFERENCES)."""
    decoder = ClientStreamDecoder()
    messages = decode_whole(decoder, transcript.stream("C"))
    features = decoder.features
    for msg in messages:
        if isinstance(msg, Preferences):
            features = features.with_client_preferences(msg.items)
    return features


def transcript_decoder(transcript: Transcript, direction: Literal["C", "S"]) -> StreamDecoder:
    if direction == "C":
        return ClientStreamDecoder()
    return ServerStreamDecoder(_transcript_features(transcript))


# --- the strategies cover every message ------------------------------------------------------


def test_every_client_message_class_has_a_strategy() -> None:
    expected = _exported(cm, cm.__all__) | {Preferences, Rules, Unrecognized}
    assert set(s.CLIENT_MESSAGES) == expected


def test_every_server_message_class_has_a_strategy() -> None:
    expected = _exported(sm, sm.__all__) | {Preferences, Rules, Unrecognized}
    assert set(s.SERVER_MESSAGES) == expected


# --- 1. encode -> decode round trips ---------------------------------------------------------


@pytest.mark.parametrize("cls", CLIENT_CLASSES, ids=_name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_client_message_round_trips(cls: type[Message], data: st.DataObject) -> None:
    features = data.draw(s.features().filter(lambda f: s.client_round_trips(cls, f)))
    msg = data.draw(s.CLIENT_MESSAGES[cls](features), label="message")
    context = s.client_context(cls, features)
    wire = encode_client_message(msg, features)
    assert wire
    before = b"".join(encode_client_message(m, features) for m in context.before)
    decoded = decode_whole(client_decoder(features, context.phase), before + wire)
    assert decoded == [*context.before, msg, ConnectionClosed()]


@pytest.mark.parametrize("cls", SERVER_CLASSES, ids=_name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_server_message_round_trips(cls: type[Message], data: st.DataObject) -> None:
    features = data.draw(s.features().filter(lambda f: s.server_round_trips(cls, f)))
    msg = data.draw(s.SERVER_MESSAGES[cls](features), label="message")
    context = s.server_context(cls, features)
    wire = encode_server_message(msg, features)
    assert wire
    before = b"".join(encode_server_message(m, features) for m in context.before)
    decoded = decode_whole(server_decoder(features, context.phase), before + wire)
    assert decoded == [*context.before, msg, ConnectionClosed()]


# --- what the protocol deliberately loses ----------------------------------------------------


def _decode_one_server_message(msg: Message, features: Features) -> Message:
    decoded = decode_whole(server_decoder(features), encode_server_message(msg, features))
    assert len(decoded) == 2
    assert isinstance(decoded[1], ConnectionClosed)
    return decoded[0]


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_time_is_not_sent_without_the_timestamps_extension(data: st.DataObject) -> None:
    features = data.draw(s.features().filter(lambda f: not f.has("timestamps")))
    msg = data.draw(s.SERVER_MESSAGES[sm.Time](features))
    assert encode_server_message(msg, features) == b""


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_plugins_dependencies_are_not_sent_without_the_dependencies_extension(
    data: st.DataObject,
) -> None:
    features = data.draw(s.features().filter(lambda f: not f.has("dependencies")))
    msg = data.draw(s.SERVER_MESSAGES[sm.PluginsDependencies](features))
    assert encode_server_message(msg, features) == b""


@settings(max_examples=30, deadline=None)
@given(features=s.features(), host=s.words(), data=st.data())
def test_ntp_1_0_hears_only_of_tcp_ports(
    features: Features, host: str, data: st.DataObject
) -> None:
    features = dataclasses.replace(features, version=Version.NTP_1_0)
    port = data.draw(s.port_refs(Features()).filter(lambda p: p.protocol != "tcp"))
    assert encode_server_message(sm.Port(host=host, port=port), features) == b""


def test_port_refs_without_a_name_come_back_named_unknown() -> None:
    # Why the strategies always name a numbered port under NTP/1.1+ (spec §3.5).
    port = PortRef(service=None, number=31337)
    msg = sm.Port(host="198.18.0.5", port=port)
    back = _decode_one_server_message(msg, Features())
    assert back == sm.Port(host="198.18.0.5", port=PortRef(service="unknown", number=31337))


@settings(max_examples=30, deadline=None)
@given(features=s.features(), data=st.data())
def test_status_comes_back_as_stat_under_ntp_1_0(features: Features, data: st.DataObject) -> None:
    features = dataclasses.replace(features, version=Version.NTP_1_0)
    status = data.draw(s.SERVER_MESSAGES[sm.Status](features))
    assert isinstance(status, sm.Status)
    stat = sm.Stat(host=status.host, current=status.current, total=status.total)
    assert _decode_one_server_message(status, features) == stat


def _kind_on_the_wire(kind: sm.ReportKind, features: Features) -> sm.ReportKind:
    if kind in (sm.ReportKind.LOG, sm.ReportKind.DEBUG) and not features.is_otp:
        kind = sm.ReportKind.NOTE  # OTP's kinds go to NTP clients as notes (spec §11)
    if kind is sm.ReportKind.NOTE and not features.accepts_notes:
        kind = sm.ReportKind.INFO  # spec §10.36
    return kind


@settings(max_examples=60, deadline=None)
@given(features=s.features(), kind=st.sampled_from(sm.ReportKind), data=st.data())
def test_report_kinds_are_downgraded_to_what_the_client_understands(
    features: Features, kind: sm.ReportKind, data: st.DataObject
) -> None:
    report = data.draw(s.SERVER_MESSAGES[sm.Report](features))
    assert isinstance(report, sm.Report)
    sent = dataclasses.replace(report, kind=kind)
    expected = dataclasses.replace(report, kind=_kind_on_the_wire(kind, features))
    assert _decode_one_server_message(sent, features) == expected


def _without_backslash_escapes(features: Features) -> bool:
    return not features.backslash_escapes or features.version is Version.NTP_1_0


@settings(max_examples=30, deadline=None)
@given(data=st.data(), pieces=st.lists(st.sampled_from(["a", ";", "\n", "\r", " "]), max_size=8))
def test_semicolons_and_line_ends_come_back_as_newlines_without_backslash_escapes(
    data: st.DataObject, pieces: list[str]
) -> None:
    features = data.draw(s.features().filter(_without_backslash_escapes))
    report = data.draw(s.SERVER_MESSAGES[sm.Report](features))
    assert isinstance(report, sm.Report)
    text = "".join(pieces)
    decoded = _decode_one_server_message(dataclasses.replace(report, text=text), features)
    expected = text.replace(";", "\n").replace("\r", "\n")
    assert decoded == dataclasses.replace(report, text=expected)


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    text=st.text(st.characters(codec="utf-8", exclude_characters="\n\r;\\<|>"), max_size=12),
)
def test_report_characters_outside_printable_ascii_come_back_as_spaces(
    data: st.DataObject, text: str
) -> None:
    features = data.draw(s.features())
    report = data.draw(s.SERVER_MESSAGES[sm.Report](features))
    assert isinstance(report, sm.Report)
    decoded = _decode_one_server_message(dataclasses.replace(report, text=text), features)
    # Each byte of the UTF-8 form becomes one space (spec §3.5 step 7).
    expected = "".join(c if " " <= c <= "~" else " " * len(c.encode()) for c in text)
    assert decoded == dataclasses.replace(report, text=expected)


@pytest.mark.parametrize("msg", [Preferences(items=(("a", "b"),)), Rules(rules=("r",))])
def test_ntp_1_0_has_no_preferences_or_rules_blocks(msg: Message) -> None:
    features = Features(version=Version.NTP_1_0)
    with pytest.raises(LocalProtocolError):
        encode_client_message(msg, features)
    with pytest.raises(LocalProtocolError):
        encode_server_message(msg, features)


@st.composite
def _lossy_server_messages(draw: st.DrawFn, features: Features) -> Message:
    """Server messages whose free texts are anything: separators, ``;``, control bytes."""
    kind = draw(st.sampled_from(["report", "plugin", "certificate"]))
    text = draw(s.free_texts())
    if kind == "report":
        report = draw(s.SERVER_MESSAGES[sm.Report](features))
        assert isinstance(report, sm.Report)
        return dataclasses.replace(report, text=text)
    if kind == "plugin":
        plugin: PluginRecord = draw(s.plugin_records(features))
        return sm.PluginList(plugins=(dataclasses.replace(plugin, description=text),))
    key = draw(s.free_texts().filter(lambda t: s.is_field(t.replace("\n", ";"))))
    cert = Certificate(
        fingerprint="AB:CD", owner="CA", trusted=True, key_length=2048, public_key=key
    )
    return sm.Certificates(certificates=(cert,))


def _without_free_text(msg: Message) -> Message:
    if isinstance(msg, sm.Report):
        return dataclasses.replace(msg, text="")
    if isinstance(msg, sm.PluginList):
        plugins = tuple(dataclasses.replace(p, description="") for p in msg.plugins)
        return sm.PluginList(plugins=plugins)
    assert isinstance(msg, sm.Certificates)
    certificates = tuple(dataclasses.replace(c, public_key="") for c in msg.certificates)
    return sm.Certificates(certificates=certificates)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_free_texts_settle_after_one_round_trip(data: st.DataObject) -> None:
    """Escaping is lossy, but what comes back is a fixed point: it re-encodes to the same
    bytes, and every field other than the free text survives untouched."""
    features = data.draw(s.features())
    msg = data.draw(_lossy_server_messages(features))
    wire = encode_server_message(msg, features)
    back = _decode_one_server_message(msg, features)
    assert _without_free_text(back) == _without_free_text(msg)
    assert encode_server_message(back, features) == wire
    assert _decode_one_server_message(back, features) == back


# Regressions the properties above found.


@pytest.mark.parametrize("features", [Features(version=Version.NTP_1_0), Features()])
def test_a_run_of_separators_in_a_free_text_is_neutralised_whole(features: Features) -> None:
    report = sm.Report(
        kind=sm.ReportKind.HOLE, host="h", port=PortRef.general(), text="a <|> <|> b\n"
    )
    back = _decode_one_server_message(report, features)
    assert back == dataclasses.replace(report, text="a <!> <!> b\n")
    plugin = PluginRecord(
        id="1",
        name="n",
        category=Category.INIT,
        copyright="c",
        description="x <|> <|> <|> y",
        summary="s",
        family="f",
    )
    back = _decode_one_server_message(sm.PluginList(plugins=(plugin,)), features)
    expected = dataclasses.replace(plugin, description="x <!> <!> <!> y")
    assert back == sm.PluginList(plugins=(expected,))


def test_a_reference_list_whose_joined_field_ends_in_a_separator_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        PluginRecord(
            id="1",
            name="n",
            category=Category.INIT,
            copyright="c",
            description="d",
            summary="s",
            family="f",
            xref=("OSVDB:1", "<|>"),
        )


@pytest.mark.parametrize("value", [10**12, 2**63 - 1])
def test_progress_a_reader_cannot_take_is_refused(value: int) -> None:
    # parse_int reads at most 12 digits.
    with pytest.raises(LocalProtocolError):
        sm.Status(host="h", action=sm.StatusAction.ATTACK, current=value, total=value)
    with pytest.raises(LocalProtocolError):
        sm.Stat(host="h", current=0, total=value)
    stat = sm.Stat(host="h", current=10**12 - 1, total=10**12 - 1)
    assert _decode_one_server_message(stat, Features()) == stat


# --- 2. hostile input ------------------------------------------------------------------------

_CLIENT_PIECES: Final = (
    b"CLIENT <|> ",
    b" <|> ",
    b" <|> CLIENT\n",
    b"<|> CLIENT\n",
    b"\n",
    b"\r\n",
    b"PREFERENCES <|>\n",
    b"RULES <|>\n",
    b"LONG_ATTACK <|>\n",
    b"ATTACHED_FILE\n",
    b"ATTACHED_PLUGIN\n",
    b"name: f\n",
    b"content: octet/stream\n",
    b"bytes: ",
    b"3\n",
    b"0\n",
    b"99999999999999\n",
    b"-1\n",
    b"NEW_ATTACK",
    b"STOP_ATTACK",
    b"SESSION_DELETE",
    b"STOP_DETACHED",
    b"PLUGIN_INFO",
    b"COMPLETE_LIST",
    b"SEND_PLUGINS_MD5",
    b"GO ON",
    b"< NTP/1.0 >",
    b"< NTP/1.1 >",
    b"< NTP/1.2 >",
    b"< OTP/1.0 >",
    b"< md5_caching >",
    b"< ",
    b" >",
    b" ",
    b"\xff",
    b"\x00",
    b"\xc3",
)
_SERVER_PIECES: Final = (
    b"SERVER <|> ",
    b" <|> SERVER\n",
    b" <|> ",
    b"<|> SERVER\n",
    b"\n",
    b"\r",
    b"PLUGIN_LIST <|>\n",
    b"PREFERENCES <|>\n",
    b"RULES <|>\n",
    b"PREFERENCES_ERRORS <|>\n",
    b"PLUGINS_DEPENDENCIES\n",
    b"PLUGINS_MD5\n",
    b"PLUGINS_MD5",
    b"PLUGINS_ORDER",
    b"SESSIONS_LIST\n",
    b"DETACHED_SESSIONS_LIST\n",
    b"CERTIFICATES\n",
    b"TIME",
    b"SCAN_START",
    b"HOST_START",
    b"STATUS",
    b"STAT",
    b"attack",
    b"portscan",
    b"12/34",
    b"/",
    b"PORT",
    b"general/tcp",
    b"ssh (22/tcp)",
    b"HOLE",
    b"INFO",
    b"NOTE",
    b"LOG",
    b"FINISHED",
    b"BYE",
    b"ERROR",
    sm.HostsNotAllowed.PREFIX.encode(),
    b";",
    b"...",
    b"s:a:",
    b"s:p:",
    b":",
    b"12",
    b"99999999999999999999",
    b"trusted",
    b"notrust",
    b"NOCVE",
    b"infos",
    b"\\n",
    b"\\",
    b"Bad login attempt !\n",
    b"User : ",
    b"Password : ",
    b"< NTP/1.2 >\n",
    b"< OTP/1.0 >\n",
    b"\xff",
    b"\x00",
)


def _junk(pieces: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """Bytes built mostly from protocol fragments, so the parsers get past their first line."""
    piece = st.one_of(st.sampled_from(pieces), st.binary(min_size=1, max_size=4))
    return st.one_of(st.binary(max_size=64), st.lists(piece, max_size=30).map(b"".join))


_CUTS: Final = st.lists(st.integers(0, 10_000), max_size=6)


def _assert_hostile_outcome(outcome: Outcome, data: bytes) -> None:
    if isinstance(outcome, RemoteProtocolError):
        # The error says where the offending message begins.
        assert outcome.offset is not None
        assert 0 <= outcome.offset <= len(data)
        return
    assert outcome
    assert isinstance(outcome[-1], ConnectionClosed)
    assert all(isinstance(msg, Message) for msg in outcome)


@settings(max_examples=300, deadline=None)
@given(
    phase=st.sampled_from(ClientPhase),
    features=s.features(),
    data=_junk(_CLIENT_PIECES),
    cuts=_CUTS,
)
def test_arbitrary_bytes_into_the_client_decoder_give_messages_or_a_remote_error(
    phase: ClientPhase, features: Features, data: bytes, cuts: list[int]
) -> None:
    _assert_hostile_outcome(decode_hostile(client_decoder(features, phase), data, cuts), data)


@settings(max_examples=300, deadline=None)
@given(
    phase=st.sampled_from(ServerPhase),
    features=s.features(),
    data=_junk(_SERVER_PIECES),
    cuts=_CUTS,
)
def test_arbitrary_bytes_into_the_server_decoder_give_messages_or_a_remote_error(
    phase: ServerPhase, features: Features, data: bytes, cuts: list[int]
) -> None:
    _assert_hostile_outcome(decode_hostile(server_decoder(features, phase), data, cuts), data)


@settings(max_examples=200, deadline=None)
@given(features=s.features(), junk=_junk(_CLIENT_PIECES), cuts=_CUTS)
def test_arbitrary_bytes_after_a_valid_login_give_messages_or_a_remote_error(
    features: Features, junk: bytes, cuts: list[int]
) -> None:
    login = (s.banner_for(features), cm.User(name="admin"), cm.Password(password="secret"))
    prefix = b"".join(encode_client_message(m, features) for m in login)
    outcome = decode_hostile(client_decoder(features, ClientPhase.BANNER), prefix + junk, cuts)
    _assert_hostile_outcome(outcome, prefix + junk)
    if isinstance(outcome, list):
        assert outcome[:3] == list(login)


@settings(max_examples=200, deadline=None)
@given(features=s.features(), junk=_junk(_SERVER_PIECES), cuts=_CUTS)
def test_arbitrary_bytes_after_the_login_prompts_give_messages_or_a_remote_error(
    features: Features, junk: bytes, cuts: list[int]
) -> None:
    login = (sm.VersionReply(version=features.version), sm.UserPrompt(), sm.PasswordPrompt())
    prefix = b"".join(encode_server_message(m, features) for m in login)
    outcome = decode_hostile(server_decoder(features, ServerPhase.VERSION), prefix + junk, cuts)
    _assert_hostile_outcome(outcome, prefix + junk)
    if isinstance(outcome, list):
        assert outcome[:3] == list(login)


# Valid streams: a whole conversation, one side of it.


#: Client messages whose payload the next command must follow at once.
_PAYLOAD_MESSAGES: Final = (cm.LongAttack, cm.AttachedFile, cm.AttachedPlugin)


@st.composite
def client_streams(draw: st.DrawFn, features: Features) -> tuple[bytes, list[Message]]:
    """A client's whole side: banner, login, md5 loop if negotiated, then commands."""
    messages: list[Message] = [
        s.banner_for(features),
        draw(s.CLIENT_MESSAGES[cm.User](features)),
        draw(s.CLIENT_MESSAGES[cm.Password](features)),
    ]
    if features.md5_caching:
        request = s.CLIENT_MESSAGES[cm.PluginInfoRequest](features).filter(
            lambda m: (
                isinstance(m, cm.PluginInfoRequest)
                and not any(w in m.plugin_id for w in ("COMPLETE_LIST", "SEND_PLUGINS_MD5"))
            )
        )
        loop = st.one_of(st.just(cm.CompleteList()), st.just(cm.SendPluginsMd5()), request)
        messages += draw(st.lists(loop, max_size=3))
        messages.append(draw(s.CLIENT_MESSAGES[cm.GoOn](features)))
    classes = sorted(
        (c for c in s.CLIENT_MESSAGES if c not in s.CLIENT_LOGIN_MESSAGES),
        key=_name,
    )
    drawn = draw(st.lists(st.sampled_from(classes), max_size=6))
    for c in drawn:
        # A line that is not a command right after a payload (LONG_ATTACK, ATTACHED_*) means
        # the payload's size was wrong: the stream is refused there, not read on (issue 15).
        after_payload = isinstance(messages[-1], _PAYLOAD_MESSAGES)
        if s.client_round_trips(c, features) and not (after_payload and c is Unrecognized):
            messages.append(draw(s.CLIENT_MESSAGES[c](features)))
    wire = b"".join(encode_client_message(m, features) for m in messages)
    return wire, [*messages, ConnectionClosed()]


@st.composite
def server_streams(draw: st.DrawFn, features: Features) -> tuple[bytes, list[Message]]:
    """A server's whole side: version, prompts, then any messages it can send."""
    messages: list[Message] = [
        sm.VersionReply(version=features.version),
        sm.UserPrompt(),
        sm.PasswordPrompt(),
    ]
    classes = sorted(
        (c for c in s.SERVER_MESSAGES if c not in s.SERVER_LOGIN_MESSAGES),
        key=_name,
    )
    drawn = draw(st.lists(st.sampled_from(classes), max_size=6))
    messages += [
        draw(s.SERVER_MESSAGES[c](features)) for c in drawn if s.server_round_trips(c, features)
    ]
    wire = b"".join(encode_server_message(m, features) for m in messages)
    return wire, [*messages, ConnectionClosed()]


_MUTATION = st.tuples(
    st.sampled_from(["flip", "insert", "delete"]),
    st.integers(0, 10_000),
    st.binary(min_size=1, max_size=8),
)


def _mutate(data: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    buffer = bytearray(data)
    for op, position, payload in mutations:
        at = position % (len(buffer) + 1)
        if op == "insert":
            buffer[at:at] = payload
        elif op == "delete":
            del buffer[at : at + len(payload)]
        elif at < len(buffer):
            buffer[at] ^= payload[0] or 0xFF
    return bytes(buffer)


@settings(max_examples=200, deadline=None)
@given(
    features=s.features(),
    data=st.data(),
    mutations=st.lists(_MUTATION, min_size=1, max_size=4),
    cuts=_CUTS,
)
def test_mutated_client_streams_give_messages_or_a_remote_error(
    features: Features,
    data: st.DataObject,
    mutations: list[tuple[str, int, bytes]],
    cuts: list[int],
) -> None:
    wire, _ = data.draw(client_streams(features))
    mutated = _mutate(wire, mutations)
    decoder = client_decoder(features, ClientPhase.BANNER)
    _assert_hostile_outcome(decode_hostile(decoder, mutated, cuts), mutated)


@settings(max_examples=200, deadline=None)
@given(
    features=s.features(),
    data=st.data(),
    mutations=st.lists(_MUTATION, min_size=1, max_size=4),
    cuts=_CUTS,
)
def test_mutated_server_streams_give_messages_or_a_remote_error(
    features: Features,
    data: st.DataObject,
    mutations: list[tuple[str, int, bytes]],
    cuts: list[int],
) -> None:
    wire, _ = data.draw(server_streams(features))
    mutated = _mutate(wire, mutations)
    decoder = server_decoder(features, ServerPhase.VERSION)
    _assert_hostile_outcome(decode_hostile(decoder, mutated, cuts), mutated)


@settings(max_examples=200, deadline=None)
@given(
    transcript=st.sampled_from(TRANSCRIPTS),
    direction=st.sampled_from(["C", "S"]),
    mutations=st.lists(_MUTATION, min_size=1, max_size=4),
    cuts=_CUTS,
)
def test_mutated_transcripts_give_messages_or_a_remote_error(
    transcript: Transcript,
    direction: Literal["C", "S"],
    mutations: list[tuple[str, int, bytes]],
    cuts: list[int],
) -> None:
    data = _mutate(transcript.stream(direction), mutations)
    decoder = transcript_decoder(transcript, direction)
    _assert_hostile_outcome(decode_hostile(decoder, data, cuts), data)


# --- 3. splitting a stream changes nothing ---------------------------------------------------

_SPLITS = st.lists(st.integers(0, 10_000), max_size=12)


@settings(max_examples=100, deadline=None)
@given(features=s.features(), data=st.data(), cuts=_SPLITS, one_byte_at_a_time=st.booleans())
def test_a_client_stream_reads_the_same_however_it_is_split(
    features: Features, data: st.DataObject, cuts: list[int], one_byte_at_a_time: bool
) -> None:
    wire, expected = data.draw(client_streams(features))
    assert decode_whole(client_decoder(features, ClientPhase.BANNER), wire) == expected
    cuts = bytewise(wire) if one_byte_at_a_time else cuts
    pieces = decode_in_pieces(client_decoder(features, ClientPhase.BANNER), wire, cuts)
    assert pieces == expected


@settings(max_examples=100, deadline=None)
@given(features=s.features(), data=st.data(), cuts=_SPLITS, one_byte_at_a_time=st.booleans())
def test_a_server_stream_reads_the_same_however_it_is_split(
    features: Features, data: st.DataObject, cuts: list[int], one_byte_at_a_time: bool
) -> None:
    wire, expected = data.draw(server_streams(features))
    assert decode_whole(server_decoder(features, ServerPhase.VERSION), wire) == expected
    cuts = bytewise(wire) if one_byte_at_a_time else cuts
    pieces = decode_in_pieces(server_decoder(features, ServerPhase.VERSION), wire, cuts)
    assert pieces == expected


@settings(max_examples=100, deadline=None)
@given(
    transcript=st.sampled_from(TRANSCRIPTS),
    direction=st.sampled_from(["C", "S"]),
    cuts=_SPLITS,
)
def test_a_captured_stream_reads_the_same_however_it_is_split(
    transcript: Transcript, direction: Literal["C", "S"], cuts: list[int]
) -> None:
    stream = transcript.stream(direction)
    whole = decode_whole(transcript_decoder(transcript, direction), stream)
    assert isinstance(whole[-1], ConnectionClosed)
    assert decode_in_pieces(transcript_decoder(transcript, direction), stream, cuts) == whole


@pytest.mark.parametrize("direction", ["C", "S"])
@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda t: t.name)
def test_a_captured_stream_reads_the_same_one_byte_at_a_time(
    transcript: Transcript, direction: Literal["C", "S"]
) -> None:
    stream = transcript.stream(direction)
    whole = decode_whole(transcript_decoder(transcript, direction), stream)
    decoder = transcript_decoder(transcript, direction)
    assert decode_in_pieces(decoder, stream, bytewise(stream)) == whole


# --- 4. the state table ----------------------------------------------------------------------

_CLIENT_STATES: Final = frozenset(TRANSITIONS[Role.CLIENT])
_SERVER_STATES: Final = frozenset(TRANSITIONS[Role.SERVER])
_STRATEGIES: Final = {Role.CLIENT: s.CLIENT_MESSAGES, Role.SERVER: s.SERVER_MESSAGES}


def _next_message(
    data: st.DataObject, state: ConnectionState, features: Features
) -> tuple[Role, Message]:
    """Mostly a message the table expects from a side that can move, so that sequences get
    past the login and into scans; sometimes anything from anyone, or a hang-up."""
    movable = [role for role in Role if TRANSITIONS[role][state.states[role]]]
    if movable and data.draw(st.integers(0, 9), label="guided") > 0:
        role = data.draw(st.sampled_from(movable), label="role")
        pool = sorted(TRANSITIONS[role][state.states[role]], key=_name)
    else:
        role = data.draw(st.sampled_from(Role), label="role")
        if data.draw(st.integers(0, 4), label="hang up") == 0:
            return role, ConnectionClosed()
        pool = sorted(_STRATEGIES[role], key=_name)
    cls = data.draw(st.sampled_from(pool), label="type")
    return role, data.draw(_STRATEGIES[role][cls](features), label="message")


@settings(max_examples=100, deadline=None)
@given(features=s.features(), data=st.data())
def test_the_state_table_accepts_or_refuses_every_sequence_of_messages(
    features: Features, data: st.DataObject
) -> None:
    state = ConnectionState()
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        role, msg = _next_message(data, state, features)
        table = TRANSITIONS[role][state.states[role]]
        before = dict(state.states)
        try:
            state.process(role, msg, features)
        except LocalProtocolError:
            assert type(msg) not in table
            assert state.states == before  # a refused message changes nothing
            continue
        assert isinstance(msg, ConnectionClosed) or type(msg) in table
        assert set(state.states) == set(Role)
        assert all(isinstance(value, State) for value in state.states.values())
        assert state.states[Role.CLIENT] in _CLIENT_STATES
        assert state.states[Role.SERVER] in _SERVER_STATES
        if isinstance(msg, sm.Bye):
            # The end of a scan ends it for both sides, and the connection unless kept alive.
            after = State.ORDERS if features.keep_alive else State.CLOSED
            assert state.states[Role.SERVER] is after
            if before[Role.CLIENT] is State.ATTACK:
                assert state.states[Role.CLIENT] is after
