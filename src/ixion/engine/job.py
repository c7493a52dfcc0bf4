"""What a worker process needs to scan one host: plain, picklable, immutable data.

The daemon builds a :class:`HostJob` per target from the connection's settings; the worker
process that receives it knows nothing else about the daemon, its clients or NTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ixion.plugin_api.metadata import Category

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ixion.plugin_api.kb import KbValue, KbWrite
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.plugin_api.ports import PortRange

__all__ = ["HostJob", "ScanSettings", "effective_timeout"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanSettings:
    """The preferences the engine obeys (spec §5.2, §6.4), already resolved and typed."""

    port_range: PortRange
    max_checks: int = 10
    safe_checks: bool = True
    optimize_test: bool = True
    auto_enable_dependencies: bool = True
    silent_dependencies: bool = True
    unscanned_closed: bool = False
    #: Default limit of one plugin, seconds (``plugins_timeout``).
    plugins_timeout: float = 320.0
    #: Default read timeout of plugin sockets (``checks_read_timeout``).
    read_timeout: float = 5.0
    log_whole_attack: bool = False
    #: Ports or KB keys two plugins must not hit at once (``non_simult_ports``).
    non_simult_ports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HostJob:
    """One host to scan."""

    #: The target as the user wrote it; every event names the host this way.
    host: str
    #: The address plugins connect to (``host`` resolved).
    address: str
    #: Where to load every plugin that may run (see :attr:`ixion.plugin_api.plugin.Plugin.origin`).
    origins: tuple[str, ...]
    #: Ids the user enabled (``plugin_set``); dependencies are added per the settings.
    enabled: frozenset[int]
    settings: ScanSettings
    #: Every preference of the connection: the server's, the client's, plugin preferences
    #: (``name[type]:label``) and ``timeout.<id>``.
    preferences: Mapping[str, str] = field(default_factory=dict)
    #: Files the client attached: the name it gave -> where ixiond stored it.
    files: Mapping[str, str] = field(default_factory=dict)
    #: Where the includes of NASL scripts outside ``plugins_folder`` (a user's uploads) are
    #: looked for after the script's own directory: the daemon's ``plugins_folder``.
    include_dirs: tuple[str, ...] = ()
    #: Send each plugin's KB writes (``KbWrites``) and its ``PluginEnded`` on: the daemon
    #: keeps them with the session, or as the host's saved KB.
    journal: bool = False
    #: A saved KB to start from (``kb_restore``), oldest entry first.
    initial_kb: tuple[tuple[str, KbValue], ...] = ()
    #: A restored session's plugins that finished on this host, in the order they finished,
    #: with what each wrote to the KB: their writes are made again, they are not run again.
    resume: tuple[tuple[int, tuple[KbWrite, ...]], ...] = ()
    #: Categories whose plugins are not run again if the restored KB says they ran
    #: (``Launched/<id>``; the ``kb_dont_replay_*`` options).
    dont_replay: frozenset[Category] = frozenset()


def effective_timeout(info: PluginInfo, job: HostJob) -> float:
    """Seconds ``info`` may run on this host; 0 is no limit (spec §6.4 item 5).

    The client's ``timeout.<id>`` if it is a non-zero integer, else the plugin's own, else
    none for port scanners and ``plugins_timeout`` for the others. -1 (or any value below 1)
    means no limit.
    """
    seconds: float
    text = job.preferences.get(f"timeout.{info.id}", "").strip()
    try:
        asked = int(text) if text else 0
    except ValueError:
        asked = 0
    if asked:
        seconds = asked
    elif info.timeout is not None:
        seconds = info.timeout
    elif info.category is Category.SCANNER:
        seconds = 0
    else:
        seconds = job.settings.plugins_timeout
    return max(seconds, 0)
