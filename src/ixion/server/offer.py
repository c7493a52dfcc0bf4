"""What clients are shown after login, built from the loaded plugins (spec §3.2, §3.3, §4.1).

The engine describes plugins with its own types; this module is where they become NTP
records: PLUGIN_LIST lines, PLUGINS_DEPENDENCIES (by plugin *name*, as nessusd sent them),
the MD5s of the md5-caching loop, and the plugin preferences inside PREFERENCES.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ixion import __version__
from ixion.ntp import Category as WireCategory
from ixion.ntp.records import Dependency, Md5Entry, PluginRecord
from ixion.server.config import ServerInfo, server_preferences

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ixion.engine.loader import Plugins
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.server.config import ConfTable

__all__ = ["Offer", "build_offer", "plugin_preferences", "plugin_record"]


@dataclass(frozen=True, slots=True)
class Offer:
    """What the daemon shows every client after login; rebuilt when plugins are reloaded."""

    plugins: tuple[PluginRecord, ...]
    dependencies: tuple[Dependency, ...]
    #: The PREFERENCES body (``ixion.server.config.server_preferences``).
    preferences: tuple[tuple[str, str], ...]
    #: MD5 over all plugin files, and per plugin (spec §3.7).
    md5: str
    md5_entries: tuple[Md5Entry, ...] = ()
    #: What NESSUS_VERSION answers. Clients written for nessusd check for a 2.x version.
    nessus_version: str = "2.2.5"
    openvas_version: str = "3.0.2"

    #: PLUGIN_INFO's index: a whole feed is 136,000 plugins, too many for a search per request.
    _by_id: dict[str, PluginRecord] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, PluginRecord] = {}
        for record in self.plugins:
            by_id.setdefault(record.id, record)  # the first of a repeated id, as a search found
        object.__setattr__(self, "_by_id", by_id)

    def plugin(self, plugin_id: str) -> PluginRecord | None:
        return self._by_id.get(plugin_id)

    @property
    def offers_sessions(self) -> bool:
        """PREFERENCES says sessions are kept (``ntp_save_sessions <|> yes``)."""
        return ("ntp_save_sessions", "yes") in self.preferences


def plugin_record(info: PluginInfo) -> PluginRecord:
    return PluginRecord(
        id=str(info.id),
        name=info.name,
        category=WireCategory[info.category.name],
        copyright=info.copyright,
        description=info.description,
        summary=info.summary,
        family=info.family,
        version=info.version,
        cve=info.cve,
        bid=info.bid,
        xref=info.xrefs,
    )


def _dependencies(infos: Sequence[PluginInfo]) -> tuple[Dependency, ...]:
    """One entry per plugin with dependencies, by name; unknown file names are left out."""
    by_filename = {info.filename: info.name for info in infos}
    entries = []
    for info in infos:
        names = tuple(by_filename[d] for d in info.dependencies if d in by_filename)
        if info.dependencies:
            entries.append(Dependency(name=info.name, dependencies=names))
    return tuple(entries)


def plugin_preferences(infos: Iterable[PluginInfo]) -> list[tuple[str, str]]:
    """``name[type]:label <|> default`` for every plugin preference (spec §3.3)."""
    return [
        (info.preference_key(preference), preference.default)
        for info in infos
        for preference in info.preferences
    ]


def build_offer(table: ConfTable, plugins: Plugins, *, sessions: bool = False) -> Offer:
    """PLUGIN_LIST, PREFERENCES and friends for these plugins.

    ``sessions``: the daemon keeps sessions and detached scans, and says so with
    ``ntp_save_sessions`` and ``ntp_detached_sessions`` (the reference client then asks for
    SESSIONS_LIST at once, spec §10.32); without a store they are left out.
    """
    infos = [plugin.info for plugin in plugins.all]
    info = ServerInfo(
        nessusd_version=f"ixiond {__version__}",
        libnasl_version="none",
        libnessus_version=__version__,
        thread_manager="fork",
        os=platform.system(),
        os_version=platform.release(),
    )
    md5s = [plugin.md5 for plugin in plugins.all]
    return Offer(
        plugins=tuple(plugin_record(i) for i in infos),
        dependencies=_dependencies(infos),
        preferences=server_preferences(
            table,
            server_info=info,
            plugin_preferences=plugin_preferences(infos),
            save_sessions=True if sessions else None,
            detached_sessions=True if sessions else None,
        ),
        md5=hashlib.md5("".join(md5s).encode(), usedforsecurity=False).hexdigest(),
        md5_entries=tuple(Md5Entry(key=str(p.info.id), md5=p.md5) for p in plugins.all),
    )
