"""Plugins written to a temporary folder, as an administrator would drop them in
``plugins_folder``: the worker processes load them by path, like any folder plugin."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ixion.engine.job import HostJob, ScanSettings
from ixion.plugin_api.ports import parse_port_range

HEADER = """\
import asyncio, os, signal, time
from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
"""


def write_plugin(
    folder: Path,
    name: str,
    plugin_id: int,
    body: str,
    *,
    category: str = "GATHER_INFO",
    **info: object,
) -> str:
    """Write ``<name>.py`` whose ``run`` executes ``body``; its origin (path) is returned."""
    fields = "".join(f", {key}={value!r}" for key, value in info.items())
    source = (
        HEADER
        + f"INFO = PluginInfo(id={plugin_id}, filename={name + '.py'!r}, name={name!r},"
        + f" family='Test', category=Category.{category}, summary='test plugin',"
        + f" description='A plugin of the tests.'{fields})\n"
        + "async def run(ctx):\n"
        + textwrap.indent(textwrap.dedent(body).strip() or "pass", "    ")
        + "\n"
    )
    path = folder / f"{name}.py"
    path.write_text(source)
    return str(path)


def job(
    origins: list[str],
    *,
    host: str = "127.0.0.1",
    enabled: set[int] | None = None,
    **settings: object,
) -> HostJob:
    """A job on 127.0.0.1 whose port range is port 1 only: these plugins open no socket."""
    return HostJob(
        host=host,
        address="127.0.0.1",
        origins=tuple(origins),
        enabled=frozenset(enabled or ()),
        settings=ScanSettings(port_range=parse_port_range("1"), **settings),  # type: ignore[arg-type]
    )
