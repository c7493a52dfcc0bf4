"""Servers that follow a short script per client: fake protocols and misbehaving services.

:class:`ScriptedService` runs a function on each accepted socket, in a thread of its own;
with ``tls=True`` the function talks through TLS (the lab's expired self-signed certificate).
The scripts here misbehave on purpose, the way broken or hostile services do, so that
service detection can be shown to end each such port with a reason and carry on:

* :func:`reset_after_connect` resets every connection just after accepting it;
* :func:`reset_in_handshake` reads a client's first bytes (a TLS ClientHello) and resets;
* :func:`flood` sends garbage without end; :func:`babble` answers anything with garbage;
* :func:`drip` sends a greeting one byte at a time; :func:`echo` sends back what it gets.

The protocol fakes (Redis, PostgreSQL, LDAP...) live in ``_protocols``.
"""

from __future__ import annotations

import contextlib
import random
import socket
import socketserver
import ssl
import struct
import time
from collections.abc import Callable, Iterator
from typing import Final

from ._base import IDLE_TIMEOUT, LOOPBACK, SocketServerService
from ._certs import expired_self_signed_cert

#: What a script gets: the client's socket (an ``ssl.SSLSocket`` when the service is TLS).
Script = Callable[[socket.socket], None]

#: Bytes a flooding service sends at most before it gives up on its own.
FLOOD_LIMIT: Final = 64 * 1024 * 1024


class ScriptedService(SocketServerService):
    """Runs ``script`` for each client; through TLS when ``tls``."""

    name = "scripted"

    def __init__(self, script: Script, *, tls: bool = False) -> None:
        super().__init__()
        self.script = script
        self.tls = tls

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*expired_self_signed_cert(self._scratch()))
        return context

    def _make_server(self) -> socketserver.TCPServer:
        script = self.script
        context = self.tls_context() if self.tls else None

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(IDLE_TIMEOUT)
                with contextlib.suppress(OSError):
                    if context is not None:
                        sock = context.wrap_socket(sock, server_side=True)
                    try:
                        script(sock)
                    finally:
                        sock.close()

        server = socketserver.ThreadingTCPServer((LOOPBACK, 0), Handler)
        server.daemon_threads = True
        return server


def read_lines(sock: socket.socket) -> Iterator[bytes]:
    """The lines a client sends (without line ends), until it closes or goes quiet."""
    buffer = b""
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.rstrip(b"\r")
        chunk = sock.recv(4096)
        if not chunk or len(buffer) > 64 * 1024:
            return
        buffer += chunk


def read_exactly(sock: socket.socket, size: int) -> bytes:
    """``size`` bytes, or fewer if the client closes first."""
    data = b""
    while len(data) < size and (chunk := sock.recv(size - len(data))):
        data += chunk
    return data


def greet(banner: bytes) -> Script:
    """Say ``banner``, then read and ignore input until the client leaves."""

    def script(sock: socket.socket) -> None:
        sock.sendall(banner)
        while sock.recv(4096):
            pass

    return script


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST rather than a FIN: SO_LINGER on, with a zero timeout."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def reset_after_connect(sock: socket.socket) -> None:
    """Reset a moment after accepting, whatever the client does: long enough for a port
    scanner to see the port open, too short for any greeting wait."""
    time.sleep(0.2)
    _reset(sock)


def reset_in_handshake(sock: socket.socket) -> None:
    """Read what a TLS client opens with (its ClientHello), then reset: a TLS server that
    gives up mid-handshake, as some do on a cipher or SNI they dislike."""
    sock.recv(4096)
    _reset(sock)


def flood(sock: socket.socket) -> None:
    """Send garbage unasked, without end (until the client leaves, or FLOOD_LIMIT)."""
    chunk = random.Random(1).randbytes(16 * 1024)
    sent = 0
    while sent < FLOOD_LIMIT:
        sock.sendall(chunk)
        sent += len(chunk)


def babble(sock: socket.socket) -> None:
    """Say nothing first, then answer every message with garbage (no line end)."""
    noise = random.Random(2)
    while sock.recv(4096):
        sock.sendall(bytes(noise.choice(range(0x80, 0x100)) for _ in range(64)))


def echo(sock: socket.socket) -> None:
    """Send back whatever comes: every probe gets its own bytes as the answer."""
    while data := sock.recv(4096):
        sock.sendall(data)


def drip(banner: bytes, interval: float, *, forever: bool = False) -> Script:
    """Send ``banner`` one byte every ``interval`` seconds (again and again if ``forever``,
    until the client leaves or IDLE_TIMEOUT)."""

    def script(sock: socket.socket) -> None:
        stop = time.monotonic() + IDLE_TIMEOUT
        while time.monotonic() < stop:
            for byte in banner:
                sock.sendall(bytes([byte]))
                time.sleep(interval)
            if not forever:
                break
        while sock.recv(4096):
            pass

    return script
