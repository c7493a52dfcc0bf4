"""Loading one Python plugin: a built-in module by name, or a ``.py`` file of the folder.

Python plugins are trusted code (shipped with ixion, or put in the plugins folder by the
administrator). A module that fails to import, or whose ``INFO``/``run`` are not what a
plugin declares, raises :class:`PluginLoadError` naming it: one broken file is skipped, it
never keeps the daemon from starting.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ixion.plugin_api.metadata import PluginInfo
from ixion.plugin_api.plugin import Plugin

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["PluginLoadError", "load_python_plugin", "module_name"]


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


def load_python_plugin(origin: str) -> Plugin:
    """Load a plugin from a module name (built-in) or a ``.py`` path (plugins folder)."""
    try:
        if "/" not in origin:
            module = importlib.import_module(origin)
            path = Path(module.__file__ or "")
        else:
            path = Path(origin)
            name = module_name(origin)
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


def module_name(origin: str) -> str:
    """The name a Python plugin's module has in ``sys.modules``."""
    if "/" not in origin:
        return origin
    return f"ixion_folder_plugin_{hashlib.sha1(origin.encode()).hexdigest()[:12]}"
