"""The asyncio client against nessusd as the transcripts recorded it, replayed on loopback."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from ixion.client.connection import (
    DEFAULT_EXTENSIONS,
    ClientConnection,
    ConnectionFailed,
    LoginFailed,
    ServerOffer,
)
from ixion.client.plugin_store import PluginStore
from ixion.ntp import (
    BadLogin,
    Banner,
    CompleteList,
    ConnectionClosed,
    GoOn,
    Message,
    Password,
    PluginBatch,
    Preferences,
    User,
    Version,
)
from tests.client.replay import ReplayServer
from tests.transcripts import TRANSCRIPTS, load


async def _login(
    name: str,
    user: str,
    password: str,
    version: Version,
    extensions: tuple[str, ...],
    **options: Any,
) -> tuple[ServerOffer, list[Message]]:
    async with ReplayServer(load(TRANSCRIPTS / f"{name}.raw.txt")) as server:
        connection = await ClientConnection.open(
            "127.0.0.1", server.port, version=version, extensions=extensions, **options
        )
        try:
            offer = await connection.login(user, password)
        finally:
            await connection.close()
        return offer, server.received


def login(
    name: str,
    user: str = "tester",
    password: str = "testpass",
    *,
    version: Version = Version.NTP_1_2,
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS,
    **options: Any,
) -> tuple[ServerOffer, list[Message]]:
    """Log in to a replay of ``name`` and return the offer and what the client sent."""
    return asyncio.run(_login(name, user, password, version, extensions, **options))


def test_login_reads_what_nessusd_offers_the_reference_client() -> None:
    offer, sent = login("nessus225-client_vs_nessusd225_plain_plist")
    assert sent[:3] == [
        Banner(
            version=Version.NTP_1_2,
            extensions=(
                "plugins_cve_id",
                "plugins_version",
                "plugins_bugtraq_id",
                "plugins_xrefs",
                "timestamps",
                "dependencies",
            ),
        ),
        User(name="tester"),
        Password(password="testpass"),
    ]
    assert offer.plugins is not None
    assert [p.id for p in offer.plugins.plugins] == ["90002", "90001"]
    assert offer.plugins.plugins[0].cve == ("CVE-1999-0001",)
    assert offer.preference("max_hosts") == "30"
    assert offer.preference("ntp_save_sessions") == "yes"
    assert offer.rules is not None
    assert offer.rules.rules == ()
    assert offer.dependencies is not None
    assert offer.dependencies.entries[0].dependencies == ("Peers tiny TCP scanner",)


def test_a_sink_given_to_the_connection_gets_the_plugin_list_instead_of_the_offer() -> None:
    batches: list[PluginBatch] = []
    offer, _ = login("nessus225-client_vs_nessusd225_plain_plist", plugins=batches.append)
    assert offer.plugins is None
    assert [line.id for batch in batches for line in batch.lines()] == ["90002", "90001"]
    assert offer.preference("max_hosts") == "30"


def test_a_store_given_to_the_connection_is_the_offers() -> None:
    store = PluginStore(descriptions=False)
    offer, _ = login("nessus225-client_vs_nessusd225_plain_plist", plugins=store)
    assert offer.plugins is store
    assert [entry.id for entry in store] == ["90002", "90001"]
    record = store.find("90002", description=False)
    assert record is not None
    assert record.cve == ("CVE-1999-0001",)


def test_dependencies_are_read_through_when_not_kept() -> None:
    offer, _ = login("nessus225-client_vs_nessusd225_plain_plist", keep_dependencies=False)
    assert offer.dependencies is not None
    assert offer.dependencies.entries == ()
    assert offer.preference("ntp_save_sessions") == "yes"


def test_an_offers_repr_counts_what_it_holds() -> None:
    offer, _ = login("nessus225-client_vs_nessusd225_plain_plist")
    assert offer.preferences is not None
    assert repr(offer) == (
        f"ServerOffer(plugins=2, preferences={len(offer.preferences.items)}, rules=0, "
        "dependencies=1, plugins_md5=None, extra=0)"
    )


def test_an_ntp_1_1_login_gets_no_dependencies() -> None:
    offer, _ = login(
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp11",
        version=Version.NTP_1_1,
        extensions=(),
    )
    assert offer.plugins is not None
    assert len(offer.plugins.plugins) == 2
    assert offer.preferences is not None
    assert offer.dependencies is None


def test_an_ntp_1_0_login_gets_only_the_plugin_list() -> None:
    offer, _ = login(
        "perl-NetNessusClient-0.09_vs_nessusd225_plain_ntp10",
        version=Version.NTP_1_0,
        extensions=(),
    )
    assert offer.plugins is not None
    assert len(offer.plugins.plugins) == 2
    assert offer.preferences is None


def test_an_otp_login_goes_through_the_md5_loop() -> None:
    offer, sent = login(
        "openvasmd100b1_vs_openvassd302_tls_otp10_nvt-rebuild",
        "om",
        "om",
        version=Version.OTP_1_0,
        extensions=(),
    )
    assert sent[3:] == [CompleteList(), GoOn()]
    assert offer.plugins_md5 is not None
    assert offer.plugins is not None
    assert offer.plugins.plugins[0].id == "1.3.6.1.4.1.25623.1.0.90003"
    assert offer.dependencies is not None


def test_a_refused_otp_password_is_a_login_failure() -> None:
    with pytest.raises(LoginFailed):
        login(
            "nmap793-openvas-otp-brute_vs_openvassd302_tls_bad-login",
            password="wrongpass",
            version=Version.OTP_1_0,
            extensions=(),
        )


def test_a_refused_fast_login_shows_at_the_first_answer() -> None:
    async def scenario() -> Message:
        name = "nmap793-nessus-brute_vs_nessusd225_tls_bad-login.raw.txt"
        async with ReplayServer(load(TRANSCRIPTS / name)) as server:
            connection = await ClientConnection.open(
                "127.0.0.1",
                server.port,
                extensions=(
                    "plugins_cve_id",
                    "plugins_version",
                    "timestamps",
                    "dependencies",
                    "fast_login",
                ),
            )
            offer = await connection.login("tester", "wrongpass")
            assert offer == ServerOffer()  # fast_login: the server says nothing yet
            await connection.send(Preferences())
            answer = await connection.receive()
            await connection.close()
            return answer

    assert asyncio.run(scenario()) == BadLogin()


def test_a_server_hanging_up_on_the_banner_is_reported() -> None:
    with pytest.raises(ConnectionFailed, match=r"does not speak NTP/1\.2"):
        login("scripted-client_vs_openvassd302_tls_ntp12-rejected", extensions=())


def test_nothing_listening_is_a_connection_failure() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        await ClientConnection.open("127.0.0.1", port, io_timeout=5)

    with pytest.raises(ConnectionFailed, match="cannot connect"):
        asyncio.run(scenario())


def test_during_a_scan_the_client_waits_out_a_silent_server_with_keep_alive_on() -> None:
    """A plugin may rightly run for minutes with nothing to say: results are awaited for as
    long as the server stays connected, while other reads give up after ``io_timeout``."""

    async def scenario() -> tuple[int, bool, Message]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(0.6)  # three times the client's io_timeout
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            impatient = await ClientConnection.open("127.0.0.1", port, io_timeout=0.2)
            with pytest.raises(ConnectionFailed, match=r"no answer from the server in 0\.2 s"):
                await impatient.receive()
            await impatient.close()
            connection = await ClientConnection.open("127.0.0.1", port, io_timeout=0.2)
            sock = connection._writer.get_extra_info("socket")
            keep_alive = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
            idle = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
            message = await connection.receive(patient=True)
            await connection.close()
            return keep_alive, idle, message

    keep_alive, idle, message = asyncio.run(scenario())
    assert keep_alive
    assert idle
    assert message == ConnectionClosed()
