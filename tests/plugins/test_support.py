"""The helpers the plugins share: numbered replies, HTTP heads, printable banners."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from ixion.plugin_api.context import Stream
from ixion.plugins._support import number, printable, read_http_head, read_reply


def stream_of(data: bytes) -> Stream:
    """A Stream reading ``data`` then end of stream; these helpers never write.

    Call it inside a coroutine: a StreamReader belongs to the running loop.
    """
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return Stream(reader, cast("asyncio.StreamWriter", None), timeout=1.0)


@pytest.mark.parametrize(
    ("data", "code", "lines"),
    [
        (b"220 ready\r\n331 next", 220, 1),
        (b"220-Welcome\r\nanything\r\n220-more\r\n220 done\r\n250 later", 220, 4),
        (b"530\r\n", 530, 1),
        (b"2200 not a reply\r\n", None, 1),
        (b"+OK pop\r\n", None, 1),
        (b"220-never ends\r\n", 220, 1),
        (b"", None, 0),
    ],
)
def test_read_reply(data: bytes, code: int | None, lines: int) -> None:
    async def read() -> tuple[int | None, int]:
        reply = await read_reply(stream_of(data))
        return reply.code, len(reply.lines)

    assert asyncio.run(read()) == (code, lines)


def test_reply_texts_drop_the_codes() -> None:
    async def read() -> list[str]:
        return (await read_reply(stream_of(b"250-mx\r\n250-SIZE 10\r\n250 HELP\r\n"))).texts()

    assert asyncio.run(read()) == ["mx", "SIZE 10", "HELP"]


@pytest.mark.parametrize(
    ("data", "head"),
    [
        (b"HTTP/1.0 200 OK\r\nA: b\r\n\r\nbody", b"HTTP/1.0 200 OK\r\nA: b\r\n\r\n"),
        (b"HTTP/1.0 200 OK\nA: b\n\nbody", b"HTTP/1.0 200 OK\nA: b\n\n"),
        (b"HTTP/1.0 200 OK\r\ntruncated", b"HTTP/1.0 200 OK\r\ntruncated"),
    ],
)
def test_read_http_head(data: bytes, head: bytes) -> None:
    async def read() -> bytes:
        return await read_http_head(stream_of(data))

    assert asyncio.run(read()) == head


def test_printable_keeps_lines_and_masks_the_rest() -> None:
    assert printable(b"a\x1b[2J\r\nb\xc3\xa9\tc\r\n") == "a.[2J\nb..\tc"
    assert printable(b"x" * 10, limit=4) == "xxxx [...]"


def test_number() -> None:
    assert number("2.5", 1.0, 0.1, 10) == 2.5
    assert number("lots", 1.0, 0.1, 10) == 1.0
    assert number("0", 1.0, 0.1, 10) == 1.0
    assert number(None, 1.0, 0.1, 10) == 1.0
