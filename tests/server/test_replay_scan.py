"""The client side of recorded nessusd 2.2.5 scans, replayed against a scanning ixiond.

The recorded clients scanned lab hosts of their own. Here their targets become 127.0.0.1,
the port range the port of one lab web server (in the daemon's configuration and in what the
client asked for) and the plugin set "all" (the recorded ids are nessusd's), so the replay
scans only a service this test started; everything else goes out as recorded. ixiond's
answers must have nessusd's structure: the same message types in the same order outside the
scan, and per host the same framing (TIME HOST_START, results, FINISHED when asked, TIME
HOST_END), then SCAN_END and BYE.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from pathlib import Path

import pytest

from ixion.ntp import (
    NEED_DATA,
    ClientStreamDecoder,
    ConnectionClosed,
    Features,
    LegacyNewAttack,
    LongAttack,
    Message,
    NewAttack,
    Preferences,
    ServerStreamDecoder,
    encode_client_message,
)
from ixion.ntp.server_messages import Time
from tests.lab import HttpService
from tests.server.test_daemon import add_user, free_port, running, write_config
from tests.transcripts import TRANSCRIPTS, load

BYE = b"SERVER <|> BYE <|> BYE <|> SERVER"
RESULTS = {"STATUS", "PORT", "HOLE", "INFO", "NOTE", "STAT"}


def rewritten(data: bytes, port: int) -> tuple[list[bytes], Features]:
    """The client's messages, re-encoded one by one, aimed at 127.0.0.1 port ``port``."""
    decoder = ClientStreamDecoder()
    decoder.receive_data(data)
    decoder.receive_data(b"")
    out: list[bytes] = []
    while not isinstance(msg := decoder.next_message(), ConnectionClosed):
        assert msg is not NEED_DATA
        features = decoder.features
        if isinstance(msg, Preferences):
            # The recorded ids are nessusd's plugins; ixiond's are others: enable them all.
            swap = {"port_range": str(port), "plugin_set": "-1"}
            items = tuple((name, swap.get(name, value)) for name, value in msg.items)
            msg = dataclasses.replace(msg, items=items)
        elif isinstance(msg, LegacyNewAttack):
            msg = dataclasses.replace(
                msg, targets="127.0.0.1", port_range=str(port), plugin_set="-1"
            )
        elif isinstance(msg, NewAttack | LongAttack):
            msg = dataclasses.replace(msg, targets="127.0.0.1")
        out.append(encode_client_message(msg, features))
    return out, decoder.features


def server_messages(data: bytes, features: Features) -> list[Message]:
    decoder = ServerStreamDecoder(features)
    decoder.receive_data(data)
    decoder.receive_data(b"")
    found = []
    while not isinstance(msg := decoder.next_message(), ConnectionClosed):
        assert msg is not NEED_DATA
        found.append(msg)
    return found


def shape(messages: list[Message]) -> list[str]:
    """Message types with each host's run of results folded into one ``results`` item."""
    names = []
    for msg in messages:
        name = msg.TYPE
        if isinstance(msg, Time):
            name = f"TIME {msg.kind.value}"
        names.append("results" if name in RESULTS else name)
    return [name for name, _ in itertools.groupby(names) if name != "PLUGIN_INFO"]


@pytest.mark.xfail(
    reason="not yet: ixiond's scan answers differ in shape from nessusd's in these replays "
    "(extra messages after FINISHED for the nessus client; the Net::Nessus replays see the "
    "connection closed before BYE). Under investigation.",
    strict=True,
)
@pytest.mark.parametrize(
    "name",
    [
        "nessus225-client_vs_nessusd225_plain_scan",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp10",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp11",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp12",
    ],
)
def test_recorded_scans_get_answers_shaped_like_nessusd(tmp_path: Path, name: str) -> None:
    transcript = load(TRANSCRIPTS / f"{name}.raw.txt")
    with HttpService() as web:
        config = write_config(tmp_path, f"port_range = {web.port}\n")
        add_user(config)
        client_messages, features = rewritten(transcript.stream("C"), web.port)

        async def replay(port: int) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            received = b""
            try:
                for data in client_messages:
                    writer.write(data)
                    await writer.drain()
                    if b"ATTACK" in data:  # as the recorded client did: wait for the scan's end
                        while BYE not in received[received.rfind(b"SCAN_START") :]:
                            chunk = await reader.read(65536)
                            assert chunk, "closed before BYE"
                            received += chunk
                    else:
                        await asyncio.sleep(0.05)
                writer.write_eof()
                received += await reader.read()
            finally:
                writer.close()
            return received

        port = free_port()
        with running(config, port):
            ours = server_messages(asyncio.run(asyncio.wait_for(replay(port), 120)), features)
    theirs = server_messages(transcript.stream("S"), features)
    assert shape(ours) == shape(theirs)
