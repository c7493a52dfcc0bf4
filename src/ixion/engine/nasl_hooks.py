"""What the engine adds to NASL's built-ins: the places where a script asks the scanner.

* ``plugin_run_find_service()``: the feed's ``find_service.nasl`` hands service detection to
  the scanner's C code. ixion's service detection is its Python plugin
  (:mod:`ixion.plugins.find_service`); the built-in runs it, silently (its findings are that
  plugin's to report), unless it already ran on this host.
* ``script_get_preference_file_content()``: the content of the file a client attached for a
  ``file`` preference. The script names the preference, never a path, so an uploaded script
  reads only what the user gave it.
* Preferences: a script's ``script_get_preference(name)`` finds its own preferences by their
  short name, as the client set them (``<plugin name>[<type>]:<name>``) or their default,
  and ``get_preference()`` the scan's, over :data:`SCANNER_DEFAULTS`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import TYPE_CHECKING, Final

from ixion.engine.python_plugins import load_python_plugin
from ixion.nasl.builtins import standard_library
from ixion.plugin_api.kb import FIND_SERVICE_DONE, kb_bytes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ixion.engine.context import HostContext
    from ixion.nasl.runtime.run import Builtin, Call
    from ixion.nasl.runtime.values import Value

__all__ = ["SCANNER_DEFAULTS", "engine_builtins", "script_preferences"]

_FIND_SERVICE: Final = "ixion.plugins.find_service"
#: Seconds between two looks at the script's deadline while service detection runs.
_POLL: Final = 0.5

_STANDARD: Final = standard_library()

#: Scanner preferences OpenVAS gives scripts, with the values that say what ixion's engine
#: does itself. ``test_alive_hosts_only``: the scanner tests whether a host is alive before
#: its plugins run (ixion's ``tcp_ping.py``, OpenVAS' Boreas), so the feed's
#: ``host_alive_detection.nasl`` only reports instead of pinging through nmap, which the
#: sandbox does not let it run (and whose failure it would take for a dead host).
SCANNER_DEFAULTS: Final = {"test_alive_hosts_only": b"yes"}


def engine_builtins(ctx: HostContext, loop: asyncio.AbstractEventLoop) -> dict[str, Builtin]:
    """The interpreter's built-ins with the engine's, for one script on one host."""
    table = dict(_STANDARD)
    table["plugin_run_find_service"] = functools.partial(_run_find_service, ctx, loop)
    table["script_get_preference_file_content"] = functools.partial(_file_content, ctx)
    return table


def script_preferences(ctx: HostContext) -> Mapping[str, bytes]:
    """The scan's preferences, then the script's own by short name (which win)."""
    found = dict(SCANNER_DEFAULTS)
    found.update((name, kb_bytes(value)) for name, value in ctx.job.preferences.items())
    for preference in ctx.info.preferences:
        found[preference.name] = kb_bytes(ctx.preference(preference.name) or "")
    return found


def _run_find_service(ctx: HostContext, loop: asyncio.AbstractEventLoop, call: Call) -> Value:
    if ctx.kb.get(FIND_SERVICE_DONE) is not None:
        return None
    plugin = load_python_plugin(_FIND_SERVICE)
    future = asyncio.run_coroutine_threadsafe(plugin.run(ctx.on_behalf_of(plugin.info)), loop)
    try:
        while True:
            try:
                future.result(timeout=_POLL)
                return None
            except concurrent.futures.TimeoutError:
                call.rt.check_deadline()
    except BaseException:
        future.cancel()
        raise


def _file_content(ctx: HostContext, call: Call) -> Value:
    name = call.text(0) or call.text("name")
    if not name:
        call.warn("script_get_preference_file_content: missing name")
        return None
    path = ctx.preference_file(name.decode("utf-8", "surrogateescape"))
    if path is None:
        return None
    limit = call.rt.services.limits.max_string
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        call.warn(f"script_get_preference_file_content: {error.strerror}")
        return None
    return call.rt.check_string(data)
