"""Inside a worker process: scan one host and write its events to a socket.

Plugin timeouts are enforced twice. :class:`~ixion.engine.host.HostScan` runs each plugin under
``asyncio.timeout``, which ends any plugin that awaits. A plugin that never yields (a busy loop,
a blocking call) would hold the event loop past any timeout, so a SIGALRM every half second
checks which plugin holds the loop and raises :class:`~ixion.engine.host.PluginTimeout` inside
it once it is :data:`SPIN_GRACE` seconds late. Code that blocks even signals (a long C call) is
the daemon's to kill (:class:`ixion.engine.worker.HostWorker`).

A worker has no log of its own: the warnings of plugins and of the NASL interpreter (an
undefined function a script called) go to the daemon as :class:`~ixion.engine.events.PluginLog`
events, at most :data:`LOGS_PER_PLUGIN` per plugin, for the daemon to log.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.engine.events import (
    LOG_NAME_CHARS,
    LOG_TEXT_CHARS,
    PLUGIN_LOGGERS,
    PluginLog,
    to_json,
)
from ixion.engine.host import HostScan, PluginTimeout
from ixion.engine.loader import load_plugins

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob
    from ixion.engine.prepared import Prepared
    from ixion.plugin_api.plugin import Plugin

__all__ = ["LOGS_PER_PLUGIN", "SPIN_GRACE", "PluginLogs", "run_worker"]

#: Seconds past its deadline before a plugin that holds the loop is interrupted.
SPIN_GRACE: Final = 1.0
_ALARM_INTERVAL: Final = 0.5
#: Records one plugin may send the daemon per host; then one saying the rest are dropped, so
#: that a noisy plugin cannot flood the daemon's log.
LOGS_PER_PLUGIN: Final = 20
_PLUGIN_PREFIX: Final = "ixion.plugin."
#: The levels a record is sent at: a custom level becomes the standard one below it.
_LEVELS: Final = (logging.WARNING, logging.ERROR, logging.CRITICAL)


class PluginLogs(logging.Handler):
    """Sends WARNING-and-above records of :data:`PLUGIN_LOGGERS` as PluginLog events.

    Called from the loop's thread and from NASL scripts' threads alike; ``send`` must be
    safe to call from both.
    """

    def __init__(
        self, host: str, plugins: Sequence[Plugin], send: Callable[[PluginLog], None]
    ) -> None:
        super().__init__(logging.WARNING)
        self._host = host
        self._ids = {plugin.info.filename: plugin.info.id for plugin in plugins}
        self._send = send
        self._sent: Counter[int] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            filename = record.name.removeprefix(_PLUGIN_PREFIX)
            plugin_id = self._ids.get(filename, 0) if filename != record.name else 0
            self._sent[plugin_id] += 1
            count = self._sent[plugin_id]
            if count > LOGS_PER_PLUGIN + 1:
                return
            if count > LOGS_PER_PLUGIN:
                level = logging.WARNING
                message = f"more than {LOGS_PER_PLUGIN} messages; further ones suppressed"
            else:
                level = max(known for known in _LEVELS if known <= record.levelno)
                message = record.getMessage()[:LOG_TEXT_CHARS]
            name = record.name[:LOG_NAME_CHARS]
            self._send(PluginLog(self._host, plugin_id, level, name, message))
        except Exception:
            self.handleError(record)


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
    writing = threading.Lock()  # NASL threads log too: one line at a time

    def emit(event: Event) -> None:
        data = to_json(event)
        with writing:
            _write_all(events_fd, data)

    handler = PluginLogs(job.host, plugins, emit)
    for name in PLUGIN_LOGGERS:
        logging.getLogger(name).addHandler(handler)

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
