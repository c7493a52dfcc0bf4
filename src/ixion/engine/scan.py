"""A scan: many hosts, ``max_hosts`` at a time, their events merged into one stream.

The engine's interface to whoever starts scans (the daemon, a test): hand it host jobs,
iterate over :meth:`Scan.events`, call :meth:`Scan.stop_host` or :meth:`Scan.stop` from
anywhere on the same loop. It knows nothing of NTP, users or rules; the caller filtered the
targets already.

Events go through a bounded queue: when the consumer (a client on a slow link) falls behind,
workers block on their pipes instead of the daemon buffering without limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Final, Protocol

from ixion.engine.events import HostFinished

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob

__all__ = ["QUEUE_SIZE", "HostRunner", "Scan"]

log = logging.getLogger(__name__)

#: Events buffered between the workers and the consumer.
QUEUE_SIZE: Final = 1000


class HostRunner(Protocol):
    """What scans one host: a :class:`~ixion.engine.worker.HostWorker` in the daemon."""

    async def run(self, emit: Callable[[Event], Awaitable[None]]) -> None: ...

    def stop(self, reason: str = "stopped") -> None: ...


class Scan:
    """Hosts scanned in parallel, up to ``max_hosts`` at once."""

    def __init__(
        self,
        jobs: AsyncIterable[HostJob],
        *,
        max_hosts: int,
        runner: Callable[[HostJob], HostRunner],
    ) -> None:
        self._jobs = jobs
        self._max_hosts = max(1, max_hosts)
        self._runner = runner
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self._active: dict[str, HostRunner] = {}
        self._stopping = False
        self._driver: asyncio.Task[None] | None = None

    async def events(self) -> AsyncGenerator[Event, None]:
        """Every event of every host, as they come; ends when the last host finished."""
        self._driver = asyncio.create_task(self._drive(), name="scan-driver")
        try:
            while (event := await self._queue.get()) is not None:
                yield event
        finally:
            self.stop()
            if not self._driver.done():
                # Drain so that blocked workers can finish their last put and exit.
                while not self._driver.done():
                    try:
                        async with asyncio.timeout(0.1):
                            await self._queue.get()
                    except TimeoutError:
                        pass

    def stop_host(self, host: str) -> bool:
        """Stop scanning ``host``; False if it is not being scanned."""
        runner = self._active.get(host)
        if runner is None:
            return False
        runner.stop("stopped by the user")
        return True

    def stop(self) -> None:
        """Stop every host; start no new one."""
        self._stopping = True
        for runner in list(self._active.values()):
            runner.stop("stopped by the user")

    @property
    def stopping(self) -> bool:
        """:meth:`stop` was called: no new host will start."""
        return self._stopping

    @property
    def active_hosts(self) -> tuple[str, ...]:
        return tuple(self._active)

    async def _drive(self) -> None:
        running: set[asyncio.Task[None]] = set()
        try:
            async for job in self._jobs:
                while len(running) >= self._max_hosts:
                    _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                if self._stopping:
                    break
                running.add(asyncio.create_task(self._host(job), name=f"host-{job.host}"))
            if running:
                await asyncio.wait(running)
        finally:
            for task in running:
                task.cancel()
            await self._queue.put(None)

    async def _host(self, job: HostJob) -> None:
        if job.host in self._active:  # the same target twice: scan it once
            return
        runner = self._runner(job)
        self._active[job.host] = runner
        try:
            await runner.run(self._queue.put)
        except Exception:  # one host's failure must not end the scan
            log.exception("%s: scan failed", job.host)
            await self._queue.put(HostFinished(job.host, time.time(), "internal error", True))
        finally:
            del self._active[job.host]
