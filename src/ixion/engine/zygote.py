"""The fork server: a small process that imports the engine once, then forks a worker per host.

Run by the daemon as ``python -m ixion.engine.zygote FD PARENT [FOLDER CACHE]``, where FD is
its end of a Unix socket pair, PARENT the daemon's pid, FOLDER the daemon's ``plugins_folder``
and CACHE its NASL description cache: the server loads those plugins, NASL scripts included,
before it forks anything.

Why not ``multiprocessing``: its fork server re-imports the parent's ``__main__`` in every
child (the whole of pytest, or the daemon's command line), which is exactly the per-host cost
this exists to avoid, and it offers no way out of that.

The conversation on the control socket (the daemon is the only peer, and trusted):

* daemon -> server: ``<4-byte big-endian length><pickled HostJob>``, the first byte carrying
  one file descriptor (SCM_RIGHTS): the socket the worker writes its events to;
* server -> daemon: ``started <pid>\\n`` or ``failed <reason>\\n`` for each job, in order
  (failed: no worker could be started, the server goes on); ``exited <pid> <status>\\n`` when a
  worker ends (status as :func:`os.waitstatus_to_exitcode`: negative for a signal,
  :data:`EXIT_NO_MEMORY` for a worker out of memory, :data:`EXIT_FAILED` for any other error).

Nothing outlives the daemon (:mod:`ixion.lifeline`): the server is sent SIGTERM when the
daemon ends, however it ends, and then kills its workers; a worker is sent SIGKILL when the
server ends. Each worker leads its own process group, which the server kills when the
worker ends, so that what a plugin started (a NASL ``pread``) ends with it. When the daemon
closes the socket the server kills its workers and exits too.
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
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

from ixion.engine.loader import builtin_origins, load_all, load_plugins
from ixion.engine.prepared import Prepared, Preparer
from ixion.engine.worker_main import run_worker
from ixion.lifeline import die_with_parent

if TYPE_CHECKING:
    from types import FrameType

    from ixion.engine.job import HostJob

__all__ = ["EXIT_FAILED", "EXIT_NO_MEMORY", "HEADER", "MAX_JOB_BYTES", "main"]

HEADER: Final = struct.Struct(">I")
#: A job is a few kilobytes; anything near this is a bug in the daemon.
MAX_JOB_BYTES: Final = 64 * 1024 * 1024
#: How a worker that did not finish its host exits: an error ended it, or memory ran out.
EXIT_FAILED: Final = 1
EXIT_NO_MEMORY: Final = 3


class JobRefused(Exception):
    """No worker can be started for this job; the server goes on with the next one."""


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _read_job(control: socket.socket) -> tuple[HostJob, int]:
    """The next job and its events socket.

    Raises:
        EOFError: the daemon closed the socket, or the stream cannot be read on.
        JobRefused: the socket did not arrive (at the limit of open files, the kernel drops
            it); the job was read, so the conversation goes on.
    """
    header, fds, flags, _ = socket.recv_fds(control, HEADER.size, 1)
    if not header:
        raise EOFError
    try:
        header += _recv_exact(control, HEADER.size - len(header))
        (size,) = HEADER.unpack(header)
        if size > MAX_JOB_BYTES:
            raise EOFError
        payload = _recv_exact(control, size)
        if len(fds) != 1:
            full = " (too many open files)" if flags & socket.MSG_CTRUNC else ""
            raise JobRefused(f"the fork server did not receive the worker's socket{full}")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    job: HostJob = pickle.loads(payload)  # the daemon is trusted
    return job, fds[0]


def _fork_worker(
    job: HostJob, prepared: Prepared | None, events_fd: int, closing: list[int]
) -> int:
    """Start the worker, which takes ``events_fd`` (closed here then; left open if the fork
    fails). Raises OSError."""
    server = os.getpid()
    pid = os.fork()
    if pid:
        os.close(events_fd)
        with contextlib.suppress(OSError):  # the worker does it too: whoever comes first
            os.setpgid(pid, pid)
        return pid
    # The worker: forget the server's plumbing, scan, and leave without cleanup handlers.
    status = EXIT_FAILED
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the server's handler is not ours
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        die_with_parent(server)
        os.setpgid(0, 0)
        for fd in closing:
            with contextlib.suppress(OSError):
                os.close(fd)
        run_worker(job, events_fd, prepared)
        status = 0
    except MemoryError:
        status = EXIT_NO_MEMORY
    except BaseException:
        traceback.print_exc()  # a worker has no log: the daemon's standard error gets it
    finally:
        os._exit(status)


def _start(
    job: HostJob, events_fd: int, preparer: Preparer, closing: list[int], children: set[int]
) -> str:
    """Fork the job's worker; the answer for the daemon."""
    try:
        prepared = preparer.prepare(job)
        pid = _fork_worker(job, prepared, events_fd, closing)
    except Exception as exc:  # this host's failure, not the server's
        os.close(events_fd)
        return f"failed cannot start a worker: {' '.join(str(exc).split()) or repr(exc)}\n"
    children.add(pid)
    return f"started {pid}\n"


def _reap(children: set[int]) -> list[str]:
    """Notices of the workers that ended; what each of them started is killed with it."""
    notices = []
    while children:
        try:
            ended = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            break
        if ended is None:
            break
        pid = ended.si_pid
        if pid in children:
            # Not reaped yet, so no other process can have taken its group's id.
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
        if pid in children:
            children.discard(pid)
            notices.append(f"exited {pid} {os.waitstatus_to_exitcode(wait_status)}\n")
    return notices


def _kill_all(children: set[int]) -> None:
    for pid in children:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def serve(control: socket.socket, children: set[int]) -> None:
    """Fork workers for the daemon until it closes the control socket; ``children``: the
    workers alive, killed when this returns."""
    preparer = Preparer()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ, "control")
    selector.register(wake_read, selectors.EVENT_READ, "wake")
    closing = [control.fileno(), wake_read, wake_write]
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
                except JobRefused as exc:
                    control.sendall(f"failed {exc}\n".encode())
                    continue
                control.sendall(_start(job, events_fd, preparer, closing, children).encode())
    finally:
        _kill_all(children)


def main() -> None:
    # A ^C in the daemon's terminal is the daemon's to handle; it closes our socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    children: set[int] = set()

    def parent_gone(signum: int, frame: FrameType | None) -> NoReturn:
        """The daemon ended without closing our socket (killed): so do we and our workers."""
        _kill_all(children)
        os._exit(0)

    signal.signal(signal.SIGTERM, parent_gone)
    die_with_parent(int(sys.argv[2]), signal.SIGTERM)
    control = socket.socket(fileno=int(sys.argv[1]))
    control.setblocking(True)
    # Import and describe everything a worker needs once, here, so that forks share it.
    if len(sys.argv) == 5:
        load_all(Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        load_plugins(builtin_origins())
    gc.collect()
    # Frozen objects are never visited by the collector, here or in the workers (which do
    # not unfreeze): a full collection in a worker would otherwise copy every shared page.
    gc.freeze()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        serve(control, children)


if __name__ == "__main__":
    main()
