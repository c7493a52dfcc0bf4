"""The client side of recorded nessusd 2.2.5 scans, replayed against a scanning ixiond.

The recorded clients (the nessus 2.2.5 client in clear and over TLS, Net::Nessus::Client
under NTP/1.0, 1.1 and 1.2, Net::Nessus::ScanLite with fast_login) scanned lab hosts of their
own. Here their targets become 127.0.0.1, the port range the port of one lab web server (in
the daemon's configuration and in what the client asked for) and the plugin set "all" (the
recorded ids are nessusd's), so the replay scans only a service this test started; the rest
goes out as recorded, write by write. ixiond's answers must have nessusd's structure: the
same message types in the same order, each host's results framed the same way (TIME
HOST_START, results, FINISHED when asked, TIME HOST_END), and the same number of fields in
the lines of each message type both servers sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import ssl
import subprocess
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
from tests.server.test_daemon import BIN, add_user, free_port, running, write_config
from tests.transcripts import TRANSCRIPTS, Transcript, load

BYE = b"SERVER <|> BYE <|> BYE <|> SERVER"
RESULTS = {"STATUS", "STAT", "PORT", "REPORT"}


def rewritten(transcript: Transcript, port: int) -> tuple[list[bytes], Features]:
    """The client's writes, message by message re-encoded, aimed at 127.0.0.1 port ``port``.

    Messages keep the grouping of the recorded writes, so a replay sends together what the
    client sent together (Net::Nessus sends a blank line in the same write as NEW_ATTACK).
    """
    decoder = ClientStreamDecoder()
    writes: list[bytes] = []
    for chunk in transcript.chunks:
        if chunk.direction != "C":
            continue
        decoder.receive_data(chunk.data)
        out = b""
        while (msg := decoder.next_message()) is not NEED_DATA:
            if isinstance(msg, ConnectionClosed):
                break
            out += encode_client_message(_aimed(msg, port), decoder.features)
        if out:
            writes.append(out)
    return writes, decoder.features


def _aimed(msg: Message, port: int) -> Message:
    if isinstance(msg, Preferences):
        # The recorded ids are nessusd's plugins; ixiond's are others: enable them all.
        swap = {"port_range": str(port), "plugin_set": "-1"}
        items = tuple((name, swap.get(name, value)) for name, value in msg.items)
        return dataclasses.replace(msg, items=items)
    if isinstance(msg, LegacyNewAttack):
        return dataclasses.replace(msg, targets="127.0.0.1", port_range=str(port), plugin_set="-1")
    if isinstance(msg, NewAttack | LongAttack):
        return dataclasses.replace(msg, targets="127.0.0.1")
    return msg


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


async def until_quiet(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What arrives until nothing has for ``seconds`` or the server closes."""
    received = b""
    with contextlib.suppress(TimeoutError):
        while chunk := await asyncio.wait_for(reader.read(65536), seconds):
            received += chunk
    return received


def layouts(data: bytes) -> dict[str, set[int]]:
    """Per verb of the server's one-line messages, the field counts its lines had."""
    found: dict[str, set[int]] = {}
    for line in data.split(b"\n"):
        fields = line.split(b" <|> ")
        if fields[0] == b"SERVER" and len(fields) > 2:
            found.setdefault(fields[1].decode(), set()).add(len(fields))
    return found


@pytest.mark.parametrize(
    "name",
    [
        "nessus225-client_vs_nessusd225_plain_scan",
        "nessus225-client_vs_nessusd225_plain_scan-silent-deps",
        "nessus225-client_vs_nessusd225_tls_scan",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp10",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp11",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp12",
        "perl-NetNessusScanLite-0.01_vs_nessusd225_tls_fastlogin",
    ],
)
def test_recorded_scans_get_answers_shaped_like_nessusd(tmp_path: Path, name: str) -> None:
    transcript = load(TRANSCRIPTS / f"{name}.raw.txt")
    tls = "_tls_" in name
    with HttpService() as web:
        config = write_config(tmp_path, f"port_range = {web.port}\n")
        add_user(config)
        context = None
        if tls:
            subprocess.run([BIN / "ixion-mkcert", "-c", config], check=True, capture_output=True)
            config.write_text(
                config.read_text().replace("ssl_version = NONE", "ssl_version = TLSv1")
            )
            context = ssl.create_default_context(cafile=tmp_path / "state" / "tls" / "cacert.pem")
        client_writes, features = rewritten(transcript, web.port)
        # nessusd ignored the 1.1 form of NEW_ATTACK on an NTP/1.0 connection (no BYE).
        answered = BYE in transcript.stream("S")

        async def replay(port: int) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
            received = b""
            try:
                for data in client_writes:
                    writer.write(data)
                    await writer.drain()
                    if b"ATTACK" in data and answered:
                        # As the recorded client did: wait for the end of the scan.
                        start = len(received)
                        while BYE not in received[start:]:
                            chunk = await reader.read(65536)
                            assert chunk, "closed before BYE"
                            received += chunk
                    elif b"ATTACK" in data:  # the recorded client waited a minute in vain
                        received += await until_quiet(reader, 5)
                    else:
                        await asyncio.sleep(0.05)
                if tls:  # no half close in asyncio's TLS: take what comes until it is quiet
                    received += await until_quiet(reader, 1)
                else:
                    writer.write_eof()
                    received += await reader.read()
            finally:
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), 5)
            return received

        port = free_port()
        with running(config, port, plain=not tls):
            received = asyncio.run(asyncio.wait_for(replay(port), 120))
    recorded = transcript.stream("S")
    assert shape(server_messages(received, features)) == shape(server_messages(recorded, features))
    ours, theirs = layouts(received), layouts(recorded)
    assert {verb: ours[verb] for verb in ours.keys() & theirs.keys()} == {
        verb: theirs[verb] for verb in ours.keys() & theirs.keys()
    }
