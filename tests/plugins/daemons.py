"""Real daemons on 127.0.0.1 for the service checks' tests, each on ports the test picked.

Each daemon runs in the foreground with its configuration in a fresh directory, as a child
of the test; :func:`daemon` waits until it answers and, at the end, stops it by its PID
(SIGTERM, then SIGKILL) and nothing else. Ports come from :func:`free_port`: the kernel
picks one, the socket is closed and the daemon binds it a moment later (a port taken in
between makes the daemon fail to start, loudly). Directories that a daemon's own account
must reach are made under /tmp (pytest's ``tmp_path`` is private to root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.lab import LOOPBACK

__all__ = [
    "OPENSSL_REQ",
    "Running",
    "daemon",
    "free_port",
    "owned_dir",
    "tcp_answers",
    "udp_answers",
    "wait_until",
]

#: Seconds a daemon gets to answer after it starts.
START_TIMEOUT = 60.0
#: A self-signed certificate valid two days: add the subject, then -keyout and -out.
OPENSSL_REQ = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj"]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port nothing held a moment ago (TCP, or UDP with ``SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


def tcp_answers(port: int) -> Callable[[], bool]:
    """Whether something accepts connections on ``port``."""

    def probe() -> bool:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return True
        except OSError:
            return False

    return probe


def udp_answers(port: int, request: bytes) -> Callable[[], bool]:
    """Whether ``port`` answers ``request`` within half a second."""

    def probe() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.5)
            try:
                sock.sendto(request, (LOOPBACK, port))
                return bool(sock.recv(65535))
            except OSError:
                return False

    return probe


def wait_until(probe: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    """Poll ``probe`` until it holds; RuntimeError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout:g} s")
        time.sleep(0.1)


@contextmanager
def owned_dir(owner: str | None = None, prefix: str = "ixion-daemon-") -> Iterator[Path]:
    """A fresh directory under /tmp that every account may enter, given to ``owner``;
    removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)  # daemons that drop privileges must reach their files
    try:
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Running:
    """A started daemon: its process and where its output went."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def daemon(
    argv: Sequence[str | Path],
    *,
    ready: Callable[[], bool],
    log: Path,
    user: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Running]:
    """Start ``argv``, wait until ``ready()``, yield it; stop it by PID at the end."""
    environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **(env or {})}
    account = None if user is None else pwd.getpwnam(user)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(arg) for arg in argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=cwd,
            start_new_session=True,
            user=None if account is None else account.pw_uid,
            group=None if account is None else account.pw_gid,
            extra_groups=None if account is None else [],
        )
    running = Running(process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not start:\n{running.output()[-3000:]}")
            time.sleep(0.1)
        yield running
    finally:
        _stop(process)
