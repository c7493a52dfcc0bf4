"""``ixion ntp-decode``: a dissector for one direction of a captured NTP conversation.

It reads the raw bytes one peer sent, decodes them with the same decoders ixiond and the
client use, and prints one JSON object per message. A malformed stream still shows every
message decoded before the fault, then the fault and its byte offset.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import TYPE_CHECKING, BinaryIO, TextIO

from ixion.ntp import (
    NEED_DATA,
    ClientStreamDecoder,
    ConnectionClosed,
    Features,
    Message,
    Report,
    ServerStreamDecoder,
)
from ixion.ntp.text import decode_bytes

if TYPE_CHECKING:
    from ixion.ntp.decoder import StreamDecoder

__all__ = ["decode_stream", "message_to_json"]

#: Bytes read from the input at a time: large captures are decoded as they are read.
CHUNK_SIZE = 64 * 1024


def message_to_json(msg: Message) -> dict[str, object]:
    """``{"type": <wire verb>, <field>: <value>, ...}`` for any message.

    Findings are typed by their wire verb (HOLE, INFO, NOTE, LOG, DEBUG).
    """
    out: dict[str, object] = {"type": msg.kind.value if isinstance(msg, Report) else msg.TYPE}
    for field in dataclasses.fields(msg):  # type: ignore[arg-type]
        out[field.name] = _json_value(getattr(msg, field.name))
    return out


def _json_value(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return decode_bytes(value)
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def decode_stream(side: str, features: Features, source: BinaryIO, out: TextIO) -> int:
    """Decode ``source`` as sent by ``side``; print JSON lines to ``out``.

    Returns the number of messages printed. Raises ``RemoteProtocolError`` at the first
    fault, after printing everything decoded before it.
    """
    decoder: StreamDecoder = (
        ClientStreamDecoder() if side == "client" else ServerStreamDecoder(features)
    )
    count = 0
    while True:
        chunk = source.read(CHUNK_SIZE)
        decoder.receive_data(chunk)
        while (msg := decoder.next_message()) is not NEED_DATA:
            if isinstance(msg, ConnectionClosed):
                return count
            out.write(json.dumps(message_to_json(msg)) + "\n")
            count += 1
        # At the end of the input, chunk is b"": the decoder's EOF, answered above by
        # ConnectionClosed or by the error of a message cut short.
