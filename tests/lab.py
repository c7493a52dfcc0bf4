"""Real services on 127.0.0.1 for ixion's plugins to scan: the tests' lab and the demo's.

Every service binds port 0, so the kernel picks a free port and nothing ever collides with
programs already listening on this machine; tests scan only the ports these services report
(and ports :func:`reserved_closed_ports` holds), never a range of somebody else's ports.

* :class:`HttpService`: ``http.server`` serving a temporary directory; with ``tls=`` it is
  HTTPS. :func:`expired_self_signed_cert` makes the certificate the lab's HTTPS uses: both
  expired and self-signed, so that ``tls_certificate`` has both things to find.
* :class:`SmtpService`: aiosmtpd, which accepts no recipient (nothing is ever delivered).
* :class:`FtpService`: pyftpdlib, read-only, with an anonymous user or only a named one.
* :class:`SshService`: asyncssh with a fresh host key; no login succeeds.
* :class:`BannerService`: says one fixed thing on connect, for protocols without a real
  server here (POP3, IMAP, SSH-1, an unknown service).

Each service is a context manager (``with FtpService() as ftp: ftp.port``); :class:`Lab`
starts a set of them. ``python -m tests.lab`` (from the project root) starts the default lab,
prints ``{"http": port, ...}`` as one JSON line and runs until stdin closes or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import json
import logging
import os
import secrets
import signal
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self

import asyncssh
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# pyftpdlib 2.2 is built on asyncore and asynchat, which warn on import under Python 3.11
# (they are gone in 3.12). Its ioloop module silences that for its own import only, so
# whether the handlers' import warns depends on import order; silence it here, for these
# imports only: it is the lab's FTP server, not ixion code.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The asyn(core|chat) module", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer  # type: ignore[import-untyped]
    from pyftpdlib.handlers import FTPHandler  # type: ignore[import-untyped]
    from pyftpdlib.ioloop import IOLoop  # type: ignore[import-untyped]
    from pyftpdlib.servers import FTPServer  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from types import TracebackType

__all__ = [
    "LOOPBACK",
    "BannerService",
    "FtpService",
    "HttpService",
    "HttpsService",
    "Lab",
    "Service",
    "SmtpService",
    "SshService",
    "default_services",
    "expired_self_signed_cert",
    "main",
    "reserved_closed_ports",
]

LOOPBACK: Final = "127.0.0.1"
#: Seconds a lab server waits on an idle client before hanging up, so no thread lingers.
IDLE_TIMEOUT: Final = 10
#: The name the services give themselves (no DNS lookup of this machine's name).
LAB_HOSTNAME: Final = "lab.ixion.test"


class _Managed:
    """``with`` starts and stops it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Service(_Managed):
    """A server on 127.0.0.1:<port>, running in the background until :meth:`stop`."""

    name: ClassVar[str] = "service"

    def __init__(self) -> None:
        self.port = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def stop(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _scratch(self) -> Path:
        """A temporary directory that lives as long as the service."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"ixion-lab-{self.name}-")
        return Path(self._tmp.name)


class _SocketServerService(Service):
    """A ``socketserver`` server, serving from a thread of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> socketserver.TCPServer:
        raise NotImplementedError

    def start(self) -> None:
        self._server = server = self._make_server()
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        super().stop()


# --- certificates ------------------------------------------------------------------------------


def expired_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem``: EC P-256, self-signed, expired a year ago."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LAB_HOSTNAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=730))
        .not_valid_after(now - datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(LAB_HOSTNAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


# --- HTTP and HTTPS ----------------------------------------------------------------------------


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


class HttpService(_SocketServerService):
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


# --- SMTP --------------------------------------------------------------------------------------


class _NoDelivery:
    """An aiosmtpd handler that refuses every recipient: the lab is nobody's relay."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return "550 5.7.1 The ixion lab delivers no mail"


class _Controller(Controller):
    """aiosmtpd's Controller, taught port 0: it pokes its server at ``self.port`` once up."""

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _RejectAll:
    """An aiosmtpd authenticator that accepts no password (AUTH is offered, never granted)."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        return AuthResult(success=False)


class SmtpService(Service):
    """aiosmtpd, greeting ``220 lab.ixion.test <ident>``.

    ``cleartext_auth`` offers AUTH PLAIN and LOGIN without TLS (a misconfiguration).
    """

    name = "smtp"

    def __init__(self, *, cleartext_auth: bool = False, ident: str | None = None) -> None:
        super().__init__()
        self.cleartext_auth = cleartext_auth
        self.ident = ident
        self._controller: _Controller | None = None

    def start(self) -> None:
        extra: dict[str, Any] = {}
        if self.cleartext_auth:
            extra = {"authenticator": _RejectAll(), "auth_require_tls": False}
        if self.ident is not None:
            extra["ident"] = self.ident
        self._controller = _Controller(
            _NoDelivery(), hostname=LOOPBACK, port=0, server_hostname=LAB_HOSTNAME, **extra
        )
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        super().stop()


# --- FTP ---------------------------------------------------------------------------------------


def _quiet_pyftpdlib() -> None:
    """Keep pyftpdlib from configuring logging to stderr on its first loop.

    It does so when neither its logger nor the root logger has a handler (a plain script
    such as ``python -m tests.lab``) and then logs every session at INFO level. A handler of
    its own, that drops records, makes it leave logging alone; records still propagate.
    """
    logger = logging.getLogger("pyftpdlib")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


class FtpService(Service):
    """pyftpdlib, read-only: an ``anonymous`` user, or only a user with a random password.

    ``banner`` replaces pyftpdlib's greeting text (``220 pyftpdlib 2.2.0 ready.``).
    """

    name = "ftp"

    def __init__(self, *, anonymous: bool = True, banner: str | None = None) -> None:
        super().__init__()
        self.anonymous = anonymous
        self.banner = banner
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        _quiet_pyftpdlib()
        root = self._scratch()
        (root / "README").write_text("ixion lab\n")
        authorizer = DummyAuthorizer()
        if self.anonymous:
            authorizer.add_anonymous(str(root))  # read-only: "elr"
        else:
            authorizer.add_user("lab", secrets.token_urlsafe(16), str(root), perm="elr")
        settings: dict[str, Any] = {
            "authorizer": authorizer,
            "timeout": IDLE_TIMEOUT,
            # pyftpdlib answers a failed login after 3 s (against password guessing); the
            # lab answers sooner, so tests with short read timeouts still see the refusal.
            "auth_failed_timeout": 0.2,
        }
        if self.banner is not None:
            settings["banner"] = self.banner
        handler = type("LabFTPHandler", (FTPHandler,), settings)
        # An IOLoop of its own: pyftpdlib's default is a process-wide singleton, which two
        # servers in two threads must not share.
        self._server = FTPServer((LOOPBACK, 0), handler, ioloop=IOLoop())
        self.port = self._server.address[1]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # One poll at a time (what serve_forever(blocking=False) does, minus its log line)
        # so that the thread notices stop().
        while not self._stopping.is_set():
            self._server.ioloop.loop(timeout=0.1, blocking=False)
        self._server.close_all()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._server = None
        super().stop()


# --- SSH ---------------------------------------------------------------------------------------


class _NoLogin(asyncssh.SSHServer):
    """Asks for a password and accepts none: the lab's SSH is there to be looked at."""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return False


class SshService(Service):
    """asyncssh with a fresh Ed25519 host key, on an event loop in a thread of its own."""

    name = "ssh"

    def __init__(self) -> None:
        super().__init__()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
        self._loop = self._thread = None
        super().stop()

    async def _open(self) -> int:
        self._acceptor = await asyncssh.listen(
            LOOPBACK,
            0,
            server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            server_factory=_NoLogin,
            login_timeout=IDLE_TIMEOUT,
        )
        return self._acceptor.get_port()

    async def _close(self) -> None:
        """Close the listener, then end every connection's task: nothing left to leak."""
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()


class BannerService(_SocketServerService):
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


# --- the lab -----------------------------------------------------------------------------------


def default_services() -> dict[str, Service]:
    """What ``python -m tests.lab`` runs: one of each real server."""
    return {
        "http": HttpService(),
        "https": HttpsService(),
        "smtp": SmtpService(),
        "ftp": FtpService(),
        "ssh": SshService(),
    }


class Lab(_Managed):
    """Several services started together; ``ports`` maps their names to their ports."""

    def __init__(self, services: Mapping[str, Service] | None = None) -> None:
        self.services = dict(default_services() if services is None else services)
        self._started: list[Service] = []

    @property
    def ports(self) -> dict[str, int]:
        return {name: service.port for name, service in self.services.items()}

    def start(self) -> None:
        try:
            for service in self.services.values():
                service.start()
                self._started.append(service)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        while self._started:
            self._started.pop().stop()


@contextlib.contextmanager
def reserved_closed_ports(count: int) -> Iterator[list[int]]:
    """``count`` loopback ports that are certainly closed, and ours, while the block runs.

    Each is a socket bound to 127.0.0.1 port 0 and never listening: a connection to it is
    refused (no listener), and no other program can bind the port meanwhile (we did not set
    SO_REUSEADDR), so scanning these ports touches nobody else's service. Ports bound and
    then *closed* would be free for anyone to take before the scan reaches them.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((LOOPBACK, 0))
        yield sorted(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def main() -> None:
    """Start the default lab, print its ports as JSON, run until stdin closes or SIGTERM."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: done.set())

    def watch_stdin() -> None:
        with contextlib.suppress(OSError, ValueError):
            while os.read(sys.stdin.fileno(), 4096):
                pass
        done.set()

    with Lab() as lab:
        print(json.dumps(lab.ports), flush=True)
        threading.Thread(target=watch_stdin, daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):
            while not done.wait(0.5):
                pass


if __name__ == "__main__":
    main()
