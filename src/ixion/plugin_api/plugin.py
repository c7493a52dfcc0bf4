"""A loaded plugin: its metadata and the coroutine that runs it.

A Python plugin is a module with two names::

    INFO = PluginInfo(id=..., name=..., family=..., category=Category.GATHER_INFO, ...)

    async def run(ctx: PluginContext) -> None:
        ...

(:mod:`ixion.plugin_api.metadata`, :mod:`ixion.plugin_api.context`). A NASL script becomes
the same :class:`Plugin`, its ``run`` starting the interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext
    from ixion.plugin_api.metadata import PluginInfo

__all__ = ["Plugin", "PluginError", "Run"]


class PluginError(Exception):
    """A plugin failed in a way its own words describe best (a NASL script's error, with
    file, line and column): the outcome recorded is the message, not a Python traceback."""


class Run(Protocol):
    """A plugin's coroutine."""

    async def __call__(self, ctx: PluginContext, /) -> None: ...


@dataclass(frozen=True, slots=True)
class Plugin:
    """A loaded plugin: its metadata, how to run it, and the MD5 of its source file.

    ``origin`` says where it came from, so that a worker process can load it again: a module
    name for a built-in plugin (``ixion.plugins.tcp_scanner``), a file path otherwise.
    """

    info: PluginInfo
    run: Run = field(compare=False, repr=False)
    origin: str
    md5: str
