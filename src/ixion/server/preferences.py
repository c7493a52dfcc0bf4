"""The PREFERENCES message ixiond sends after login (spec §3.3).

It carries the conf table as loaded, in file order and with duplicates, as nessusd sent it,
minus what clients are never sent (:mod:`ixion.server.visibility`), then the plugins'
preferences, the session features and the ``server_info_*`` items.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ixion.server.visibility import is_sent_to_clients

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ixion.server.conftable import ConfTable

__all__ = ["ServerInfo", "server_preferences"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """What the ``server_info_*`` preferences advertise, in nessusd's order (§3.3)."""

    nessusd_version: str
    libnasl_version: str
    libnessus_version: str
    thread_manager: str
    os: str
    os_version: str

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (f"server_info_{field.name}", getattr(self, field.name))
            for field in dataclasses.fields(self)
        )


def server_preferences(
    table: ConfTable,
    *,
    server_info: ServerInfo,
    plugin_preferences: Iterable[tuple[str, str]] = (),
    save_sessions: bool | None = None,
    detached_sessions: bool | None = None,
) -> tuple[tuple[str, str], ...]:
    """The items of the PREFERENCES message the server sends after login (§3.3).

    The table's entries in file order, duplicates included, without those never sent; then
    the plugins' preferences; then ``ntp_save_sessions`` and ``ntp_detached_sessions`` when
    given (the reference client asks for SESSIONS_LIST when the first is ``yes``, §10.32, so
    advertise them only once they work); then ``server_info_*``.
    """
    items = [(entry.name, entry.value) for entry in table if is_sent_to_clients(entry.name)]
    items.extend(plugin_preferences)
    for name, flag in (
        ("ntp_save_sessions", save_sessions),
        ("ntp_detached_sessions", detached_sessions),
    ):
        if flag is not None:
            items.append((name, "yes" if flag else "no"))
    items.extend(server_info.items())
    return tuple(items)
