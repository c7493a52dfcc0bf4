"""The connection side of the plugin context against a real TLS server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from pathlib import Path

from ixion.engine.context import HostContext
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.metadata import Category, PluginInfo
from tests.lab import LOOPBACK, expired_self_signed_cert
from tests.plugins.helpers import make_job

INFO = PluginInfo(
    id=91000100,
    filename="probe.py",
    name="Probe",
    family="Test",
    category=Category.GATHER_INFO,
    summary="Connects",
    description="Connects to a test server.",
)


async def served(
    tmp_path: Path, host: str, server_name: str | None
) -> tuple[list[str | None], str | None, bool, bytes, bool]:
    """Connect over TLS to a server that records the SNI it was given, then read twice."""
    cert, key = expired_self_signed_cert(tmp_path)
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"bye\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, LOOPBACK, 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    job = dataclasses.replace(make_job([port]), host=host)
    ctx = HostContext(info=INFO, job=job, kb=KnowledgeBase(), emit=lambda _event: None)
    async with server, await ctx.connect(port, tls=True, server_name=server_name) as stream:
        version = stream.tls_version
        # Nothing to read yet: an empty answer that is not the end of the stream.
        quiet = await stream.recv(timeout=0.2)
        still_open = not stream.at_eof
        await stream.send(b"hello\n")
        answer = await stream.read_line()
        rest = await stream.recv()
        return names, version, still_open and quiet == b"", answer + rest, stream.at_eof


def test_tls_names_the_host_the_user_gave_and_reports_its_version(tmp_path: Path) -> None:
    names, version, timed_out_open, answer, at_end = asyncio.run(
        served(tmp_path, "lab.example.test", None)
    )
    assert names == ["lab.example.test"]
    assert version is not None
    assert version.startswith("TLSv1")
    assert timed_out_open
    assert answer == b"bye\n"
    assert at_end


def test_an_address_is_never_sent_as_server_name(tmp_path: Path) -> None:
    names, *_ = asyncio.run(served(tmp_path, LOOPBACK, None))
    assert names == [None]


def test_a_plugin_may_name_the_server_itself(tmp_path: Path) -> None:
    names, *_ = asyncio.run(served(tmp_path, LOOPBACK, "vhost.example.test"))
    assert names == ["vhost.example.test"]
