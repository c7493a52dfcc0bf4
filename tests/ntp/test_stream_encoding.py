"""Long server blocks sent as a run of chunks: the same bytes as a whole send, the same state.

* For every server message, any features and any chunk size, the chunks of
  ``encode_server_chunks`` joined are the bytes of ``encode_server_message`` (or both refuse).
* Blocks are cut between lines, and every chunk but the last holds at least the chunk size.
* The chunks are encoded as they are asked for: a 20 MB PLUGIN_LIST is never held whole.
* ``Session.send_chunks`` moves the session exactly as ``send`` does; replaying every captured
  transcript with it gives nessusd's bytes.
"""

from __future__ import annotations

import tracemalloc
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.ntp import (
    NEED_DATA,
    Category,
    ConnectionClosed,
    Features,
    LocalProtocolError,
    Md5Entry,
    Message,
    PluginRecord,
    Preferences,
    Role,
    Session,
    State,
    Version,
    encode_server_message,
)
from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.server_codec import CHUNK_SIZE, encode_server_chunks
from tests.ntp import strategies as s
from tests.transcripts import Transcript, all_transcripts

SERVER_CLASSES: Final = sorted(s.SERVER_MESSAGES, key=lambda cls: cls.__name__)
BLOCKS: Final = (
    sm.PluginList,
    sm.PluginsMd5List,
    sm.PluginsDependencies,
    Preferences,
    sm.PreferencesErrors,
    sm.SessionsList,
    sm.DetachedSessionsList,
    sm.Certificates,
)


def _whole_or_error(msg: Message, features: Features) -> bytes | type[Exception]:
    try:
        return encode_server_message(msg, features)
    except LocalProtocolError:
        return LocalProtocolError


def _chunks_or_error(msg: Message, features: Features, size: int) -> list[bytes] | type[Exception]:
    try:
        return list(encode_server_chunks(msg, features, chunk_size=size))
    except LocalProtocolError:
        return LocalProtocolError


@pytest.mark.parametrize("cls", SERVER_CLASSES, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_chunks_join_to_the_whole_message(cls: type[Message], data: st.DataObject) -> None:
    features = data.draw(s.features(), label="features")
    msg = data.draw(s.SERVER_MESSAGES[cls](features), label="message")
    size = data.draw(st.one_of(st.integers(1, 300), st.just(CHUNK_SIZE)), label="chunk size")
    whole = _whole_or_error(msg, features)
    chunks = _chunks_or_error(msg, features, size)
    if whole is LocalProtocolError or chunks is LocalProtocolError:
        assert whole is chunks
        return
    assert isinstance(chunks, list)
    assert b"".join(chunks) == whole
    assert all(chunks)  # never an empty write


@st.composite
def _long_blocks(draw: st.DrawFn) -> tuple[Message, Features]:
    """Blocks of many lines under any features (the message strategies stop at a few)."""
    features = draw(s.features().filter(lambda f: f.version is not Version.NTP_1_0))
    records = st.lists(s.plugin_records(features), min_size=5, max_size=25)
    md5s = st.lists(st.builds(Md5Entry, key=s.words(), md5=s.words()), min_size=5, max_size=60)
    value = s.fields().filter(lambda v: not v.endswith("\r"))  # a CR before LF is lost
    items = st.lists(st.tuples(s.fields(), value), min_size=5, max_size=60)
    msg = draw(
        st.one_of(
            records.map(lambda p: sm.PluginList(plugins=tuple(p))),
            md5s.map(lambda e: sm.PluginsMd5List(entries=tuple(e))),
            items.map(lambda i: Preferences(items=tuple(i))),
        )
    )
    return msg, features


@settings(max_examples=60, deadline=None)
@given(block=_long_blocks(), size=st.integers(1, 2000))
def test_a_block_is_cut_between_lines_into_chunks_of_at_least_the_chunk_size(
    block: tuple[Message, Features], size: int
) -> None:
    msg, features = block
    chunks = list(encode_server_chunks(msg, features, chunk_size=size))
    assert b"".join(chunks) == encode_server_message(msg, features)
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert all(len(chunk) >= size for chunk in chunks[:-1])
    assert chunks[-1].endswith(b"<|> SERVER\n")  # alone, if the lines filled the others


@pytest.mark.parametrize("size", [0, -1])
def test_a_chunk_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match=f"chunk_size must be positive, not {size}"):
        encode_server_chunks(sm.Bye(), Features(), chunk_size=size)


def test_a_message_left_out_by_the_features_gives_no_chunk() -> None:
    msg = sm.PluginsDependencies(entries=())
    assert encode_server_message(msg, Features()) == b""
    assert list(encode_server_chunks(msg, Features())) == []


def test_a_message_refused_under_the_features_is_refused_before_any_chunk() -> None:
    ntp10 = Features(version=Version.NTP_1_0)
    with pytest.raises(LocalProtocolError):
        encode_server_chunks(Preferences(items=(("a", "b"),)), ntp10)
    with pytest.raises(LocalProtocolError):
        encode_server_chunks(cm.GoOn(), Features())


def _made_up_plugins(count: int) -> tuple[PluginRecord, ...]:
    return tuple(
        PluginRecord(
            id=str(900_000 + i),
            name=f"Made-up check {i}",
            category=Category.ATTACK,
            copyright="nobody",
            description=f"Plugin {i} looks for nothing.\n" + "Lorem ipsum dolor sit. " * 40,
            summary=f"summary {i}",
            family="Made up",
            version=f"1.{i}",
            cve=(f"CVE-2000-{i:05d}",),
        )
        for i in range(count)
    )


def test_chunks_are_encoded_as_they_are_read_not_all_at_once() -> None:
    msg = sm.PluginList(plugins=_made_up_plugins(20_000))
    features = Features(extensions=frozenset({"plugins_version", "plugins_cve_id"}))
    tracemalloc.start()
    try:
        total = 0
        for chunk in encode_server_chunks(msg, features):
            total += len(chunk)
            assert len(chunk) < CHUNK_SIZE + 2_000  # a line is about 1 kB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 20_000_000
    # A chunk, its pieces and its bytes: a few times CHUNK_SIZE, far from the 20 MB whole.
    assert peak < 8 * CHUNK_SIZE


# --- the session -----------------------------------------------------------------------------


def _in_the_md5_loop() -> Session:
    """A server session whose client logged in with md5_caching and asked for the list."""
    server = Session(Role.SERVER)
    server.receive_data(b"< NTP/1.2 >< md5_caching plugins_version >\n")
    assert isinstance(server.next_message(), cm.Banner)
    server.send(sm.VersionReply(version=Version.NTP_1_2))
    server.send(sm.UserPrompt())
    server.receive_data(b"admin\nsecret\nCLIENT <|> COMPLETE_LIST <|> CLIENT\n")
    assert isinstance(server.next_message(), cm.User)
    server.send(sm.PasswordPrompt())
    assert isinstance(server.next_message(), cm.Password)
    server.send(sm.PluginsMd5(md5="0" * 32))
    assert isinstance(server.next_message(), cm.CompleteList)
    return server


def test_send_chunks_moves_the_session_as_send_does() -> None:
    whole, chunked = _in_the_md5_loop(), _in_the_md5_loop()
    plugins = sm.PluginList(plugins=_made_up_plugins(50))
    expected = whole.send(plugins)
    chunks = chunked.send_chunks(plugins, chunk_size=1000)
    # The state has moved before the first chunk is read, as the send has.
    assert chunked.our_state is whole.our_state is State.MD5_LOOP
    assert chunked.features == whole.features
    assert b"".join(chunks) == expected


def test_send_chunks_refuses_a_message_out_of_turn_without_moving() -> None:
    server = Session(Role.SERVER)
    before = (server.our_state, server.their_state)
    with pytest.raises(LocalProtocolError):
        server.send_chunks(sm.PluginList(plugins=_made_up_plugins(3)))
    assert (server.our_state, server.their_state) == before
    with pytest.raises(LocalProtocolError):
        Session(Role.CLIENT).send_chunks(cm.GoOn())


@pytest.mark.parametrize("transcript", all_transcripts(), ids=lambda t: t.name)
def test_replay_in_chunks_reencodes_the_server_side_byte_for_byte(transcript: Transcript) -> None:
    server = Session(Role.SERVER)
    client = Session(Role.CLIENT)
    sent = bytearray()
    for chunk in transcript.chunks:
        if chunk.direction == "C":
            server.receive_data(chunk.data)
            while (msg := server.next_message()) is not NEED_DATA:
                if isinstance(msg, ConnectionClosed):
                    break
                client.send(msg)
        else:
            client.receive_data(chunk.data)
            while (msg := client.next_message()) is not NEED_DATA:
                if isinstance(msg, ConnectionClosed):
                    break
                for piece in server.send_chunks(msg, chunk_size=7):
                    sent += piece
    assert bytes(sent) == transcript.stream("S")
