"""Finding and loading plugins: the built-in ones and those in ``plugins_folder``.

Python plugins are trusted code (shipped with ixion, or put in the plugins folder by the
administrator); ixiond never loads Python a client uploaded (``.py`` is not an upload suffix it
accepts, spec §6.7). NASL scripts (``.nasl`` anywhere under the folder, and those users
upload) are described through :mod:`ixion.engine.nasl_plugins` and always run sandboxed;
Python modules are loaded by :mod:`ixion.engine.python_plugins`.
A plugin that fails to import or to describe itself, or declares bad metadata, is skipped
with a logged reason: one broken file must not keep the daemon from starting.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.nasl_plugins import (
    NASL_SUFFIX,
    NaslLoadError,
    load_nasl_plugin,
    preload_nasl,
    preloaded_nasl_plugin,
)
from ixion.engine.python_plugins import PluginLoadError, load_python_plugin, module_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from ixion.plugin_api.plugin import Plugin

__all__ = [
    "BUILTIN_PACKAGE",
    "PluginLoadError",
    "Plugins",
    "load_all",
    "load_plugin",
    "load_plugins",
    "loaded_plugins",
    "merge_plugins",
]

log = logging.getLogger(__name__)

#: The package whose modules are the built-in plugins.
BUILTIN_PACKAGE: Final = "ixion.plugins"


def load_plugin(origin: str, include_dirs: Sequence[Path] = ()) -> Plugin:
    """Load a plugin from a module name (built-in), a ``.py`` path (plugins folder) or a
    ``.nasl`` path (whose includes are looked for in its directory, then ``include_dirs``)."""
    if origin.endswith(NASL_SUFFIX):
        try:
            return load_nasl_plugin(origin, include_dirs)
        except NaslLoadError as exc:
            raise PluginLoadError(str(exc)) from None
    return load_python_plugin(origin)


def builtin_origins() -> list[str]:
    package = importlib.import_module(BUILTIN_PACKAGE)
    return [
        f"{BUILTIN_PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]


def folder_origins(folder: Path) -> list[str]:
    """``.py`` files of a plugins folder (not dot files), sorted for a stable order."""
    try:
        return sorted(str(p) for p in folder.glob("*.py") if not p.name.startswith("."))
    except OSError:
        return []


@dataclass(frozen=True, slots=True)
class Plugins:
    """The plugins a daemon offers, by id and by file name."""

    all: tuple[Plugin, ...]
    #: Why each skipped file was skipped.
    errors: tuple[str, ...] = ()

    def by_filename(self) -> dict[str, Plugin]:
        return {p.info.filename: p for p in self.all}

    @property
    def origins(self) -> tuple[str, ...]:
        return tuple(p.origin for p in self.all)


def load_plugins(origins: Iterable[str], include_dirs: Sequence[Path] = ()) -> Plugins:
    """Every plugin that loads; the first of two with the same id or file name wins."""
    plugins: list[Plugin] = []
    errors: list[str] = []
    for origin in origins:
        try:
            plugins.append(load_plugin(origin, include_dirs))
        except PluginLoadError as exc:
            errors.append(str(exc))
    return _distinct(plugins, errors)


def loaded_plugins(origins: Iterable[str]) -> tuple[Plugin, ...] | None:
    """As :func:`load_plugins`, if every origin is already in this process (a module
    imported, a script preloaded); None, without loading anything, if one is not."""
    plugins: list[Plugin] = []
    for origin in origins:
        if origin.endswith(NASL_SUFFIX):
            plugin = preloaded_nasl_plugin(origin)
            if plugin is None:
                return None
            plugins.append(plugin)
        elif module_name(origin) in sys.modules:
            try:
                plugins.append(load_plugin(origin))
            except PluginLoadError:
                return None
        else:
            return None
    return _distinct(plugins, []).all


def _distinct(
    plugins: Iterable[Plugin], errors: list[str], taken: Plugins | None = None
) -> Plugins:
    """The plugins whose id and file name no earlier one (nor one of ``taken``) has."""
    ids = {p.info.id for p in taken.all} if taken is not None else set()
    names = {p.info.filename for p in taken.all} if taken is not None else set()
    kept: list[Plugin] = []
    for plugin in plugins:
        if plugin.info.id in ids or plugin.info.filename in names:
            errors.append(
                f"{plugin.origin}: id {plugin.info.id} or {plugin.info.filename} is taken"
            )
            continue
        ids.add(plugin.info.id)
        names.add(plugin.info.filename)
        kept.append(plugin)
    for error in errors:
        log.warning("plugin skipped: %s", error)
    return Plugins(tuple(kept), tuple(errors))


def load_all(folder: Path, nasl_cache: Path | None) -> Plugins:
    """The built-in plugins, then the folder's Python plugins, then its NASL scripts.

    ``nasl_cache`` is where script descriptions are cached; None: NASL scripts are not
    loaded (a daemon without a state directory, or tests that want Python plugins only).
    """
    nasl = preload_nasl(folder, nasl_cache) if nasl_cache is not None else None
    origins = [*builtin_origins(), *folder_origins(folder), *(nasl.origins if nasl else ())]
    plugins = load_plugins(origins)
    if nasl is None or not nasl.errors:
        return plugins
    for error in nasl.errors:
        log.warning("NASL script skipped: %s", error)
    return Plugins(plugins.all, (*plugins.errors, *nasl.errors))


def merge_plugins(base: Plugins, extra: Plugins) -> Plugins:
    """``base`` and those of ``extra`` whose id and file name ``base`` does not use (a user's
    uploaded scripts may not shadow the daemon's plugins)."""
    if not extra.all:
        return base
    added = _distinct(extra.all, [], taken=base)
    return Plugins((*base.all, *added.all), (*base.errors, *extra.errors, *added.errors))
