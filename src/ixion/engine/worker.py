"""The daemon's side of host workers: the fork server it talks to, and one worker per host.

Why a process per host: plugin code must never run on the daemon's event loop. A plugin that
spins, blocks, leaks or crashes the interpreter then stalls or kills only its host's worker,
while the daemon keeps serving every client and every other host; nessusd forked per host for
the same reason. Why forked from :mod:`ixion.engine.zygote`: a fork of a process that already
imported the engine and the plugins shares those pages copy-on-write: ``bench/host_memory.py``
measured 4.2 MiB of private memory per scanned host, against 15.4 MiB for a fresh interpreter
importing the same modules, and 0.17 s to have 50 hosts' workers running.

A worker writes its events to a socket, one JSON line each (:mod:`ixion.engine.events`), and
the daemon reads them with asyncio. If a plugin is still running :data:`HARD_KILL_GRACE`
seconds past its deadline (the worker's own guard failed: a C call that ignores signals), the
daemon kills the worker and the host ends with the reason.

A host whose scan did not run to its end for any other reason than a stop (its worker killed
by a signal, by the kernel short of memory, failed, or never started; a plugin out of memory)
ends with a :class:`~ixion.engine.events.HostFinished` that says it *failed*, and why, and the
daemon's log says so with the worker's signal or exit status: a lost host never looks like a
finished one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import socket
import sys
import time
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.engine.events import (
    MAX_EVENT_BYTES,
    EventError,
    HostFinished,
    PluginEnded,
    PluginLog,
    PluginStarted,
    from_json,
)
from ixion.engine.zygote import EXIT_NO_MEMORY, HEADER

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob

__all__ = ["HARD_KILL_GRACE", "ForkServer", "ForkServerError", "HostWorker"]

log = logging.getLogger(__name__)

#: Seconds past a plugin's deadline before the daemon kills its host's worker.
HARD_KILL_GRACE: Final = 10.0
#: A plugin's log message on one line of the daemon's log, whatever the script put in it.
_ONE_LINE: Final = str.maketrans({"\n": "\\n", "\r": "\\r"})
#: How a plugin that ran out of memory ends (:meth:`HostScan._guarded` writes the repr).
_OUT_OF_MEMORY: Final = "error: MemoryError("
#: The fork server's answer to a job: the worker's pid, or why there is none (0: it stopped).
_Answer: TypeAlias = int | str


class ForkServerError(OSError):
    """The fork server is not running and could not be started."""


class ForkServer:
    """The daemon's handle on :mod:`ixion.engine.zygote`; started on first use, restarted
    if it dies. Use on one event loop."""

    def __init__(self, preload: tuple[Path, Path] | None = None) -> None:
        #: The plugins folder and NASL cache the server loads before forking (see zygote).
        self._preload = preload
        self._process: asyncio.subprocess.Process | None = None
        self._control: socket.socket | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._started: asyncio.Queue[_Answer] = asyncio.Queue()
        #: pid -> future of its exit status, for every worker still alive.
        self._exits: dict[int, asyncio.Future[int]] = {}

    async def start(self) -> None:
        async with self._lock:
            await self._ensure_running()

    async def _ensure_running(self) -> None:
        process, control = self._process, self._control
        if process is not None and process.returncode is None:
            if control is not None and control.fileno() != -1:
                return
            with contextlib.suppress(ProcessLookupError):  # it hung up on us: no job could
                process.kill()  # reach it any more
            await process.wait()
        ours, theirs = socket.socketpair()
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "ixion.engine.zygote",
                str(theirs.fileno()),
                str(os.getpid()),
                *(str(path) for path in self._preload or ()),
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            ours.close()
            raise ForkServerError(f"cannot start the fork server: {exc}") from exc
        finally:
            theirs.close()
        ours.setblocking(False)
        self._control = ours
        self._started = asyncio.Queue()
        self._reader = asyncio.create_task(self._read_control(ours), name="fork-server")

    async def _read_control(self, control: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        buffer = b""
        try:
            while data := await loop.sock_recv(control, 4096):
                buffer += data
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self._on_control_line(line.decode("ascii", "replace").split())
        except OSError as exc:
            log.error("fork server connection failed: %s", exc)
        finally:
            log.debug("fork server gone")
            control.close()
            for pid, future in self._exits.items():
                if not future.done():
                    # Its workers died with it (SIGKILL); what they started goes now.
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
                    future.set_result(-signal.SIGKILL)
            self._started.put_nowait(0)  # wakes a fork() waiting for an answer

    def _on_control_line(self, words: list[str]) -> None:
        if len(words) == 2 and words[0] == "started":
            pid = int(words[1])
            self._exits[pid] = asyncio.get_running_loop().create_future()
            self._started.put_nowait(pid)
        elif len(words) > 1 and words[0] == "failed":
            self._started.put_nowait(" ".join(words[1:]))
        elif len(words) == 3 and words[0] == "exited":
            future = self._exits.get(int(words[1]))
            if future is not None and not future.done():
                future.set_result(int(words[2]))

    async def fork(self, job: HostJob) -> tuple[int, socket.socket]:
        """Start a worker for ``job``; its pid and the socket its events arrive on."""
        ours, theirs = socket.socketpair()
        try:
            payload = pickle.dumps(job)
            async with self._lock:
                await self._ensure_running()
                assert self._control is not None
                message = HEADER.pack(len(payload)) + payload
                sent = socket.send_fds(self._control, [message[:1]], [theirs.fileno()])
                await asyncio.get_running_loop().sock_sendall(self._control, message[sent:])
                answer = await self._started.get()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        if isinstance(answer, str) or answer == 0:
            ours.close()
            raise ForkServerError(answer or "the fork server stopped")
        return answer, ours

    async def exit_status(self, pid: int) -> int:
        """How a worker ended (negative: killed by that signal); forgets the worker."""
        future = self._exits.get(pid)
        if future is None:
            return 0
        status = await future
        self._exits.pop(pid, None)
        return status

    def kill(self, pid: int) -> None:
        """Kill a worker that is still alive (never a pid the server already reaped)."""
        future = self._exits.get(pid)
        if future is not None and not future.done():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    async def close(self) -> None:
        """Stop the server; it kills its workers when its socket closes."""
        if self._control is not None:
            self._control.close()
        if self._reader is not None:
            self._reader.cancel()
        if self._process is not None and self._process.returncode is None:
            try:
                async with asyncio.timeout(5):
                    await self._process.wait()
            except TimeoutError:
                self._process.kill()
                await self._process.wait()


class HostWorker:
    """One host's worker process, seen from the daemon."""

    def __init__(
        self, job: HostJob, server: ForkServer, *, observe: Callable[[Event], None] | None = None
    ) -> None:
        """``observe`` sees every event the worker sends, before the watchdog's books keep
        some back (PluginStarted, a PluginEnded not journaled): a live display wants to know
        which check runs; and the host's HostFinished as the daemon passes it on. It must not
        raise."""
        self.job = job
        self._server = server
        self._observe = observe
        self._pid = 0
        #: Why the host ends early, and whether that is a failure, as first decided.
        self._end_reason = ""
        self._failed = False
        #: plugin id -> monotonic time after which the worker is killed.
        self._deadlines: dict[int, float] = {}

    def stop(self, reason: str = "stopped") -> None:
        """Kill the worker; its host ends with ``reason``."""
        self._end_early(reason, failed=False)
        if self._pid:
            self._server.kill(self._pid)

    def _fail(self, reason: str, *, kill: bool = True) -> None:
        """The host's scan failed (``reason``); ``kill``: so its worker goes."""
        self._end_early(reason, failed=True)
        if kill and self._pid:
            self._server.kill(self._pid)

    def _end_early(self, reason: str, *, failed: bool) -> None:
        if not self._end_reason:
            self._end_reason, self._failed = reason, failed

    async def run(self, emit: Callable[[Event], Awaitable[None]]) -> None:
        """Scan the host; pass on its events; always end with exactly one HostFinished."""
        finished = False
        status = 0
        try:
            self._pid, sock = await self._server.fork(self.job)
            if self._end_reason:
                self._server.kill(self._pid)
            reader, writer = await asyncio.open_unix_connection(sock=sock, limit=MAX_EVENT_BYTES)
            watchdog = asyncio.create_task(self._watch())
            try:
                while line := await _read_line(reader):
                    received = from_json(line)
                    if self._observe is not None and not isinstance(received, HostFinished):
                        self._observe(received)
                    event = self._track(received)
                    if isinstance(event, HostFinished):
                        finished = True
                        await self._finish(event, emit)
                    elif event is not None:
                        await emit(event)
            finally:
                watchdog.cancel()
                writer.close()
        except (EventError, ValueError, asyncio.LimitOverrunError) as exc:
            log.error(
                "%s: worker %d sent a bad event, killing it: %s", self.job.host, self._pid, exc
            )
            self._fail("killed: bad output from the worker")
        except OSError as exc:
            log.error("%s: cannot run a worker: %s", self.job.host, exc)
            started = bool(self._pid)
            self._fail(
                f"the worker's events were lost: {exc}"
                if started
                else f"no worker could be started: {exc}"
            )
        finally:
            if self._pid:
                if not finished:
                    self._server.kill(self._pid)
                status = await self._exit_status()
        if not finished:
            if not self._end_reason:
                self._fail(_status_reason(status), kill=False)
            event = HostFinished(self.job.host, time.time(), self._end_reason, self._failed)
            await self._finish(event, emit, status)

    async def _finish(
        self,
        event: HostFinished,
        emit: Callable[[Event], Awaitable[None]],
        status: int | None = None,
    ) -> None:
        """Pass on the host's end; a failure is logged, with the worker's exit status when it
        ended before its host (negative: the signal that killed it)."""
        if event.failed:
            worker = f" (worker {self._pid}" if self._pid else ""
            if worker:
                worker += ")" if status is None else f", exit status {status})"
            log.error("%s: the scan of this host failed: %s%s", self.job.host, event.reason, worker)
        if self._observe is not None:
            self._observe(event)
        await emit(event)

    async def _exit_status(self) -> int:
        try:
            async with asyncio.timeout(HARD_KILL_GRACE):
                return await self._server.exit_status(self._pid)
        except TimeoutError:  # done talking, yet still there
            self._server.kill(self._pid)
            return await self._server.exit_status(self._pid)

    def _track(self, event: Event) -> Event | None:
        """Keep the watchdog's books; the event to pass on, if any."""
        if isinstance(event, PluginStarted):
            if event.timeout > 0:
                deadline = time.monotonic() + event.timeout + HARD_KILL_GRACE
                self._deadlines[event.plugin_id] = deadline
            return None
        if isinstance(event, PluginEnded):
            self._deadlines.pop(event.plugin_id, None)
            if event.outcome != "done":
                log.info("%s: plugin %d: %s", self.job.host, event.plugin_id, event.outcome)
            if event.outcome.startswith(_OUT_OF_MEMORY):
                self._fail(f"plugin {event.plugin_id} ran out of memory", kill=False)
            return event if self.job.journal else None
        if isinstance(event, PluginLog):  # the worker has no log: this is its log
            message = event.message.translate(_ONE_LINE)
            logging.getLogger(event.logger).log(event.level, "%s: %s", self.job.host, message)
            return None
        if isinstance(event, HostFinished) and self._end_reason:
            return HostFinished(event.host, event.when, self._end_reason, self._failed)
        return event

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1)
            now = time.monotonic()
            late = [plugin for plugin, deadline in self._deadlines.items() if now > deadline]
            if late:
                log.warning("%s: plugin %d is stuck past its timeout", self.job.host, late[0])
                self._fail(f"killed: plugin {late[0]} did not stop at its time limit")
                return


def _status_reason(status: int) -> str:
    """Why a worker that did not finish its host ended, from its exit status."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            return f"the worker died of signal {-status}"
        return f"the worker died of signal {-status} ({name})"
    if status == EXIT_NO_MEMORY:
        return "the worker ran out of memory"
    if status > 0:
        return f"the worker failed (exit status {status})"
    return "the worker ended early"


async def _read_line(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise EventError("truncated event line") from None
        return b""
