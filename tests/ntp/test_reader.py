"""Incremental reads: lines and counted payloads arriving in any split (spec §1.3, §2.3)."""

from __future__ import annotations

from typing import TypeVar

import pytest

from ixion.ntp.errors import LimitExceeded, RemoteProtocolError
from ixion.ntp.reader import Read, ReceiveBuffer, read_exact, read_line, wait_for_data

_T = TypeVar("_T")


class Waiting:
    """What a read answers while its bytes have not arrived."""


WAITING = Waiting()


def step(read: Read[_T]) -> _T | Waiting:
    """Resume ``read`` once: its result, or WAITING if it yielded."""
    try:
        next(read)
    except StopIteration as stop:
        result: _T = stop.value
        return result
    return WAITING


def _buffer(*chunks: bytes) -> ReceiveBuffer:
    buffer = ReceiveBuffer()
    for chunk in chunks:
        buffer.feed(chunk)
    return buffer


# --- ReceiveBuffer ---------------------------------------------------------------------------


def test_a_new_buffer_is_empty_and_open() -> None:
    buffer = ReceiveBuffer()
    assert len(buffer) == 0
    assert buffer.consumed == 0
    assert not buffer.eof


def test_fed_bytes_are_counted_until_taken() -> None:
    buffer = _buffer(b"< NTP/1.2 >\n", b"User : ")
    assert len(buffer) == 19
    assert buffer.take_line(1023, "banner") == b"< NTP/1.2 >"
    assert len(buffer) == 7
    assert buffer.consumed == 12


def test_an_empty_feed_marks_the_end_of_the_stream() -> None:
    buffer = _buffer(b"abc", b"")
    assert buffer.eof
    assert len(buffer) == 3


def test_data_after_the_end_of_the_stream_is_a_protocol_error() -> None:
    buffer = _buffer(b"")
    with pytest.raises(RemoteProtocolError) as caught:
        buffer.feed(b"x")
    assert caught.value.message == "data received after the end of the stream"


def test_a_second_end_of_stream_is_harmless() -> None:
    buffer = _buffer(b"", b"")
    assert buffer.eof


def test_an_incomplete_line_is_not_taken() -> None:
    buffer = _buffer(b"SERVER <|> BYE")
    assert buffer.take_line(100, "server line") is None
    assert len(buffer) == 14
    assert buffer.consumed == 0


def test_a_line_arriving_byte_by_byte_is_taken_once_complete() -> None:
    buffer = ReceiveBuffer()
    for byte in b"tester":
        buffer.feed(bytes([byte]))
        assert buffer.take_line(254, "user name") is None
    buffer.feed(b"\ntestpass\n")
    assert buffer.take_line(254, "user name") == b"tester"
    assert buffer.take_line(254, "password") == b"testpass"
    assert buffer.consumed == 16


def test_an_empty_line_is_a_line() -> None:
    buffer = _buffer(b"\n\n")
    assert buffer.take_line(10, "line") == b""
    assert buffer.take_line(10, "line") == b""
    assert buffer.take_line(10, "line") is None
    assert buffer.consumed == 2


def test_a_line_at_the_limit_is_accepted() -> None:
    buffer = _buffer(b"x" * 254 + b"\n")
    assert buffer.take_line(254, "user name") == b"x" * 254


def test_a_complete_line_over_the_limit_is_refused_at_its_offset() -> None:
    buffer = _buffer(b"ok\n", b"x" * 255 + b"\n")
    assert buffer.take_line(254, "user name") == b"ok"
    with pytest.raises(LimitExceeded) as caught:
        buffer.take_line(254, "user name")
    assert caught.value.message == "user name longer than 254 bytes"
    assert caught.value.offset == 3


def test_a_line_over_the_limit_is_refused_before_its_newline_arrives() -> None:
    buffer = _buffer(b"x" * 254)
    assert buffer.take_line(254, "password") is None
    buffer.feed(b"y")
    with pytest.raises(LimitExceeded) as caught:
        buffer.take_line(254, "password")
    assert str(caught.value) == "password longer than 254 bytes (at byte 0)"


def test_a_line_at_the_limit_may_still_be_waiting_for_its_newline() -> None:
    buffer = _buffer(b"x" * 254)
    assert buffer.take_line(254, "password") is None
    buffer.feed(b"\n")
    assert buffer.take_line(254, "password") == b"x" * 254


def test_exact_bytes_are_taken_without_looking_for_newlines() -> None:
    buffer = _buffer(b"127.0.0.1\n")
    assert buffer.take_exact(11) is None
    buffer.feed(b"CLIENT")
    assert buffer.take_exact(9) == b"127.0.0.1"
    assert buffer.consumed == 9
    assert buffer.take_exact(0) == b""
    assert len(buffer) == 7


def test_a_line_after_a_payload_is_found_from_the_start() -> None:
    buffer = _buffer(b"9\n127.0.0.1CLIENT <|> ")
    assert buffer.take_line(100, "size") == b"9"
    assert buffer.take_line(100, "command") is None
    assert buffer.take_exact(9) == b"127.0.0.1"
    buffer.feed(b"STOP_WHOLE_TEST <|> CLIENT\n")
    assert buffer.take_line(100, "command") == b"CLIENT <|> STOP_WHOLE_TEST <|> CLIENT"


# --- read_line -------------------------------------------------------------------------------


def test_read_line_waits_for_the_newline_then_returns_the_line() -> None:
    buffer = _buffer(b"CLIENT <|> NESSUS_")
    read = read_line(buffer, 2047, "command line")
    assert step(read) is WAITING
    buffer.feed(b"VERSION <|> CLIENT\nrest")
    assert step(read) == b"CLIENT <|> NESSUS_VERSION <|> CLIENT"
    assert len(buffer) == 4


def test_read_line_returns_at_once_when_the_line_is_there() -> None:
    assert step(read_line(_buffer(b"tester\n"), 254, "user name")) == b"tester"


def test_read_line_refuses_a_stream_that_ends_in_the_middle_of_a_line() -> None:
    buffer = _buffer(b"ok\nCLIENT <|> NESSUS", b"")
    assert step(read_line(buffer, 2047, "command line")) == b"ok"
    with pytest.raises(RemoteProtocolError) as caught:
        step(read_line(buffer, 2047, "command line"))
    assert caught.value.message == "connection closed in the middle of command line"
    assert caught.value.offset == 3


def test_read_line_still_returns_a_complete_line_after_the_end_of_the_stream() -> None:
    assert step(read_line(_buffer(b"testpass\n", b""), 254, "password")) == b"testpass"


def test_read_line_passes_the_limit_on() -> None:
    with pytest.raises(LimitExceeded, match="RULES line longer than 4 bytes"):
        step(read_line(_buffer(b"reject 1.2.3.4\n"), 4, "RULES line"))


# --- read_exact ------------------------------------------------------------------------------


def test_read_exact_waits_for_every_byte() -> None:
    buffer = _buffer(b"127.0.")
    read = read_exact(buffer, 9, "LONG_ATTACK targets")
    assert step(read) is WAITING
    buffer.feed(b"0.1")
    assert step(read) == b"127.0.0.1"


def test_read_exact_refuses_a_stream_that_ends_before_the_payload_does() -> None:
    buffer = _buffer(b"12\n127.0.0.1", b"")
    assert buffer.take_line(100, "size") == b"12"
    with pytest.raises(RemoteProtocolError) as caught:
        step(read_exact(buffer, 12, "LONG_ATTACK targets"))
    assert str(caught.value) == (
        "connection closed in the middle of LONG_ATTACK targets (at byte 3)"
    )


# --- wait_for_data ---------------------------------------------------------------------------


def test_wait_for_data_answers_true_once_a_byte_is_there() -> None:
    buffer = ReceiveBuffer()
    wait = wait_for_data(buffer)
    assert step(wait) is WAITING
    assert step(wait) is WAITING
    buffer.feed(b"C")
    assert step(wait) is True


def test_wait_for_data_answers_false_at_a_clean_end_of_stream() -> None:
    buffer = ReceiveBuffer()
    wait = wait_for_data(buffer)
    assert step(wait) is WAITING
    buffer.feed(b"")
    assert step(wait) is False


def test_wait_for_data_prefers_buffered_bytes_to_the_end_of_stream() -> None:
    assert step(wait_for_data(_buffer(b"x", b""))) is True
