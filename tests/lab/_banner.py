"""A fixed greeting, for protocols without a real server here (POP3, IMAP, SSH-1, unknown)."""

from __future__ import annotations

import contextlib
import socketserver

from ._base import IDLE_TIMEOUT, LOOPBACK, SocketServerService


class BannerService(SocketServerService):
    """Sends ``banner`` on connect, then reads and ignores input until the client leaves."""

    name = "banner"

    def __init__(self, banner: bytes) -> None:
        super().__init__()
        self.banner = banner

    def _make_server(self) -> socketserver.TCPServer:
        banner = self.banner

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(IDLE_TIMEOUT)
                with contextlib.suppress(OSError):
                    if banner:
                        self.request.sendall(banner)
                    while self.request.recv(4096):
                        pass

        server = socketserver.ThreadingTCPServer((LOOPBACK, 0), Handler)
        server.daemon_threads = True
        return server
