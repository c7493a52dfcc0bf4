"""Inside a worker process: scan one host and write its events to a socket.

Plugin timeouts are enforced twice. :class:`~ixion.engine.host.HostScan` runs each plugin under
``asyncio.timeout``, which ends any plugin that awaits. A plugin that never yields (a busy loop,
a blocking call) would hold the event loop past any timeout, so a SIGALRM every half second
checks which plugin holds the loop and raises :class:`~ixion.engine.host.PluginTimeout` inside
it once it is :data:`SPIN_GRACE` seconds late. Code that blocks even signals (a long C call) is
the daemon's to kill (:class:`ixion.engine.worker.HostWorker`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.engine.events import to_json
from ixion.engine.host import HostScan, PluginTimeout
from ixion.engine.loader import load_plugins

if TYPE_CHECKING:
    from types import FrameType

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob
    from ixion.engine.prepared import Prepared

__all__ = ["SPIN_GRACE", "run_worker"]

#: Seconds past its deadline before a plugin that holds the loop is interrupted.
SPIN_GRACE: Final = 1.0
_ALARM_INTERVAL: Final = 0.5


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def run_worker(job: HostJob, events_fd: int, prepared: Prepared | None = None) -> None:
    """Scan ``job.host`` to the end, writing one JSON event per line to ``events_fd``.

    ``prepared``: the plugins and plan the fork server made for jobs like this one; None:
    load and plan here.
    """
    logging.getLogger().addHandler(logging.NullHandler())
    os.set_blocking(events_fd, True)  # back-pressure: a slow client slows its workers
    if prepared is None:
        plugins = load_plugins(job.origins, [Path(d) for d in job.include_dirs]).all
        planned = None
    else:
        plugins, planned = prepared.plugins, prepared.plan

    def emit(event: Event) -> None:
        _write_all(events_fd, to_json(event))

    async def main() -> None:
        scan = HostScan(job, plugins, emit, planned)

        def on_alarm(signum: int, frame: FrameType | None) -> None:
            try:
                task = asyncio.current_task()
            except RuntimeError:
                return
            deadline = scan.running_task_deadline(task)
            if deadline and time.monotonic() > deadline + SPIN_GRACE:
                raise PluginTimeout

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, _ALARM_INTERVAL, _ALARM_INTERVAL)
        try:
            await scan.run()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    asyncio.run(main())
