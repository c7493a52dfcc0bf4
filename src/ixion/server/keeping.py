"""The daemon's lasting side at work: its detached scans and the mailer of their results.

Started by :func:`ixion.server.daemon.serve` when the daemon has a store: the detached scans
that were running when it last stopped are resumed, and mails left in the outbox are sent.
At shutdown the detached scans are interrupted (to be resumed at the next start) and the
mailer stops; what it had not delivered stays in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ixion.server.detached_scans import DetachedRunner
from ixion.server.mail import Mailer, MailSettings

if TYPE_CHECKING:
    from ixion.server.persistence import Persistence
    from ixion.server.scanning import Scanning
    from ixion.server.users import UserStore

__all__ = ["Keeping"]


@dataclass(frozen=True, slots=True)
class Keeping:
    #: The connections' view of scanning, with the store and the detached scans in it.
    scanning: Scanning
    detached: DetachedRunner
    mailer: asyncio.Task[None]

    @classmethod
    def start(cls, persistence: Persistence, scanning: Scanning, users: UserStore) -> Keeping:
        mail = MailSettings.from_settings(scanning.settings)
        mailer = Mailer(persistence.outbox, mail)
        detached = DetachedRunner(
            persistence=persistence,
            settings=scanning.settings,
            table=scanning.table,
            service=scanning.service,
            plugin_sets=scanning.plugin_sets,
            users=users,
            mailer=mailer,
            mail_settings=mail,
        )
        task = asyncio.create_task(mailer.run(), name="mailer")
        scanning = dataclasses.replace(scanning, persistence=persistence, detached=detached)
        return cls(scanning, detached, task)

    async def close(self) -> None:
        await self.detached.close()
        self.mailer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.mailer
