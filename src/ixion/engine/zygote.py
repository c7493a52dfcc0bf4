"""The fork server: a small process that imports the engine once, then forks a worker per host.

Run by the daemon as ``python -m ixion.engine.zygote FD [FOLDER CACHE]``, where FD is its end
of a Unix socket pair, FOLDER the daemon's ``plugins_folder`` and CACHE its NASL description
cache: the server loads those plugins, NASL scripts included, before it forks anything.

Why not ``multiprocessing``: its fork server re-imports the parent's ``__main__`` in every
child (the whole of pytest, or the daemon's command line), which is exactly the per-host cost
this exists to avoid, and it offers no way out of that.

The conversation on the control socket (the daemon is the only peer, and trusted):

* daemon -> server: ``<4-byte big-endian length><pickled HostJob>``, the first byte carrying
  one file descriptor (SCM_RIGHTS): the socket the worker writes its events to;
* server -> daemon: ``started <pid>\\n`` for each job, in order; ``exited <pid> <status>\\n``
  when a worker ends (status as :func:`os.waitstatus_to_exitcode`: negative for a signal).

When the daemon goes away (EOF on the socket) the server kills its workers and exits.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import selectors
import signal
import socket
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.engine.loader import builtin_origins, load_all, load_plugins
from ixion.engine.prepared import Prepared, Preparer
from ixion.engine.worker_main import run_worker

if TYPE_CHECKING:
    from ixion.engine.job import HostJob

__all__ = ["HEADER", "MAX_JOB_BYTES", "main"]

HEADER: Final = struct.Struct(">I")
#: A job is a few kilobytes; anything near this is a bug in the daemon.
MAX_JOB_BYTES: Final = 64 * 1024 * 1024


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _read_job(control: socket.socket) -> tuple[HostJob, int]:
    header, fds, _, _ = socket.recv_fds(control, HEADER.size, 1)
    if not header:
        raise EOFError
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        raise EOFError
    header += _recv_exact(control, HEADER.size - len(header))
    (size,) = HEADER.unpack(header)
    if size > MAX_JOB_BYTES:
        os.close(fds[0])
        raise EOFError
    job: HostJob = pickle.loads(_recv_exact(control, size))  # the daemon is trusted
    return job, fds[0]


def _fork_worker(
    job: HostJob, prepared: Prepared | None, events_fd: int, closing: list[int]
) -> int:
    pid = os.fork()
    if pid:
        os.close(events_fd)
        return pid
    # The worker: forget the server's plumbing, scan, and leave without cleanup handlers.
    status = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in closing:
            with contextlib.suppress(OSError):
                os.close(fd)
        run_worker(job, events_fd, prepared)
        status = 0
    finally:
        os._exit(status)


def _reap(children: set[int]) -> list[str]:
    notices = []
    while children:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        children.discard(pid)
        notices.append(f"exited {pid} {os.waitstatus_to_exitcode(wait_status)}\n")
    return notices


def serve(control: socket.socket) -> None:
    """Fork workers for the daemon until it closes the control socket."""
    children: set[int] = set()
    preparer = Preparer()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ, "control")
    selector.register(wake_read, selectors.EVENT_READ, "wake")
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "wake":
                    os.read(wake_read, 4096)
                    control.sendall("".join(_reap(children)).encode())
                    continue
                try:
                    job, events_fd = _read_job(control)
                except EOFError:
                    return
                prepared = preparer.prepare(job)
                closing = [control.fileno(), wake_read, wake_write]
                pid = _fork_worker(job, prepared, events_fd, closing)
                children.add(pid)
                control.sendall(f"started {pid}\n".encode())
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def main() -> None:
    # A ^C in the daemon's terminal is the daemon's to handle; it closes our socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=int(sys.argv[1]))
    control.setblocking(True)
    # Import and describe everything a worker needs once, here, so that forks share it.
    if len(sys.argv) == 4:
        load_all(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        load_plugins(builtin_origins())
    gc.collect()
    # Frozen objects are never visited by the collector, here or in the workers (which do
    # not unfreeze): a full collection in a worker would otherwise copy every shared page.
    gc.freeze()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        serve(control)


if __name__ == "__main__":
    main()
