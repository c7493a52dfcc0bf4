"""NASL's built-in functions, grouped by family, one module each (nasl.md §3, §6.2).
It may use the runtime, the network and SSH layers, and the ``script_*`` family's record.

A built-in is a plain function taking a :class:`~ixion.nasl.runtime.run.Call` and returning a
NASL value. Each family module lists its functions in a ``FUNCTIONS`` table;
:func:`standard_library` merges the tables. Report built-ins hand their findings to
``call.rt.report()``, and network ones reach the scanned host through
``call.rt.services.host`` (:mod:`ixion.nasl.network.host`). The ``script_*`` family lives with
the record it fills, in :mod:`ixion.nasl.description`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins import (
    certificates,
    hashes,
    hostinfo,
    http,
    isotime,
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
    tls,
    unsafe,
)
from ixion.nasl.description import functions as description

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ixion.nasl.runtime.run import Builtin

__all__ = ["FAMILIES", "standard_library"]


#: The family tables, merged in this order; no two define the same name.
FAMILIES: Final[tuple[Mapping[str, Builtin], ...]] = (
    lang.FUNCTIONS,
    strings.FUNCTIONS,
    regexes.FUNCTIONS,
    timefuncs.FUNCTIONS,
    kbfuncs.FUNCTIONS,
    report.FUNCTIONS,
    network.FUNCTIONS,
    tls.FUNCTIONS,
    certificates.FUNCTIONS,
    isotime.FUNCTIONS,
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
