"""Small drivers shared by the decoder tests."""

from __future__ import annotations

import pytest

from ixion.ntp.decoder import NEED_DATA, StreamDecoder
from ixion.ntp.errors import RemoteProtocolError
from ixion.ntp.messages import ConnectionClosed, Message

#: More next_message() calls than any test stream has messages: a loop past it is a hang.
MAX_CALLS = 1000


def read_whole(decoder: StreamDecoder, data: bytes) -> list[Message]:
    """Every message of a complete stream (``data`` then EOF), without the ConnectionClosed."""
    decoder.receive_data(data)
    decoder.receive_data(b"")
    messages: list[Message] = []
    for _ in range(MAX_CALLS):
        msg = decoder.next_message()
        assert msg is not NEED_DATA
        if isinstance(msg, ConnectionClosed):
            return messages
        messages.append(msg)
    raise AssertionError("the decoder never reached the end of the stream")


def read_until_error(
    decoder: StreamDecoder, data: bytes, *, eof: bool = True
) -> RemoteProtocolError:
    """The error that reading ``data`` (then EOF, if ``eof``) ends with."""
    decoder.receive_data(data)
    if eof:
        decoder.receive_data(b"")

    def read_to_the_end() -> None:
        for _ in range(MAX_CALLS):
            msg = decoder.next_message()
            assert msg is not NEED_DATA
            assert not isinstance(msg, ConnectionClosed)

    with pytest.raises(RemoteProtocolError) as caught:
        read_to_the_end()
    return caught.value
