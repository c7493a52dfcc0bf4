"""A host's plugins and plan, made once in the fork server for every host that shares them.

The plan (:func:`~ixion.engine.schedule.plan`) depends on the plugins, the ids enabled and
the scan settings, never on the host. With a whole community feed in ``plugins_folder``
(some 135,000 plugins) it costs a worker about two seconds of CPU, and looking up every
plugin by origin copies about a hundred megabytes of the fork server's pages into the
worker (reference counts are writes). Made in the fork server instead, the first host of a
scan pays once; the hosts after it, and the next scan with the same choices, are forked
with plugins and plan in place and share their pages.

The fork server only prepares jobs whose plugins it already holds: the built-in ones and
those it preloaded from ``plugins_folder``. A job naming a user's uploaded script is left to
its worker, so describing untrusted NASL never happens in the process every scan forks from.
"""

from __future__ import annotations

import gc
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.loader import loaded_plugins
from ixion.engine.schedule import Planned, plan

if TYPE_CHECKING:
    from ixion.engine.job import HostJob, ScanSettings
    from ixion.plugin_api.plugin import Plugin

__all__ = ["Prepared", "Preparer"]

log = logging.getLogger(__name__)

#: Distinct (plugins, enabled, settings) choices kept. Each is a few tens of megabytes
#: with a whole feed; scans running at once rarely differ in more than a couple.
KEPT: Final = 4

_Key = tuple[tuple[str, ...], frozenset[int], "ScanSettings"]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a worker needs before it scans: the plugins that may run, in plan order."""

    plugins: tuple[Plugin, ...]
    plan: tuple[Planned, ...]


class Preparer:
    """The fork server's memory of recent plans, most recently used last."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._plans: OrderedDict[_Key, Prepared] = OrderedDict()

    def prepare(self, job: HostJob) -> Prepared | None:
        """The job's plugins and plan, or None if it names a plugin not preloaded here."""
        key: _Key = (job.origins, job.enabled, job.settings)
        prepared = self._plans.get(key)
        if prepared is not None:
            self._plans.move_to_end(key)
            return prepared
        plugins = loaded_plugins(job.origins)
        if plugins is None:
            return None
        planned = plan((p.info for p in plugins), job.enabled, job.settings)
        prepared = Prepared(plugins, tuple(planned))
        self._plans[key] = prepared
        while len(self._plans) > self._kept:
            self._plans.popitem(last=False)
        # As at start-up: the collector never walks these, here or in a worker, so the
        # workers' collections do not copy the pages they sit on.
        gc.freeze()
        log.debug("prepared a plan of %d plugins", len(prepared.plan))
        return prepared
