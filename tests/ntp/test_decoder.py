"""The pull interface shared by both stream decoders: NEED_DATA, ConnectionClosed, dead
decoders and error offsets."""

from __future__ import annotations

import pytest

from ixion.ntp.decoder import NEED_DATA, Parser, StreamDecoder
from ixion.ntp.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ixion.ntp.messages import ConnectionClosed, Unrecognized
from ixion.ntp.reader import read_line


class LineDecoder(StreamDecoder):
    """Every line is a message; a few lines raise the errors real parsers raise."""

    def _parse(self) -> Parser:
        while True:
            if not (yield from self._begin()):
                yield ConnectionClosed()
                return
            line = (yield from read_line(self._buffer, 16, "test line")).decode()
            if line == "local":
                raise LocalProtocolError("a message refused its fields")
            if line == "remote":
                raise RemoteProtocolError("the peer broke the protocol")
            if line == "placed":
                raise RemoteProtocolError("the peer broke the protocol", offset=1000)
            yield Unrecognized(line=line)


def test_the_decoder_base_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match="abstract"):
        StreamDecoder()  # type: ignore[abstract]


def test_need_data_is_a_single_named_sentinel() -> None:
    assert NEED_DATA is NEED_DATA.__class__.NEED_DATA
    assert repr(NEED_DATA) == "<_Sentinel.NEED_DATA: 'NEED_DATA'>"


def test_a_decoder_without_bytes_needs_data() -> None:
    decoder = LineDecoder()
    assert decoder.next_message() is NEED_DATA
    assert decoder.next_message() is NEED_DATA
    assert decoder.offset == 0


def test_a_message_is_returned_once_its_bytes_are_complete() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"fir")
    assert decoder.next_message() is NEED_DATA
    decoder.receive_data(b"st\nsecond\nthi")
    assert decoder.next_message() == Unrecognized(line="first")
    assert decoder.offset == 6
    assert decoder.message_start == 0
    assert decoder.next_message() == Unrecognized(line="second")
    assert decoder.offset == 13
    assert decoder.message_start == 6
    assert decoder.next_message() is NEED_DATA
    assert decoder.message_start == 13


def test_a_clean_end_of_stream_is_a_connection_closed_message_every_time() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"last\n")
    decoder.receive_data(b"")
    assert decoder.next_message() == Unrecognized(line="last")
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.offset == 5


def test_data_after_the_end_of_stream_is_our_mistake() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"")
    decoder.receive_data(b"")
    with pytest.raises(LocalProtocolError) as caught:
        decoder.receive_data(b"late")
    assert caught.value.message == "receive_data() called with data after the end of stream"


def test_a_message_refusing_its_fields_is_blamed_on_the_peer_at_the_message_start() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"ok\nlocal\n")
    assert decoder.next_message() == Unrecognized(line="ok")
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_message()
    assert type(caught.value) is RemoteProtocolError
    assert str(caught.value) == "a message refused its fields (at byte 3)"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_remote_error_without_offset_gets_the_message_start() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"ok\nremote\n")
    decoder.next_message()
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_message()
    assert caught.value.offset == 3


def test_a_remote_error_keeps_an_offset_it_already_has() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"ok\nplaced\n")
    decoder.next_message()
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_message()
    assert caught.value.offset == 1000


def test_a_limit_raised_by_a_read_keeps_the_offset_of_the_long_line() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"ok\n" + b"x" * 17)
    decoder.next_message()
    with pytest.raises(LimitExceeded) as caught:
        decoder.next_message()
    assert str(caught.value) == "test line longer than 16 bytes (at byte 3)"


def test_a_stream_cut_in_the_middle_of_a_message_is_an_error() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"ok\nunfinish")
    decoder.receive_data(b"")
    decoder.next_message()
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_message()
    assert str(caught.value) == "connection closed in the middle of test line (at byte 3)"


def test_after_an_error_the_decoder_is_dead_and_repeats_the_same_error() -> None:
    decoder = LineDecoder()
    decoder.receive_data(b"local\n")
    with pytest.raises(RemoteProtocolError) as first:
        decoder.next_message()
    decoder.receive_data(b"fine\n")
    with pytest.raises(RemoteProtocolError) as second:
        decoder.next_message()
    assert second.value is first.value
