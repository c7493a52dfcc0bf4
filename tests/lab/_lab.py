"""The lab as a whole: services started together, closed ports held, and the demo's script.

:func:`main` lives here rather than in ``__main__``: ``__init__`` re-exports it, and a
package that imports its own ``__main__`` makes ``python -m`` run that module twice (and
warn about it).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING

from ._base import LOOPBACK, Managed, Service
from ._ftp import FtpService
from ._http import HttpService, HttpsService
from ._smtp import SmtpService
from ._ssh import SshService

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


def default_services() -> dict[str, Service]:
    """What ``python -m tests.lab`` runs: one of each real server."""
    return {
        "http": HttpService(),
        "https": HttpsService(),
        "smtp": SmtpService(),
        "ftp": FtpService(),
        "ssh": SshService(),
    }


class Lab(Managed):
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
