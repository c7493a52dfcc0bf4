"""What a connection needs to scan, handed by the daemon to each client handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ixion.server.attack import ScanService
    from ixion.server.config import ConfTable
    from ixion.server.detached_scans import DetachedRunner
    from ixion.server.options import Settings
    from ixion.server.persistence import Persistence
    from ixion.server.plugin_sets import PluginSets

__all__ = ["Scanning"]


@dataclass(frozen=True, slots=True)
class Scanning:
    """What a connection needs to scan: the daemon's settings and table, and the engine."""

    settings: Settings
    table: ConfTable
    service: ScanService
    #: Each user's plugins (the daemon's and their uploads); None: everyone sees the same.
    plugin_sets: PluginSets | None = None
    #: The store: sessions, saved KBs; None: scans keep nothing (sessions not offered).
    persistence: Persistence | None = None
    #: The daemon's detached scans; None: not offered.
    detached: DetachedRunner | None = None
