"""ixiond's side of a connection, driven over loopback by real clients: ixion's own client,
and the raw bytes the nessus 2.2.5 client sent nessusd in the captured transcripts."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from ixion.client.connection import ClientConnection, LoginFailed
from ixion.ntp import (
    NEED_DATA,
    Category,
    ClientStreamDecoder,
    ConnectionClosed,
    Dependency,
    Features,
    Message,
    NessusVersion,
    NessusVersionRequest,
    PluginInfoReply,
    PluginInfoRequest,
    PluginRecord,
    Preferences,
    PreferencesErrors,
    ServerStreamDecoder,
    Version,
)
from ixion.server.connection import ClientHandler
from ixion.server.offer import Offer
from ixion.server.users import ScryptCost, UserStore
from tests.transcripts import TRANSCRIPTS, load

SCANNER = PluginRecord(
    id="90001",
    name="Peers tiny TCP scanner",
    category=Category.SCANNER,
    copyright="Public domain test plugin",
    description="Connects to a few TCP ports.",
    summary="tiny connect() scanner",
    family="Port scanners",
)
BANNER = PluginRecord(
    id="90002",
    name="Peers HTTP banner check",
    category=Category.GATHER_INFO,
    copyright="Public domain test plugin",
    description="Reads the Server: banner.\n\nRisk factor : Low",
    summary="HTTP banner grabber",
    family="General",
    cve=("CVE-1999-0001",),
)
OFFER = Offer(
    plugins=(BANNER, SCANNER),
    dependencies=(Dependency(name=BANNER.name, dependencies=(SCANNER.name,)),),
    preferences=(("max_hosts", "30"), ("max_checks", "10")),
    md5="982a9436a301d545326cba4f4eff4cdd",
)


@asynccontextmanager
async def ixiond(tmp_path: Path) -> AsyncIterator[int]:
    users = UserStore(tmp_path / "users", cost=ScryptCost(log2_n=10))
    users.add_user("tester", password="testpass", rules_text="accept 127.0.0.1\ndefault reject\n")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await ClientHandler(reader, writer, offer=OFFER, users=users).run()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def run(tmp_path: Path, scenario: Callable[[int], Coroutine[Any, Any, Any]]) -> Any:
    async def main() -> Any:
        async with ixiond(tmp_path) as port:
            return await asyncio.wait_for(scenario(port), 30)

    return asyncio.run(main())


def test_the_reference_login_gets_plugins_preferences_rules_and_dependencies(
    tmp_path: Path,
) -> None:
    async def scenario(port: int) -> Any:
        client = await ClientConnection.open("127.0.0.1", port)
        offer = await client.login("tester", "testpass")
        await client.close()
        return offer

    offer = run(tmp_path, scenario)
    assert offer.plugins.plugins == (BANNER, SCANNER)
    assert offer.preferences.items == OFFER.preferences
    assert offer.rules.rules == ()
    assert offer.dependencies.entries == OFFER.dependencies


def test_a_wrong_password_is_a_bad_login(tmp_path: Path) -> None:
    async def scenario(port: int) -> None:
        client = await ClientConnection.open("127.0.0.1", port)
        try:
            await client.login("tester", "wrong")
        finally:
            await client.close()

    with pytest.raises(LoginFailed):
        run(tmp_path, scenario)


def test_an_otp_login_goes_through_the_md5_loop(tmp_path: Path) -> None:
    async def scenario(port: int) -> Any:
        client = await ClientConnection.open(
            "127.0.0.1", port, version=Version.OTP_1_0, extensions=()
        )
        offer = await client.login("tester", "testpass")
        await client.close()
        return offer

    offer = run(tmp_path, scenario)
    assert offer.plugins_md5.md5 == OFFER.md5
    assert offer.plugins.plugins == (BANNER, SCANNER)


def test_fast_login_answers_preferences_and_plugin_info_everywhere(tmp_path: Path) -> None:
    async def scenario(port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, extensions=("fast_login",))
        await client.login("tester", "testpass")
        answers = []
        for request in (
            Preferences(),
            NessusVersionRequest(),
            PluginInfoRequest(plugin_id="90002"),
        ):
            await client.send(request)
            answers.append(await client.receive())
        await client.close()
        return answers

    assert run(tmp_path, scenario) == [
        PreferencesErrors(),
        NessusVersion(version="2.2.5"),
        # This client asked for no optional plugin fields, so the CVE is not sent.
        PluginInfoReply(plugin=dataclasses.replace(BANNER, cve=())),
    ]


def _server_types(data: bytes, features: Features) -> list[str]:
    decoder = ServerStreamDecoder(features)
    decoder.receive_data(data)
    decoder.receive_data(b"")
    types = []
    while not isinstance(msg := decoder.next_message(), ConnectionClosed):
        assert msg is not NEED_DATA
        types.append(msg.TYPE)
    return types


@pytest.mark.parametrize(
    "name",
    [
        "nessus225-client_vs_nessusd225_plain_plist",
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp11",
        "scripted-client_vs_nessusd225_plain_misc",
    ],
)
def test_replayed_clients_get_answers_shaped_like_nessusd(tmp_path: Path, name: str) -> None:
    """The client's recorded bytes, chunk by chunk; ixiond's answers have nessusd's types."""
    transcript = load(TRANSCRIPTS / f"{name}.raw.txt")
    client_chunks = [c.data for c in transcript.chunks if c.direction == "C" and c.data]
    banner = ClientStreamDecoder()
    banner.receive_data(client_chunks[0])
    banner.next_message()
    features = banner.features

    async def scenario(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for chunk in client_chunks:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write_eof()
        received = await reader.read()
        writer.close()
        return received

    ours = _server_types(run(tmp_path, scenario), features)
    theirs = _server_types(transcript.stream("S"), features)
    # Two known differences. nessusd never answered PLUGIN_INFO outside the md5 loop
    # (spec §10.11), ixiond does. And this ixiond cannot scan yet: it answers an attack with
    # ERROR and BYE where nessusd scanned, so the comparison stops at the attack.
    ours = [t for t in ours if t != "PLUGIN_INFO"]
    if "ERROR" in ours:
        assert ours[ours.index("ERROR") :] == ["ERROR", "BYE"]
        ours = ours[: ours.index("ERROR")]
        assert theirs[len(ours)] in ("STATUS", "TIME", "BYE")
        theirs = theirs[: len(ours)]
    assert ours == theirs


def test_a_client_sending_garbage_is_dropped_and_others_are_served(tmp_path: Path) -> None:
    async def scenario(port: int) -> tuple[bytes, Any]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"< NTP/1.2 >< fast_login >\ntester\ntestpass\n" + b"x" * 5000 + b"\n")
        await writer.drain()
        dropped = await reader.read()
        writer.close()
        client = await ClientConnection.open("127.0.0.1", port)
        offer = await client.login("tester", "testpass")
        await client.close()
        return dropped, offer

    dropped, offer = run(tmp_path, scenario)
    assert dropped.endswith(b"SERVER <|> ERROR <|> Request too large <|> SERVER\n")
    assert offer.plugins.plugins == (BANNER, SCANNER)
