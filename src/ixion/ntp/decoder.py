"""The pull interface shared by both stream decoders: bytes in, messages out.

``receive_data(bytes)`` only buffers (``b""`` means the peer closed); ``next_message()`` parses
one message with the features in force *now*, or answers :data:`NEED_DATA`. Parsing lazily is
what lets a session change the features between two messages (the client's PREFERENCES
decide how the server's later reports are escaped).

After an error the decoder is dead: every later call raises the same error, because the
stream position is lost and anything read after it would be guesswork.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Generator
from typing import Final, Literal, TypeAlias

from ixion.ntp.errors import LocalProtocolError, RemoteProtocolError
from ixion.ntp.messages import ConnectionClosed, Message
from ixion.ntp.reader import ReceiveBuffer, wait_for_data

__all__ = ["NEED_DATA", "NeedData", "StreamDecoder"]


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"


#: ``next_message()`` needs more bytes before it can return a message.
NEED_DATA: Final = _Sentinel.NEED_DATA
NeedData: TypeAlias = Literal[_Sentinel.NEED_DATA]

#: A parser yields None while it waits for bytes, and each message once it is complete.
Parser: TypeAlias = Generator[Message | None, None, None]


class StreamDecoder(abc.ABC):
    """Base of ``ClientStreamDecoder`` and ``ServerStreamDecoder``."""

    def __init__(self) -> None:
        self._buffer = ReceiveBuffer()
        self._parser = self._parse()
        self._error: RemoteProtocolError | None = None
        #: Stream offset where the message being parsed begins (for error reports).
        self._message_start = 0

    @property
    def offset(self) -> int:
        """Bytes of the stream consumed by the messages returned so far."""
        return self._buffer.consumed

    @property
    def message_start(self) -> int:
        """Stream offset where the last message returned (or the one being read) begins."""
        return self._message_start

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the peer; ``b""`` means the peer closed its side."""
        if self._buffer.eof and data:
            raise LocalProtocolError("receive_data() called with data after the end of stream")
        self._buffer.feed(data)

    def next_message(self) -> Message | NeedData:
        """The next complete message, or NEED_DATA.

        Raises:
            RemoteProtocolError: the stream is malformed (its ``offset`` says where).
        """
        if self._error is not None:
            raise self._error
        try:
            item = next(self._parser)
        except StopIteration:
            return ConnectionClosed()
        except LocalProtocolError as exc:
            self._error = exc.to_remote(self._message_start)
            raise self._error from None
        except RemoteProtocolError as exc:
            if exc.offset is None:
                exc.offset = self._message_start
            self._error = exc
            raise
        return NEED_DATA if item is None else item

    def _begin(self) -> Generator[None, None, bool]:
        """Mark the start of a message; False when the peer closed cleanly before it."""
        has_data = yield from wait_for_data(self._buffer)
        self._message_start = self._buffer.consumed
        return has_data

    @abc.abstractmethod
    def _parse(self) -> Parser:
        """The generator that reads the whole stream, message after message."""
