"""The plugin under whose id ixion itself speaks about a host's scan.

Some things a user must see come from no check: no port scanner ran, so no port was
scanned; findings were held back because their confidence is below ``min_qod``. nessusd said
nothing in such cases, which left an empty report looking like a clean host. ixion reports
them as notes of this plugin (the built-in ``scan_notices.py`` lists it, so that clients
can name it), on ``general/tcp``.
"""

from __future__ import annotations

from typing import Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod

__all__ = ["SCAN_NOTICES"]

SCAN_NOTICES: Final = PluginInfo(
    id=90000090,
    filename="scan_notices.py",
    name="ixion scan notices",
    family="General",
    category=Category.END,
    summary="What ixion itself has to say about the scan of a host",
    description=(
        "Notes from the scanner rather than from a check: that no port scanner ran (so no "
        "port was scanned, and checks that need open ports could not run), or that findings "
        "were held back because their quality of detection is below the scan's minimum "
        "(min_qod). They tell an empty or short report apart from a clean host."
    ),
    # What ixion says of its own scan is certain, and is never held back itself.
    qod=Qod(100),
)
