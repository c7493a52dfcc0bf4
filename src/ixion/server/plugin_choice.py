"""Which plugins an attack runs: the client's ``plugin_set``, read as ids or terms.

``plugin_set`` is the client's list (spec §3.10): empty, or starting with ``-1``, means every
plugin; otherwise each item is an id or one of ixion's terms (``all``, ``family:NAME``,
``category:NAME``, ``config:NAME``, ``!`` to leave out; :mod:`ixion.plugin_api.selection`).
A term ixiond cannot read is left out with a warning in the log rather than failing the
scan: classic clients never send one, and the rest of the list still says what was meant.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ixion.plugin_api.selection import Selection, SelectionError, Term, parse_terms

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ixion.plugin_api.metadata import PluginInfo

__all__ = ["enabled_ids"]

log = logging.getLogger(__name__)


def enabled_ids(plugin_set: Iterable[str], plugins: Iterable[PluginInfo]) -> frozenset[int]:
    """The ids of ``plugins`` that ``plugin_set`` enables."""
    infos = tuple(plugins)
    items = [item.strip() for item in plugin_set if item.strip()]
    if not items or items[0] == "-1":
        return frozenset(info.id for info in infos)
    terms: list[Term] = []
    for item in items:
        try:
            terms.extend(parse_terms([item]))
        except SelectionError as exc:
            log.warning("plugin_set: %s; left out", exc)
    selection = Selection.of(tuple(terms)) if terms else None
    if selection is None:
        return frozenset()
    return frozenset(
        info.id for info in infos if selection.runs(info.id, info.family, info.category.name)
    )
