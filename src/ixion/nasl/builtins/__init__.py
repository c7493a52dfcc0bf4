"""NASL's built-in functions, grouped by family, one module each (nasl.md §3, §6.2).

A built-in is a plain function taking a :class:`~.call.Call` and returning a NASL value.
Each family module lists its functions in a ``FUNCTIONS`` table; :func:`standard_library`
merges the tables. Report built-ins hand their findings to ``call.rt.report()``, and
network ones reach the scanned host through ``call.rt.services.host``
(:mod:`ixion.nasl.host`); description built-ins come later, as another family module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, TypeAlias

from ixion.nasl.values import Value

from . import (
    description,
    hashes,
    hostinfo,
    http,
    kbfuncs,
    lang,
    network,
    protocols,
    regexes,
    report,
    ssh,
    ssh_shell,
    strings,
    timefuncs,
    unsafe,
)
from .call import Call

__all__ = ["FAMILIES", "Builtin", "Call", "standard_library"]

Builtin: TypeAlias = Callable[[Call], Value]


#: The family tables, merged in this order; no two define the same name.
FAMILIES: Final[tuple[Mapping[str, Builtin], ...]] = (
    lang.FUNCTIONS,
    strings.FUNCTIONS,
    regexes.FUNCTIONS,
    timefuncs.FUNCTIONS,
    kbfuncs.FUNCTIONS,
    report.FUNCTIONS,
    network.FUNCTIONS,
    hostinfo.FUNCTIONS,
    http.FUNCTIONS,
    protocols.FUNCTIONS,
    ssh.FUNCTIONS,
    ssh_shell.FUNCTIONS,
    hashes.FUNCTIONS,
    unsafe.FUNCTIONS,
    description.FUNCTIONS,
)


def standard_library() -> dict[str, Builtin]:
    """Every built-in implemented so far, by NASL name."""
    library: dict[str, Builtin] = {}
    for family in FAMILIES:
        library.update(family)
    return library
