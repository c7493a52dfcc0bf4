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

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    NEED_DATA,
    ClientStreamDecoder,
    ConnectionClosed,
    Features,
    LegacyNewAttack,
    LongAttack,
    Message,
    NewAttack,
    Port,
    Preferences,
    ServerStreamDecoder,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
    encode_client_message,
)
from ixion.ntp.server_messages import Time, TimeKind
from tests.lab import HttpService
from tests.server.test_daemon import BIN, add_user, free_port, running, write_config
from tests.transcripts import TRANSCRIPTS, Transcript, load

BYE = b"SERVER <|> BYE <|> BYE <|> SERVER"
RESULTS = {"STATUS", "STAT", "PORT", "REPORT"}


def rewritten(
    transcript: Transcript, port: int, session: str | None = None
) -> tuple[list[bytes], Features]:
    """The client's writes, message by message re-encoded, aimed at 127.0.0.1 port ``port``
    (and at ixiond's saved ``session``, for a SESSION_RESTORE).

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
            out += encode_client_message(_aimed(msg, port, session), decoder.features)
        if out:
            writes.append(out)
    return writes, decoder.features


def _aimed(msg: Message, port: int, session: str | None) -> Message:
    if isinstance(msg, Preferences):
        # The recorded ids are nessusd's plugins; ixiond's are others: enable them all.
        swap = {"port_range": str(port), "plugin_set": "-1"}
        items = tuple((name, swap.get(name, value)) for name, value in msg.items)
        return dataclasses.replace(msg, items=items)
    if isinstance(msg, LegacyNewAttack):
        return dataclasses.replace(msg, targets="127.0.0.1", port_range=str(port), plugin_set="-1")
    if isinstance(msg, NewAttack | LongAttack):
        return dataclasses.replace(msg, targets="127.0.0.1")
    if isinstance(msg, SessionRestore) and session is not None:
        return dataclasses.replace(msg, session_id=session)
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


async def replay(
    port: int,
    client_writes: list[bytes],
    *,
    context: ssl.SSLContext | None = None,
    answered: bool = True,
    tls: bool = False,
) -> bytes:
    """Send the client's writes as recorded; what the server answered, until it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    received = b""
    try:
        for data in client_writes:
            writer.write(data)
            await writer.drain()
            starts_scan = b"ATTACK" in data or b"SESSION_RESTORE" in data
            if starts_scan and answered:
                # As the recorded client did: wait for the end of the scan.
                start = len(received)
                while BYE not in received[start:]:
                    chunk = await reader.read(65536)
                    assert chunk, "closed before BYE"
                    received += chunk
            elif starts_scan:  # the recorded client waited a minute in vain
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


@pytest.mark.parametrize(
    "name",
    [
        "nessus225-client_vs_nessusd225_plain_scan",
        "nessus225-client_vs_nessusd225_plain_scan-silent-deps",
        "nessus225-client_vs_nessusd225_plain_scan-save-session",
        "nessus225-client_vs_nessusd225_plain_sessions",
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

        port = free_port()
        with running(config, port, plain=not tls):
            played = replay(port, client_writes, context=context, answered=answered, tls=tls)
            received = asyncio.run(asyncio.wait_for(played, 120))
    recorded = transcript.stream("S")
    assert shape(server_messages(received, features)) == shape(server_messages(recorded, features))
    ours, theirs = layouts(received), layouts(recorded)
    assert {verb: ours[verb] for verb in ours.keys() & theirs.keys()} == {
        verb: theirs[verb] for verb in ours.keys() & theirs.keys()
    }


def test_the_recorded_restore_of_a_saved_session_gets_answers_shaped_like_nessusd(
    tmp_path: Path,
) -> None:
    """The nessus 2.2.5 client saved a scan as a session, then restored it; replayed against
    ixiond (the restore aimed at the session ixiond saved), the answers have nessusd's shape.
    ixiond also replays each host's TIME lines, which nessusd's restore dropped by accident
    (spec §8.2): a restored report keeps its timestamps. They are left out of the comparison.
    The restored ports are named as the scan named them: for the service detected there.
    """
    save = load(TRANSCRIPTS / "nessus225-client_vs_nessusd225_plain_scan-save-session.raw.txt")
    restore = load(TRANSCRIPTS / "nessus225-client_vs_nessusd225_plain_session-restore.raw.txt")
    with HttpService() as web:
        config = write_config(tmp_path, f"port_range = {web.port}\n")
        add_user(config)
        saving, saving_features = rewritten(save, web.port)

        async def saved_session(port: int) -> tuple[str, bytes]:
            scanned = await replay(port, saving)
            client = await ClientConnection.open("127.0.0.1", port)
            await client.login("tester", "testpass")
            await client.send(SessionsListRequest())
            listing = await client.receive()
            await client.close()
            assert isinstance(listing, SessionsList)
            (entry,) = listing.sessions
            return entry.id, scanned

        port = free_port()
        with running(config, port):
            name, scanned = asyncio.run(asyncio.wait_for(saved_session(port), 120))
            restoring, features = rewritten(restore, web.port, session=name)
            received = asyncio.run(asyncio.wait_for(replay(port, restoring), 120))
    ours = [
        m
        for m in server_messages(received, features)
        if not (isinstance(m, Time) and m.kind in (TimeKind.HOST_START, TimeKind.HOST_END))
    ]
    assert shape(ours) == shape(server_messages(restore.stream("S"), features))
    ports = [str(m.port) for m in server_messages(scanned, saving_features) if isinstance(m, Port)]
    assert ports == [f"http ({web.port}/tcp)"]
    assert [str(m.port) for m in ours if isinstance(m, Port)] == ports
