"""Finding and loading Python plugins: the built-in ones and those in ``plugins_folder``.

Python plugins are trusted code (shipped with ixion, or put in the plugins folder by the
administrator); ixiond never loads Python a client uploaded (``.py`` is not an upload suffix it
accepts, spec §6.7). A plugin that fails to import or declares bad metadata is skipped with a
logged reason: one broken file must not keep the daemon from starting.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import logging
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .plugin import Plugin, PluginInfo

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType

__all__ = ["BUILTIN_PACKAGE", "PluginLoadError", "Plugins", "load_plugin", "load_plugins"]

log = logging.getLogger(__name__)

#: The package whose modules are the built-in plugins.
BUILTIN_PACKAGE: Final = "ixion.plugins"


class PluginLoadError(Exception):
    """A plugin that cannot be used; the message names it and says why."""


def _source_md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _from_module(module: ModuleType, origin: str, path: Path) -> Plugin:
    info = getattr(module, "INFO", None)
    run = getattr(module, "run", None)
    if not isinstance(info, PluginInfo):
        raise PluginLoadError(f"{origin}: INFO is not a PluginInfo")
    if not inspect.iscoroutinefunction(run):
        raise PluginLoadError(f"{origin}: run is not an async function")
    if info.filename != path.name:
        raise PluginLoadError(f"{origin}: INFO.filename must be {path.name!r}")
    return Plugin(info=info, run=run, origin=origin, md5=_source_md5(path))


def load_plugin(origin: str) -> Plugin:
    """Load a plugin from a module name (built-in) or a ``.py`` path (plugins folder)."""
    try:
        if "/" not in origin:
            module = importlib.import_module(origin)
            path = Path(module.__file__ or "")
        else:
            path = Path(origin)
            name = f"ixion_folder_plugin_{hashlib.sha1(origin.encode()).hexdigest()[:12]}"
            module = sys.modules.get(name) or _import_path(name, path)
    except PluginLoadError:
        raise
    except Exception as exc:  # any error in someone's module is that module's problem
        raise PluginLoadError(f"{origin}: cannot import: {exc!r}") from None
    return _from_module(module, origin, path)


def _import_path(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


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


def load_plugins(origins: Iterable[str]) -> Plugins:
    """Every plugin that loads; the first of two with the same id or file name wins."""
    plugins: list[Plugin] = []
    errors: list[str] = []
    ids: set[int] = set()
    names: set[str] = set()
    for origin in origins:
        try:
            plugin = load_plugin(origin)
        except PluginLoadError as exc:
            errors.append(str(exc))
            continue
        if plugin.info.id in ids or plugin.info.filename in names:
            errors.append(f"{origin}: id {plugin.info.id} or {plugin.info.filename} is taken")
            continue
        ids.add(plugin.info.id)
        names.add(plugin.info.filename)
        plugins.append(plugin)
    for error in errors:
        log.warning("plugin skipped: %s", error)
    return Plugins(tuple(plugins), tuple(errors))
