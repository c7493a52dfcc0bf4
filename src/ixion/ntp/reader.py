"""Incremental reading: bytes arrive in any split, parsers read lines and counted payloads.

Parsers are generators written top to bottom like blocking code (the websockets design)::

    line = yield from read_line(buffer, MAX_COMMAND_LINE, "command")
    payload = yield from read_exact(buffer, size)

Each read yields ``None`` while the buffer lacks the bytes it needs; the caller feeds more with
:meth:`ReceiveBuffer.feed` and resumes the generator. Lines, multi-line blocks and byte payloads
all go through these two reads, so there is no "raw mode" to switch in and out of.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeAlias, TypeVar

from ixion.ntp.errors import LimitExceeded, RemoteProtocolError

__all__ = ["Read", "ReceiveBuffer", "read_exact", "read_line", "wait_for_data"]

_T = TypeVar("_T")

#: What a read yields while it waits: nothing; its result comes back as the return value.
Read: TypeAlias = Generator[None, None, _T]


class ReceiveBuffer:
    """Bytes received and not yet parsed, plus how many were consumed before them.

    A ``bytearray`` that is consumed from the front (CPython makes that cheap) and remembers
    how far it already looked for a newline, so that a line arriving one byte at a time is
    scanned once in total rather than once per byte: quadratic scans are a DoS vector.
    """

    def __init__(self) -> None:
        self._data = bytearray()
        self._searched = 0
        #: Bytes taken out of the buffer so far: the stream offset of its first byte.
        self.consumed = 0
        #: The peer closed its side.
        self.eof = False

    def __len__(self) -> int:
        return len(self._data)

    def feed(self, data: bytes) -> None:
        if self.eof and data:
            raise RemoteProtocolError("data received after the end of the stream")
        if not data:
            self.eof = True
        self._data += data

    def take_line(self, limit: int, what: str) -> bytes | None:
        """The next line without its ``\\n``, or None if it is not complete yet."""
        index = self._data.find(b"\n", self._searched)
        if index < 0:
            if len(self._data) > limit:
                raise LimitExceeded(f"{what} longer than {limit} bytes", offset=self.consumed)
            self._searched = len(self._data)
            return None
        if index > limit:
            raise LimitExceeded(f"{what} longer than {limit} bytes", offset=self.consumed)
        return self._take(index, skip=1)

    def peek(self, size: int) -> bytes:
        """Up to ``size`` bytes from the front, left in the buffer."""
        return bytes(self._data[:size])

    def take_exact(self, size: int) -> bytes | None:
        """The next ``size`` bytes, or None if they have not all arrived."""
        if len(self._data) < size:
            return None
        return self._take(size, skip=0)

    def _take(self, size: int, *, skip: int) -> bytes:
        chunk = bytes(self._data[:size])
        del self._data[: size + skip]
        self.consumed += size + skip
        self._searched = 0
        return chunk


def _truncated(buffer: ReceiveBuffer, what: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"connection closed in the middle of {what}", offset=buffer.consumed)


def read_line(buffer: ReceiveBuffer, limit: int, what: str) -> Read[bytes]:
    """Read one ``\\n``-terminated line of at most ``limit`` bytes (without the newline)."""
    while True:
        line = buffer.take_line(limit, what)
        if line is not None:
            return line
        if buffer.eof:
            raise _truncated(buffer, what)
        yield


def read_exact(buffer: ReceiveBuffer, size: int, what: str) -> Read[bytes]:
    """Read exactly ``size`` bytes."""
    while True:
        chunk = buffer.take_exact(size)
        if chunk is not None:
            return chunk
        if buffer.eof:
            raise _truncated(buffer, what)
        yield


def wait_for_data(buffer: ReceiveBuffer) -> Read[bool]:
    """Wait until a byte or the end of the stream is there; True if there is a byte."""
    while not buffer:
        if buffer.eof:
            return False
        yield
    return True
