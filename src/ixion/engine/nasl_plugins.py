"""NASL scripts as engine plugins: described once, cached, then scheduled like Python ones.

A folder's scripts are described through the catalog (:mod:`ixion.nasl.catalog.cache`), whose
SQLite cache lives in the state directory, so a restart reads no script that did not change.
Each described script becomes a :class:`~ixion.plugin_api.plugin.Plugin` whose ``origin`` is its
absolute path and whose ``run`` is a :class:`~ixion.engine.nasl_run.NaslRun`.

Plugins loaded here are remembered for the life of the process (:func:`preload_nasl`): the
fork server preloads the daemon's folder before it forks, so a host's worker finds all of
them in memory, shared copy-on-write. A script the process has not seen (one a user uploaded
after the fork server started) is described when a worker first asks for it.

Every NASL plugin runs untrusted: ixion does not verify script signatures, so none may use
the file and command built-ins (nasl.md §3, "Unsafe").

``md5`` (what PLUGINS_MD5 lists) is the MD5 of the script's description record: a client
caches plugin descriptions by it, and it changes exactly when what the client would show
changes.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.engine.nasl_run import NaslRun
from ixion.nasl.catalog.cache import load_catalog
from ixion.nasl.catalog.describe import Describer, DescriptionError
from ixion.nasl.catalog.plugin_info import plugin_infos, to_plugin_info
from ixion.nasl.description.metadata import to_bytes
from ixion.plugin_api.plugin import Plugin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.nasl.description.metadata import NaslMetadata
    from ixion.plugin_api.metadata import PluginInfo

__all__ = [
    "NASL_SUFFIX",
    "NaslLoadError",
    "NaslPreload",
    "load_nasl_plugin",
    "nasl_plugin",
    "preload_nasl",
    "preloaded_nasl_plugin",
]

log = logging.getLogger(__name__)

NASL_SUFFIX: Final = ".nasl"

#: Plugins this process has loaded, by origin (absolute path).
_LOADED: dict[str, Plugin] = {}


class NaslLoadError(Exception):
    """A script that cannot be a plugin; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class NaslPreload:
    """The scripts of a folder that became plugins (their origins), and why others did not."""

    origins: tuple[str, ...]
    errors: tuple[str, ...]


def nasl_plugin(
    path: Path, meta: NaslMetadata, include_dirs: Sequence[Path], info: PluginInfo | None = None
) -> Plugin:
    """The plugin for the script at ``path`` (absolute) described by ``meta`` (and already
    converted to ``info``, when the caller did that for many at once).

    Raises:
        NaslLoadError: the metadata lacks an id or a name, or has a bad category.
    """
    if info is None:
        try:
            info = to_plugin_info(meta, path.name)
        except ValueError as err:
            raise NaslLoadError(str(err)) from None
    md5 = hashlib.md5(to_bytes(meta), usedforsecurity=False).hexdigest()
    run = NaslRun(path, tuple(include_dirs), meta.oid)
    return Plugin(info=info, run=run, origin=str(path), md5=md5)


def preload_nasl(
    folder: Path, cache: Path, include_dirs: Sequence[Path] | None = None
) -> NaslPreload:
    """Describe (or take from ``cache``) every script under ``folder`` and remember it.

    ``include_dirs`` defaults to ``folder``: a feed keeps its ``.inc`` files at the top.
    A folder that does not exist has no scripts; a cache that cannot be used is a logged
    error, and the scripts are then described without it.
    """
    folder = folder.resolve()
    dirs = [folder] if include_dirs is None else [Path(d) for d in include_dirs]
    if not folder.is_dir():
        return NaslPreload((), ())
    try:
        catalog = load_catalog(folder, cache, dirs)
    except (OSError, sqlite3.Error) as err:
        log.error("NASL description cache %s unusable (%s); describing without it", cache, err)
        catalog = load_catalog(folder, Path(":memory:"), dirs)
    infos, refused = plugin_infos(catalog.scripts)
    failures = {**catalog.failures, **refused}
    errors = [f"{folder / rel}: {reason}" for rel, reason in sorted(failures.items())]
    origins: list[str] = []
    # Hundreds of thousands of new acyclic objects: the cycle collector would only walk them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for rel in sorted(infos):
            plugin = nasl_plugin(folder / rel, catalog.scripts[rel], dirs, infos[rel])
            _LOADED[plugin.origin] = plugin
            origins.append(plugin.origin)
    finally:
        if collecting:
            gc.enable()
    log.info(
        "%s: %d NASL scripts (%d described now), %d not usable",
        folder,
        len(origins),
        catalog.described,
        len(errors),
    )
    return NaslPreload(tuple(origins), tuple(errors))


def preloaded_nasl_plugin(origin: str) -> Plugin | None:
    """The plugin at ``origin`` if this process has it already; never describes anything."""
    return _LOADED.get(origin)


def load_nasl_plugin(origin: str, include_dirs: Sequence[Path] = ()) -> Plugin:
    """The plugin at ``origin``: remembered if this process preloaded it, else described now
    with ``include_dirs`` after the script's own directory.

    Raises:
        NaslLoadError: the script cannot be read or described, or its metadata is unusable.
    """
    plugin = _LOADED.get(origin)
    if plugin is not None:
        return plugin
    path = Path(origin)
    dirs = [path.parent, *include_dirs]
    try:
        meta = Describer(dirs).describe(path)
    except (DescriptionError, OSError) as err:
        raise NaslLoadError(f"{origin}: {err}") from None
    plugin = nasl_plugin(path, meta, dirs)
    _LOADED[origin] = plugin
    return plugin
