"""What clients upload: files for plugin preferences, and NASL plugins (spec §6.7, §6.8).

*Attached files* (ATTACHED_FILE) are a key file or a word list that a ``file``-type plugin
preference names by the client's own path. ixiond stores each under a name it chooses, in
``<state_dir>/tmp/``, readable by ixiond only (0600), remembers which client name maps to it,
hands that map to the scan, and deletes the files when the scan (or the connection) ends.

*Uploaded plugins* (ATTACHED_PLUGIN) go to the user's ``plugins/`` directory (the global
``plugins_folder`` for ``admin_user``) when ``plugin_upload`` allows it, the suffix is one of
``plugin_upload_suffixes`` and the name has no ``/``. Whatever the configuration says, only
``.nasl`` and ``.inc`` are ever accepted: ixiond runs uploaded NASL in its sandbox, and never
runs uploaded Python (or anything else). The payload has always been read whole by the
protocol layer, so a refusal never desynchronises the stream as nessusd's did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.server.files import write_atomically

if TYPE_CHECKING:
    from ixion.server.options import Settings

__all__ = ["UPLOADABLE_SUFFIXES", "AttachedFiles", "store_plugin"]

log = logging.getLogger(__name__)

#: The only suffixes an uploaded plugin can have, whatever plugin_upload_suffixes says.
UPLOADABLE_SUFFIXES: Final = (".nasl", ".inc")


class AttachedFiles:
    """One connection's attached files: client name -> where ixiond keeps the content."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._stored: dict[str, Path] = {}

    def store(self, remote_name: str, data: bytes) -> Path:
        """Keep ``data`` for preferences naming ``remote_name``; a later file replaces it.

        Raises:
            OSError: the file cannot be written (nothing is left behind).
        """
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="attached-", dir=self._directory)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as file:  # mkstemp made it 0600
                file.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        old = self._stored.get(remote_name)
        if old is not None:
            old.unlink(missing_ok=True)
        self._stored[remote_name] = path
        return path

    def mapping(self) -> dict[str, str]:
        return {remote: str(local) for remote, local in self._stored.items()}

    def hand_over(self) -> AttachedFiles:
        """The files, now owned by the returned object (a detached scan that outlives the
        connection); this one is left empty, so the connection's end deletes none of them."""
        taken = AttachedFiles(self._directory)
        taken._stored, self._stored = self._stored, {}
        return taken

    def delete_all(self) -> None:
        for path in self._stored.values():
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self._stored.clear()

    def __len__(self) -> int:
        return len(self._stored)


def store_plugin(settings: Settings, user: str, name: str, data: bytes) -> str | None:
    """Save an uploaded plugin; None if it was accepted, else why it was refused."""
    if not settings.plugin_upload:
        return "plugin_upload is off"
    if "/" in name or name in ("", ".", "..") or name.startswith(".") or "\0" in name:
        return f"bad plugin name {name!r}"
    allowed = [s for s in settings.plugin_upload_suffixes if s in UPLOADABLE_SUFFIXES]
    if not any(name.endswith(suffix) for suffix in allowed):
        return f"{name!r} does not end with an accepted suffix ({', '.join(allowed) or 'none'})"
    if user == settings.admin_user:
        directory = settings.plugins_folder
    else:
        directory = settings.users / user / "plugins"
    try:
        write_atomically(directory / name, data, 0o644)
    except OSError as exc:
        log.error("cannot store plugin %s of %s: %s", name, user, exc)
        return f"cannot store it: {exc.strerror}"
    log.info("user %s uploaded plugin %s (%d bytes) to %s", user, name, len(data), directory)
    return None
