"""HTTP and HTTPS: the standard library's ``http.server``, quiet and robust under a scan."""

from __future__ import annotations

import functools
import ssl
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ._base import IDLE_TIMEOUT, LOOPBACK, SocketServerService
from ._certs import expired_self_signed_cert

if TYPE_CHECKING:
    import socketserver


class _QuietHandler(SimpleHTTPRequestHandler):
    timeout = IDLE_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        """Scans make noise by design; the lab keeps stderr for real problems."""


class _HTTPServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` that does a TLS handshake, if any, in the handler thread.

    Wrapping the listening socket would make ``accept()`` do the handshake in the serving
    thread, where one client that connects and says nothing (a port scanner, a banner
    grabber) blocks every other client.
    """

    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            request.settimeout(IDLE_TIMEOUT)
            request.do_handshake()
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up or fail the handshake are the normal case under a scan."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class HttpService(SocketServerService):
    """``http.server`` serving a temporary directory (one ``index.html``); HTTPS with ``tls``."""

    name = "http"

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.tls = tls

    def _make_server(self) -> socketserver.TCPServer:
        root = self._scratch()
        (root / "index.html").write_text("<html><body>ixion lab</body></html>\n")
        server = _HTTPServer((LOOPBACK, 0), functools.partial(_QuietHandler, directory=str(root)))
        server.tls = self.tls
        return server


class HttpsService(HttpService):
    """HTTPS with the lab's expired, self-signed certificate."""

    name = "https"

    def _make_server(self) -> socketserver.TCPServer:
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(*expired_self_signed_cert(self._scratch()))
        return super()._make_server()
