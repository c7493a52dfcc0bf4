"""Which plugins each user sees: the daemon's, plus the NASL scripts the user uploaded.

nessusd showed a user the scripts uploaded with ATTACHED_PLUGIN at their next login (spec
§6.7); the global ones changed only when the daemon reloaded. ixiond does the same: at login
the user's ``plugins/`` directory is described (cached in the user's directory, so an
unchanged upload costs a directory walk) and its scripts join the daemon's plugins, except
one that would take the id or file name of a plugin the daemon has: an upload never shadows
the administrator's plugins.

The offer (PLUGIN_LIST, PLUGINS_MD5...) is built again only when the user's scripts change.
What a user uploaded never keeps them from logging in (issue 15): a script that cannot be a
plugin, or a file whose name is not UTF-8 (stored by an older ixiond), is skipped with a log
line, and should loading their scripts fail outright, they are offered the daemon's plugins.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.engine.loader import load_plugins, merge_plugins
from ixion.engine.nasl_plugins import preload_nasl
from ixion.server.offer import build_offer

if TYPE_CHECKING:
    from pathlib import Path

    from ixion.engine.loader import Plugins
    from ixion.server.config import ConfTable
    from ixion.server.offer import Offer
    from ixion.server.options import Settings

__all__ = ["NASL_CACHE", "PluginSets", "UserPlugins", "nasl_cache"]

log = logging.getLogger(__name__)

#: The description cache's file name, in ``state_dir`` and in each user's directory.
NASL_CACHE: Final = "nasl-cache.sqlite"


def nasl_cache(directory: Path) -> Path:
    return directory / NASL_CACHE


@dataclass(frozen=True, slots=True)
class UserPlugins:
    """The plugins one user may scan with, and what clients are shown of them."""

    plugins: Plugins
    offer: Offer


class PluginSets:
    """The daemon's plugins and offer, and each user's view of them. Thread-safe: logins
    describe uploads in worker threads."""

    def __init__(self, settings: Settings, table: ConfTable, plugins: Plugins, offer: Offer):
        self._settings = settings
        self._table = table
        self.base = UserPlugins(plugins, offer)
        self._lock = threading.Lock()
        #: user -> (the origins and md5s of their scripts, the view built from them)
        self._views: dict[str, tuple[tuple[tuple[str, str], ...], UserPlugins]] = {}

    def for_user(self, user: str) -> UserPlugins:
        """What ``user`` sees now; describes new or changed uploads (blocking: use a thread).

        Raises:
            OSError: the user's directory cannot be read.
        """
        directory = self._settings.users / user / "plugins"
        if not any(directory.glob("*.nasl")):
            return self.base
        try:
            own = self._uploaded(user, directory)
        except OSError:
            raise
        except Exception:  # what a user uploaded must never keep them from logging in
            log.exception("%s: the uploaded scripts cannot be loaded; offered without them", user)
            return self.base
        key = tuple((p.origin, p.md5) for p in own.all)
        with self._lock:
            known = self._views.get(user)
            if known is not None and known[0] == key:
                return known[1]
        merged = merge_plugins(self.base.plugins, own)
        sessions = self.base.offer.offers_sessions
        view = UserPlugins(merged, build_offer(self._table, merged, sessions=sessions))
        with self._lock:
            self._views[user] = (key, view)
        log.info("%s: %d uploaded NASL plugins", user, len(merged.all) - len(self.base.plugins.all))
        return view

    def _uploaded(self, user: str, directory: Path) -> Plugins:
        folder = self._settings.plugins_folder
        preload = preload_nasl(directory, nasl_cache(directory.parent), [directory, folder])
        for error in preload.errors:
            log.warning("%s: uploaded script skipped: %s", user, _loggable(error))
        return load_plugins(preload.origins, [folder])


def _loggable(text: str) -> str:
    """``text`` with any undecodable byte shown as an escape: a log file takes only UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
