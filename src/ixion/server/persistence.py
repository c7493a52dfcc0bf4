"""The daemon's store, opened once at start: sessions, saved KBs, detached scans, mail.

Everything is in ``<state_dir>/store.sqlite`` (:mod:`ixion.store.database` says why SQLite).
KBs a nessusd 2.2.5 user directory holds (``<users>/<user>/kbs/<host>``) are read when the
store has none for a host, as ixion already reads that directory's passwords.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ixion.store.database import Store
from ixion.store.detached import DetachedScans
from ixion.store.kbs import SavedKbs
from ixion.store.outbox import Outbox
from ixion.store.sessions import Sessions

if TYPE_CHECKING:
    from ixion.server.options import Settings

__all__ = ["Persistence"]


@dataclass(frozen=True, slots=True)
class Persistence:
    store: Store
    sessions: Sessions
    kbs: SavedKbs
    detached: DetachedScans
    outbox: Outbox

    @classmethod
    def open(cls, settings: Settings, *, exclusive: bool = True) -> Persistence:
        """The store of ``settings.state_dir``. Raises StoreError (StoreLocked: another
        daemon owns it)."""
        store = Store.open(settings.state_dir, exclusive=exclusive)
        return cls(
            store=store,
            sessions=Sessions(store),
            kbs=SavedKbs(store, legacy_users=settings.users),
            detached=DetachedScans(store),
            outbox=Outbox(store),
        )

    def close(self) -> None:
        self.store.close()
