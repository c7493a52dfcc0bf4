"""NTP/1.0 scans (spec §4.8): the long NEW_ATTACK form, and the old result lines.

A 1.0 client gives plugins, max_hosts, port range and targets in one order and reads STAT,
PORT with a bare number and ``port:text`` findings until BYE. The short 1.1 form on a 1.0
connection is ignored, as nessusd ignored it (transcript perl-NetNessusClient ntp10).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ixion.client.connection import ClientConnection
from ixion.ntp import (
    Bye,
    LegacyNewAttack,
    Message,
    NewAttack,
    Port,
    Report,
    Stat,
    Status,
    Time,
    Version,
)
from tests.lab import HttpService, reserved_closed_ports
from tests.server.test_daemon import PATIENCE, add_user, free_port, running, write_config


async def ntp10_client(port: int) -> ClientConnection:
    client = await ClientConnection.open(
        "127.0.0.1", port, version=Version.NTP_1_0, extensions=(), io_timeout=PATIENCE
    )
    await client.login("tester", "testpass")
    return client


def test_the_long_form_scans_and_results_come_in_the_1_0_formats(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_user(config)

    async def scenario(port: int, port_range: str) -> list[Message]:
        client = await ntp10_client(port)
        await client.send(
            LegacyNewAttack(
                plugin_set="-1",
                max_hosts="1",
                recursive="0",
                port_range=port_range,
                targets="127.0.0.1",
            )
        )
        seen = []
        while not isinstance(msg := await client.receive(), Bye):
            seen.append(msg)
        await client.close()
        return seen

    with HttpService() as web, reserved_closed_ports(1) as closed:
        port = free_port()
        with running(config, port):
            seen = asyncio.run(asyncio.wait_for(scenario(port, f"{web.port},{closed[0]}"), 60))
    assert not any(isinstance(m, Status | Time) for m in seen)
    stats = [m for m in seen if isinstance(m, Stat)]
    assert stats
    assert stats[-1].current == stats[-1].total
    assert [(m.host, m.port.number) for m in seen if isinstance(m, Port)] == [
        ("127.0.0.1", web.port)
    ]
    findings = [m for m in seen if isinstance(m, Report)]
    assert findings
    assert {m.port.number for m in findings} == {web.port}
    assert any("SimpleHTTP" in m.text for m in findings)
    assert all(m.plugin_id is None for m in findings)  # 1.0 lines carry no plugin id


def test_the_short_1_1_form_on_a_1_0_connection_is_ignored_and_logged(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_user(config)

    async def scenario(port: int) -> Message | None:
        client = await ntp10_client(port)
        await client.send(NewAttack(targets="127.0.0.1"))
        try:
            return await asyncio.wait_for(client.receive(), 3)
        except TimeoutError:
            return None
        finally:
            await client.close()

    port = free_port()
    with running(config, port):
        answer = asyncio.run(scenario(port))
    assert answer is None
    log = (tmp_path / "ixiond.log").read_text()
    assert "is not an NTP/1.0 order; ignored" in log
