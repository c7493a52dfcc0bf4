"""What every lab service shares: the loopback address, the idle timeout, start and stop.

The constants live here, not in ``__init__``, so that each service module can import them
without importing the whole package (and so without an import cycle).
"""

from __future__ import annotations

import socketserver
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final, Self

if TYPE_CHECKING:
    from types import TracebackType

LOOPBACK: Final = "127.0.0.1"
#: Seconds a lab server waits on an idle client before hanging up, so no thread lingers.
IDLE_TIMEOUT: Final = 10
#: The name the services give themselves (no DNS lookup of this machine's name).
LAB_HOSTNAME: Final = "lab.ixion.test"


class Managed:
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


class Service(Managed):
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


class SocketServerService(Service):
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
