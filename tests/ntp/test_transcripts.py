"""Every captured conversation decodes, and the server side re-encodes to the same bytes.

The transcripts are real nessusd 2.2.5 / openvassd 3.0.2 conversations with real clients
(``shared/spec/transcripts``). Two checks per transcript:

* each direction decodes on its own, as ``ixion ntp-decode`` would, with no error;
* replayed chunk by chunk through two sessions wired back to back (the server session reads
  the client's bytes, the client session reads the server's), the server session re-encodes
  every server message it is given to exactly the bytes nessusd sent.
"""

from __future__ import annotations

import pytest

from ixion.ntp import (
    NEED_DATA,
    ClientStreamDecoder,
    ConnectionClosed,
    Features,
    Message,
    Preferences,
    Role,
    ServerStreamDecoder,
    Session,
    Version,
)
from ixion.ntp.decoder import StreamDecoder
from tests.transcripts import Transcript, all_transcripts

TRANSCRIPTS = all_transcripts()


def test_every_conversation_is_there() -> None:
    # 32 conversations, each as .raw.txt and .txt (plus the README and an NBE report).
    assert len(TRANSCRIPTS) == 32


def _drain(decoder: StreamDecoder) -> list[Message]:
    messages: list[Message] = []
    while (msg := decoder.next_message()) is not NEED_DATA:
        messages.append(msg)
        if isinstance(msg, ConnectionClosed):
            break
    return messages


def _client_features(transcript: Transcript) -> Features:
    """What ``--features`` a user would give to decode the server stream alone."""
    decoder = ClientStreamDecoder()
    decoder.receive_data(transcript.stream("C"))
    decoder.receive_data(b"")
    messages = _drain(decoder)
    features = decoder.features  # version and words, known once the banner is read
    for msg in messages:
        if isinstance(msg, Preferences):
            features = features.with_client_preferences(msg.items)
    return features


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda t: t.name)
def test_client_stream_decodes_alone(transcript: Transcript) -> None:
    decoder = ClientStreamDecoder()
    decoder.receive_data(transcript.stream("C"))
    decoder.receive_data(b"")
    messages = _drain(decoder)
    assert isinstance(messages[-1], ConnectionClosed)
    assert decoder.offset == len(transcript.stream("C"))


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda t: t.name)
def test_server_stream_decodes_alone(transcript: Transcript) -> None:
    decoder = ServerStreamDecoder(_client_features(transcript))
    decoder.receive_data(transcript.stream("S"))
    decoder.receive_data(b"")
    messages = _drain(decoder)
    assert isinstance(messages[-1], ConnectionClosed)
    assert decoder.offset == len(transcript.stream("S"))


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda t: t.name)
def test_replay_reencodes_the_server_side_byte_for_byte(transcript: Transcript) -> None:
    server = Session(Role.SERVER)
    client = Session(Role.CLIENT)
    sent = bytearray()
    for chunk in transcript.chunks:
        reader, writer = (server, client) if chunk.direction == "C" else (client, server)
        reader.receive_data(chunk.data)
        while (msg := reader.next_message()) is not NEED_DATA:
            if isinstance(msg, ConnectionClosed):
                break
            encoded = writer.send(msg)
            if chunk.direction == "S":
                sent += encoded
    assert bytes(sent) == transcript.stream("S")


def test_otp_transcripts_negotiate_otp() -> None:
    otp = [t for t in TRANSCRIPTS if t.is_otp]
    assert otp
    for transcript in otp:
        assert _client_features(transcript).version is Version.OTP_1_0
