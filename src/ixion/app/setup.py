"""An embedded scan's settings and plugins: the daemon's defaults, changed by the options.

The scan must behave as a scan through a freshly installed ixiond would, so it starts from
the configuration ``ixiond -g`` writes (:func:`~ixion.server.config.default_config_text`:
``safe_checks = yes``, ``max_checks = 10``, ``plugins_timeout = 320``, ``min_qod`` 70,
checks with default passwords off...) and changes only what the command line asks for, the
way a client's PREFERENCES change a connection's copy. It adds the flags ixion's client
always sends (:data:`~ixion.client.preferences.CLIENT_FLAGS`), so that the messages the scan
produces are those a client of ixiond collects, and so the report.

Plugins load as the daemon loads them (:func:`~ixion.engine.loader.load_all`): the built-in
ones, then, with ``--plugins-dir``, its trusted Python plugins and its NASL scripts, whose
descriptions are cached under the user's cache directory (one cache per folder), so only the
first scan with a feed pays for describing it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.client.preferences import CLIENT_FLAGS
from ixion.engine.loader import Plugins, builtin_origins, load_all, load_plugins
from ixion.ntp import LocalProtocolError
from ixion.reports.collect import plugin_facts as facts_of_record
from ixion.server.config import (
    ConfTable,
    Entry,
    Locations,
    default_config_text,
    parse_config,
    resolve_settings,
)
from ixion.server.offer import plugin_record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ixion.plugin_api.metadata import PluginInfo
    from ixion.reports.results import PluginFacts
    from ixion.server.options import Settings

__all__ = [
    "DEFAULT_PLUGINS",
    "RATE_PREFERENCES",
    "ScanChoices",
    "cache_dir",
    "load_scan_plugins",
    "nasl_cache_for",
    "plugin_facts",
    "rate_preferences",
    "scan_table",
]

#: What ``--plugins`` is when not given: every check but those that may harm a service.
DEFAULT_PLUGINS: Final = "config:full-and-fast"
#: The per-host knobs ``--max-rate`` sets: (plugin id, preference name, highest value). The
#: UDP scanner sends at most that many datagrams a second (it paces every send); the TCP
#: connect scanner keeps at most that many connection attempts in flight, each lasting up to
#: its timeout, so its rate stays below the number too.
RATE_PREFERENCES: Final = (
    (90000003, "Packets per second", 100_000),
    (10335, "Maximum simultaneous connections", 4096),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanChoices:
    """What the command line chose, typed; each field is an ``ixiond.conf`` key or feeds one."""

    port_range: str
    #: ``plugin_set`` terms (:mod:`ixion.plugin_api.selection`).
    plugin_terms: tuple[str, ...] = (DEFAULT_PLUGINS,)
    plugins_dir: Path | None = None
    safe_checks: bool = True
    #: Hosts at once and plugins at once per host; None: the daemon's defaults.
    max_hosts: int | None = None
    max_checks: int | None = None
    #: Seconds one plugin may run; None: the daemon's default.
    plugin_timeout: int | None = None
    #: Addresses the targets may make (``--max-targets``, checked before the scan starts);
    #: the scan's ``max_hosts_per_scan``. None: the daemon's default.
    max_targets: int | None = None
    min_qod: int = 70
    #: Plugin preferences (credentials, ``--set``), in order.
    preferences: tuple[tuple[str, str], ...] = ()
    #: Local files ``[file]`` preferences name.
    files: Mapping[str, str] = field(default_factory=dict)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/ixion``, or ``~/.cache/ixion`` (the XDG rule: a relative value is
    ignored)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base.startswith("/") else Path.home() / ".cache"
    return root / "ixion"


def nasl_cache_for(plugins_dir: Path, cache: Path) -> Path:
    """The description cache of one plugins folder: one file per folder, named by its path."""
    tag = hashlib.sha256(str(plugins_dir.resolve()).encode()).hexdigest()[:16]
    return cache / "nasl" / f"{tag}.sqlite"


def load_scan_plugins(plugins_dir: Path | None, cache: Path) -> Plugins:
    """The plugins the scan may run, as ixiond loads them for a ``plugins_folder``."""
    if plugins_dir is None:
        return load_plugins(builtin_origins())
    nasl_cache = nasl_cache_for(plugins_dir, cache)
    nasl_cache.parent.mkdir(parents=True, exist_ok=True)
    return load_all(plugins_dir, nasl_cache)


def rate_preferences(rate: int, infos: Iterable[PluginInfo]) -> list[tuple[str, str]]:
    """The plugin preferences that hold each port scanner of ``infos`` to ``rate``."""
    by_id = {info.id: info for info in infos}
    items = []
    for plugin_id, name, highest in RATE_PREFERENCES:
        info = by_id.get(plugin_id)
        declared = info.preference(name) if info is not None else None
        if info is not None and declared is not None:
            items.append((info.preference_key(declared), str(min(rate, highest))))
    return items


def scan_table(choices: ScanChoices, locations: Locations) -> tuple[ConfTable, Settings]:
    """The conf table the scan's jobs read preferences from, and its resolved settings.

    Raises:
        ConfigError: a value the daemon would refuse (the command line checks ranges first,
            so this means a bug, or a ``--set`` of a daemon key to a bad value).
    """
    values = {
        "port_range": choices.port_range,
        "plugin_set": ";".join(choices.plugin_terms),
        "safe_checks": "yes" if choices.safe_checks else "no",
        "min_qod": str(choices.min_qod),
        **dict(CLIENT_FLAGS),
        # The folder NASL includes are looked up in; where nothing loads from without -d.
        "plugins_folder": str(choices.plugins_dir or locations.state_dir / "plugins"),
    }
    optional = {
        "max_hosts": choices.max_hosts,
        "max_checks": choices.max_checks,
        "plugins_timeout": choices.plugin_timeout,
        # The largest integer an ixiond.conf value may be; more than any real scan names.
        "max_hosts_per_scan": None
        if choices.max_targets is None
        else min(choices.max_targets, 999_999_999_999),
    }
    values.update((name, str(value)) for name, value in optional.items() if value is not None)
    defaults = parse_config(default_config_text(locations))
    table = _changed(defaults, [*values.items(), *choices.preferences])
    return table, resolve_settings(table, locations).settings


def _changed(table: ConfTable, values: Iterable[tuple[str, str]]) -> ConfTable:
    """``table`` with each name's effective entry set to its value, or the name appended."""
    pending = dict(values)
    entries = []
    for entry in table:
        if entry.name in pending and table.entry(entry.name) is entry:
            entries.append(Entry(entry.name, pending.pop(entry.name), entry.line))
        else:
            entries.append(entry)
    entries.extend(Entry(name, value) for name, value in pending.items())
    return ConfTable(tuple(entries))


def plugin_facts(infos: Iterable[PluginInfo]) -> list[PluginFacts]:
    """What a report may say of each plugin, as ixion's client learns it from PLUGIN_LIST.

    Built from the record ixiond would send (:func:`~ixion.server.offer.plugin_record`), so
    names, families and category words are the ones a daemon's client would show. A plugin
    whose metadata a report cannot carry (a name on two lines) is left out: its findings
    then show its id, as findings read back from NBE do.
    """
    facts = []
    for info in infos:
        try:
            fact = facts_of_record(plugin_record(info))
        except (ValueError, LocalProtocolError):
            continue
        if fact is not None:
            facts.append(fact)
    return facts
