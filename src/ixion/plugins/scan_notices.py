"""ixion's own notes about a host's scan (:mod:`ixion.plugin_api.notices`).

Run last (category END), it says when no port scanner covered the port range: every port then
counts as open for the checks (§6.4, unless ``unscanned_closed``), they tried the ports they
know services by, and a service anywhere else went unseen. An rc file without SCANNER_SET
scanned no port and reported nothing about it with nessusd; a user must be told. The daemon
writes its own notes (findings held back below ``min_qod``) under this plugin's id as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ixion.plugin_api.notices import SCAN_NOTICES

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "run"]

INFO = SCAN_NOTICES


async def run(ctx: PluginContext) -> None:
    ports = ctx.port_range
    missing = [
        name
        for name, wanted, key in (
            ("TCP", ports.tcp, "Host/scanned"),
            ("UDP", ports.udp, "Host/udp_scanned"),
        )
        if wanted and not ctx.kb.get(key)
    ]
    if not missing:
        return
    what = " and ".join(missing)
    ctx.log.warning("%s: no %s port scanner ran; no %s port was scanned", ctx.host, what, what)
    ctx.note(
        f"No {what} port scanner ran on this host, so no {what} port of the port range "
        f"({ports}) was scanned: checks tried the ports they know services by, and a service "
        "anywhere else went unseen.\n\n"
        "Enable a port scanner (the TCP connect scanner is plugin 10335) among the scanners "
        "(SCANNER_SET in an rc file) to scan the ports."
    )
