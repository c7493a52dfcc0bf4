"""A PLUGIN_LIST read a run of lines at a time: what a sink is given, and what it is refused.

The streamed reading must give what reading the block whole gave (the message's records,
each line's :func:`parse_plugin_line`), whatever the split of the bytes; the column-wise
checks of :meth:`PluginLineReader.read_batch` must refuse exactly what the line-by-line
reading refuses, with the same complaint.
"""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.ntp import server_decoder
from ixion.ntp import server_messages as sm
from ixion.ntp.decoder import NEED_DATA
from ixion.ntp.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ixion.ntp.features import KNOWN_EXTENSIONS, Features
from ixion.ntp.limits import MAX_SERVER_LINE
from ixion.ntp.messages import ConnectionClosed, Message
from ixion.ntp.plugin_line import (
    PluginBatch,
    PluginLine,
    PluginLineReader,
    parse_plugin_line,
    plugin_line,
)
from ixion.ntp.records import Dependency, PluginRecord
from ixion.ntp.server_decoder import ServerPhase, ServerStreamDecoder
from ixion.ntp.text import SEP
from tests.ntp import strategies as s
from tests.ntp.server_samples import (
    BANNER_CHECK,
    BANNER_CHECK_LINE,
    NTP_1_2,
    REFERENCE,
    TCP_SCANNER,
    TCP_SCANNER_LINE,
    encode,
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in pairwise(points)]


def _read(decoder: ServerStreamDecoder, pieces: list[bytes]) -> list[Message]:
    messages: list[Message] = []
    for piece in [*pieces, b""]:
        decoder.receive_data(piece)
        while (msg := decoder.next_message()) is not NEED_DATA:
            if isinstance(msg, ConnectionClosed):
                return messages
            messages.append(msg)
    raise AssertionError("the stream did not end")


@st.composite
def plugin_lists(draw: st.DrawFn) -> tuple[Features, tuple[PluginRecord, ...]]:
    features = draw(s.features())
    plugins = draw(st.lists(s.plugin_records(features), max_size=12))
    return features, tuple(plugins)


@settings(max_examples=150, deadline=None)
@given(plugin_lists(), st.lists(st.integers(0, 10**6), max_size=12))
def test_a_plugin_list_streamed_to_a_sink_reads_as_the_whole_block_did(
    case: tuple[Features, tuple[PluginRecord, ...]], cuts: list[int]
) -> None:
    features, plugins = case
    data = encode(sm.PluginList(plugins=plugins), features) + encode(sm.Bye(), features)
    pieces = _split(data, cuts)
    kept = _read(ServerStreamDecoder(features, start=ServerPhase.MESSAGES), pieces)
    batches: list[PluginBatch] = []
    sunk = _read(
        ServerStreamDecoder(features, start=ServerPhase.MESSAGES, plugin_sink=batches.append),
        pieces,
    )
    assert kept == [sm.PluginList(plugins=plugins), sm.Bye()]
    assert sunk == [sm.PluginList(), sm.Bye()]
    streamed = [line.record() for batch in batches for line in batch.lines()]
    assert streamed == list(plugins)
    # Each line as the per-line parser, which every PLUGIN_INFO answer still goes through.
    assert streamed == [parse_plugin_line(plugin_line(p, features), features) for p in plugins]


def test_a_sink_gets_columns_in_the_order_of_a_plugin_line() -> None:
    features = Features(extensions=KNOWN_EXTENSIONS)
    data = f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n{TCP_SCANNER_LINE}\n<|> SERVER\n"
    batches: list[PluginBatch] = []
    decoder = ServerStreamDecoder(features, start=ServerPhase.MESSAGES, plugin_sink=batches.append)
    assert _read(decoder, [data.encode()]) == [sm.PluginList()]
    (batch,) = batches
    assert len(batch) == 2
    assert batch.id == ("90002", "90001")
    assert batch.cve_list == ("CVE-1999-0001", "")
    assert (
        batch.wire_description[0] == "Reads the Server: banner of a web server.;;Risk factor : Low"
    )
    assert [line.record() for line in batch.lines()] == [BANNER_CHECK, TCP_SCANNER]
    assert PluginBatch.of(batch.lines()) == batch


# --- the checks of a run of lines, against those of one line ----------------------------------

#: Field values that break a plugin line's rules, or only look as if they might.
_SUSPECT = st.sampled_from(
    [
        "",
        " ",
        "a b",
        "<|>",
        "<|> x",
        "x <|>",
        "a<|>b",
        ", ",
        "a, ",
        ", a",
        "a, , b",
        "a,, b",
        "a, b",
        "x\r",
        "\t",
        "é",
        "infos",
        "ACT_ATTACK",
        "NOCVE",
    ]
)


@st.composite
def spoilt_lines(draw: st.DrawFn) -> tuple[Features, list[str]]:
    """Plugin lines of which some have a field replaced by a suspect value."""
    features = draw(s.features())
    plugins = draw(st.lists(s.plugin_records(features), min_size=1, max_size=8))
    texts = [plugin_line(plugin, features) for plugin in plugins]
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(0, len(texts) - 1))
        fields = texts[row].split(SEP)
        fields[draw(st.integers(0, len(fields) - 1))] = draw(_SUSPECT)
        texts[row] = SEP.join(fields)
    return features, texts


def _outcome(read: object) -> object:
    try:
        return read() if callable(read) else read
    except LocalProtocolError as exc:
        return ("refused", exc.message)


@settings(max_examples=300, deadline=None)
@given(spoilt_lines())
def test_a_run_of_lines_is_refused_as_its_first_bad_line_would_be(
    case: tuple[Features, list[str]],
) -> None:
    features, texts = case
    reader = PluginLineReader(features)
    one_by_one = _outcome(lambda: PluginBatch.of([reader.read(text) for text in texts]))
    assert _outcome(lambda: reader.read_batch(texts)) == one_by_one


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        (0, "90 002", "plugin id must be one non-empty word"),
        (1, "<|> x", "plugin name contains the field separator"),
        (2, "ACT_GATHER_INFO", "unknown plugin category 'ACT_GATHER_INFO'"),
        (8, "CVE-1, , CVE-2", "bad CVE entry ''"),
        (10, ", URL:x", "bad xref entry ''"),
    ],
)
def test_a_bad_field_in_a_long_run_is_named(field: int, value: str, complaint: str) -> None:
    reader = PluginLineReader(REFERENCE)
    fields = BANNER_CHECK_LINE.split(SEP)
    fields[field] = value
    texts = [BANNER_CHECK_LINE] * 50 + [SEP.join(fields)] + [TCP_SCANNER_LINE] * 50
    with pytest.raises(LocalProtocolError, match=complaint):
        reader.read_batch(texts)


def test_a_line_end_inside_a_line_is_refused() -> None:
    reader = PluginLineReader(REFERENCE)
    text = BANNER_CHECK_LINE.replace("Risk factor", "Risk\nfactor")
    with pytest.raises(LocalProtocolError, match="plugin description holds a line end"):
        reader.read(text)
    with pytest.raises(LocalProtocolError, match="plugin description holds a line end"):
        reader.read_batch([TCP_SCANNER_LINE, text])
    with pytest.raises(LocalProtocolError, match="plugin name contains a newline"):
        reader.read(BANNER_CHECK_LINE.replace("HTTP banner check", "HTTP\nbanner check"))


def test_a_plugin_line_reads_back_as_its_fields() -> None:
    line = PluginLineReader(REFERENCE).read(BANNER_CHECK_LINE)
    assert line == PluginLine(
        "90002",
        "Peers HTTP banner check",
        BANNER_CHECK.category,
        "Public domain test plugin",
        "Reads the Server: banner of a web server.;;Risk factor : Low",
        "HTTP banner grabber",
        "General",
        "$Revision: 1.0 $",
        "CVE-1999-0001",
        "1",
        "",
        "",
        "",
    )
    assert line.description == BANNER_CHECK.description
    assert (line.cve, line.bid, line.xref) == (("CVE-1999-0001",), ("1",), ())


# --- framing of the run ------------------------------------------------------------------------


def test_an_overlong_line_among_short_ones_is_refused_where_it_starts() -> None:
    head = b"SERVER <|> PLUGIN_LIST <|>\n"
    short = TCP_SCANNER_LINE.encode() + b"\n"
    data = head + short + b"x" * (MAX_SERVER_LINE + 1) + b"\n" + short
    decoder = ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES, plugin_sink=print)
    decoder.receive_data(data)
    with pytest.raises(LimitExceeded) as caught:
        decoder.next_message()
    assert caught.value.message == f"server block line longer than {MAX_SERVER_LINE} bytes"
    assert caught.value.offset == len(head) + len(short)


def test_an_exception_from_the_sink_ends_the_decoder() -> None:
    def full(batch: PluginBatch) -> None:
        raise OSError("no space left on device")

    decoder = ServerStreamDecoder(REFERENCE, start=ServerPhase.MESSAGES, plugin_sink=full)
    decoder.receive_data(f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n<|> SERVER\n".encode())
    with pytest.raises(OSError, match="no space left"):
        decoder.next_message()
    assert decoder.next_message() == ConnectionClosed()


def _dependencies(lines: int) -> bytes:
    body = b"".join(b"Plugin %d <|> Services <|> \n" % i for i in range(lines))
    return b"SERVER <|> PLUGINS_DEPENDENCIES\n" + body + b"<|> SERVER\n"


def test_dependencies_not_kept_are_read_through_and_come_back_empty() -> None:
    data = _dependencies(3) + encode(sm.Bye())
    kept = _read(ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES), [data])
    dropped = _read(
        ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES, keep_dependencies=False),
        [data],
    )
    assert kept[0] == sm.PluginsDependencies(
        entries=tuple(Dependency(name=f"Plugin {i}", dependencies=("Services",)) for i in range(3))
    )
    assert dropped == [sm.PluginsDependencies(), sm.Bye()]


def test_dependencies_not_kept_are_still_held_to_the_block_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_decoder, "MAX_SERVER_BLOCK_LINES", 2)
    decoder = ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES, keep_dependencies=False)
    decoder.receive_data(_dependencies(3))
    with pytest.raises(LimitExceeded, match="block longer than 2 lines"):
        decoder.next_message()


def test_dependency_names_are_kept_once_and_still_checked() -> None:
    data = _dependencies(2)
    (msg,) = _read(ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES), [data])
    assert isinstance(msg, sm.PluginsDependencies)
    first, second = (entry.dependencies[0] for entry in msg.entries)
    assert first is second
    bad = b"SERVER <|> PLUGINS_DEPENDENCIES\nA <|> <|> x <|> \n<|> SERVER\n"
    decoder = ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES)
    decoder.receive_data(bad)
    with pytest.raises(RemoteProtocolError, match="dependency name contains the field separator"):
        decoder.next_message()


def test_a_record_built_by_hand_is_checked_as_before() -> None:
    with pytest.raises(LocalProtocolError, match="plugin summary contains a newline"):
        dataclasses.replace(BANNER_CHECK, summary="two\nlines")
