"""A stand-in for nessusd: plays the server side of a captured conversation to a live client.

The transcript says, chunk by chunk, what the real server sent after how many of the real
client's messages. The replay server listens on an ephemeral port of 127.0.0.1, counts the
messages our client sends (with ixion's own client-stream decoder) and sends each recorded
server chunk once our client has sent as many messages as the real one had at that point.
So a client that behaves like the reference client gets exactly nessusd's bytes back.

The capture records when bytes crossed, not what the server waited for: nmap sent its user
name before the ``User : `` prompt, openvasmd sent CERTIFICATES with GO ON, yet the server
would have answered without them. So a wait gives up after ``patience`` seconds of silence
and the replay goes on, as the real server would have.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from types import TracebackType

from ixion.ntp import NEED_DATA, ClientStreamDecoder, ConnectionClosed, Message
from tests.transcripts import Transcript


@dataclass(frozen=True)
class _Wait:
    messages: int


@dataclass(frozen=True)
class _Send:
    data: bytes  # b"": the server closed


def _script(transcript: Transcript) -> list[_Wait | _Send]:
    decoder = ClientStreamDecoder()
    count = 0
    steps: list[_Wait | _Send] = []
    for chunk in transcript.chunks:
        if chunk.direction == "S":
            steps.append(_Send(chunk.data))
            continue
        decoder.receive_data(chunk.data)
        while not isinstance(msg := decoder.next_message(), ConnectionClosed):
            if msg is NEED_DATA:
                break
            count += 1
        steps.append(_Wait(count))
    return steps


@dataclass
class ReplayServer:
    transcript: Transcript
    #: Every message our client sent, in order.
    received: list[Message] = field(default_factory=list)
    port: int = 0
    #: Seconds of client silence after which a wait step is skipped.
    patience: float = 0.5
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> ReplayServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = ClientStreamDecoder()
        try:
            for step in _script(self.transcript):
                if isinstance(step, _Send):
                    if not step.data:
                        break
                    writer.write(step.data)
                    await writer.drain()
                    continue
                while len(self.received) < step.messages:
                    msg = decoder.next_message()
                    if msg is NEED_DATA:
                        try:
                            async with asyncio.timeout(self.patience):
                                data = await reader.read(65536)
                        except TimeoutError:
                            break
                        decoder.receive_data(data)
                        continue
                    if isinstance(msg, ConnectionClosed):
                        return
                    self.received.append(msg)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
