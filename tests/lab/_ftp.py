"""FTP: pyftpdlib, read-only, on an I/O loop of its own in a thread of its own."""

from __future__ import annotations

import logging
import secrets
import threading
import warnings
from typing import Any

from ._base import IDLE_TIMEOUT, LOOPBACK, Service

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
