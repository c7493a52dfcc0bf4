"""What clients upload: files for plugin preferences, and NASL plugins (spec §6.7, §6.8).

*Attached files* (ATTACHED_FILE) are a key file or a word list that a ``file``-type plugin
preference names by the client's own path. ixiond stores each under a name it chooses, in
``<state_dir>/tmp/``, readable by ixiond only (0600), remembers which client name maps to it,
hands that map to the scan, and deletes the files when the scan (or the connection) ends. The
client's name never becomes a path, so any name is kept as the client sent it.

*Uploaded plugins* (ATTACHED_PLUGIN) go to the user's ``plugins/`` directory (the global
``plugins_folder`` for ``admin_user``) when ``plugin_upload`` allows it, the suffix is one of
``plugin_upload_suffixes``, the name can be a file name (:func:`plugin_name_problem`): UTF-8,
printable, no path separator, no leading dot, not too long, and the text parses as NASL
(:func:`nasl_problem`). A name the wire decoder could only keep with ``surrogateescape``
once became a file that the plugin catalog could not record, which locked its user out for
good and kept ixiond from starting when the user was the administrator (issue 15). Whatever
the configuration says, only ``.nasl`` and ``.inc`` are ever accepted: ixiond runs uploaded
NASL in its sandbox, and never runs uploaded Python.

*Quotas* (:class:`UploadQuota`, from ``max_upload_bytes``, ``max_uploads_per_user`` and
``max_upload_bytes_per_user``) bound one upload, the plugins a user keeps, and the attached
files one connection holds at once. The administrator's plugins join the global folder (the
feed itself), so only the size of each upload binds them. The protocol layer has already read
the whole payload (its caps in :mod:`ixion.ntp.limits` stay the hard ones), so a refusal never
desynchronises the stream as nessusd's did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.parser import parse
from ixion.server.files import write_atomically

if TYPE_CHECKING:
    from ixion.server.options import Settings

__all__ = [
    "MAX_PLUGIN_NAME_BYTES",
    "UPLOADABLE_SUFFIXES",
    "AttachedFiles",
    "UploadQuota",
    "nasl_problem",
    "plugin_name_problem",
    "store_plugin",
]

log = logging.getLogger(__name__)

#: The only suffixes an uploaded plugin can have, whatever plugin_upload_suffixes says.
UPLOADABLE_SUFFIXES: Final = (".nasl", ".inc")
#: The longest plugin file name accepted, in bytes. The community feed's longest is 124; the
#: temporary file an upload is written through adds 10 bytes to the name, and Linux file
#: systems stop at 255 (NAME_MAX).
MAX_PLUGIN_NAME_BYTES: Final = 200

#: Held while a plugin is checked against its user's quota and written, so that two uploads
#: of one user on two connections cannot both fit the same room. Uploads are rare and short.
_STORING: Final = threading.Lock()


@dataclass(frozen=True, slots=True)
class UploadQuota:
    """How large one upload may be, and how many files and bytes an owner may keep."""

    file_bytes: int
    files: int
    total_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> UploadQuota:
        return cls(
            file_bytes=settings.max_upload_bytes,
            files=settings.max_uploads_per_user,
            total_bytes=settings.max_upload_bytes_per_user,
        )

    def size_refusal(self, size: int) -> str | None:
        if size > self.file_bytes:
            return f"{size} bytes, over max_upload_bytes ({self.file_bytes})"
        return None

    def room_refusal(self, owner: str, what: str, files: int, total: int) -> str | None:
        """Why ``owner`` may not keep ``files`` files of ``total`` bytes, if they may not."""
        if files > self.files:
            return f"{owner} would keep {files} {what}, over max_uploads_per_user ({self.files})"
        if total > self.total_bytes:
            return (
                f"{owner} would keep {total} bytes of {what}, "
                f"over max_upload_bytes_per_user ({self.total_bytes})"
            )
        return None


class AttachedFiles:
    """One connection's attached files: client name -> where ixiond keeps the content."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._stored: dict[str, Path] = {}
        self._sizes: dict[str, int] = {}

    def refusal(self, remote_name: str, size: int, quota: UploadQuota) -> str | None:
        """Why a file of ``size`` bytes for ``remote_name`` may not be kept, if it may not
        (a file under a name already kept replaces it)."""
        others = {name: n for name, n in self._sizes.items() if name != remote_name}
        return quota.size_refusal(size) or quota.room_refusal(
            "this connection", "attached files", len(others) + 1, sum(others.values()) + size
        )

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
        self._sizes[remote_name] = len(data)
        return path

    def mapping(self) -> dict[str, str]:
        return {remote: str(local) for remote, local in self._stored.items()}

    def hand_over(self) -> AttachedFiles:
        """The files, now owned by the returned object (a detached scan that outlives the
        connection); this one is left empty, so the connection's end deletes none of them."""
        taken = AttachedFiles(self._directory)
        taken._stored, self._stored = self._stored, {}
        taken._sizes, self._sizes = self._sizes, {}
        return taken

    def delete_all(self) -> None:
        for path in self._stored.values():
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self._stored.clear()
        self._sizes.clear()

    def __len__(self) -> int:
        return len(self._stored)


def plugin_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the file name of an uploaded plugin, or None if it can.

    The name arrives decoded with ``surrogateescape``: bytes that are not UTF-8 show up as
    lone surrogates, which no later step (the catalog, the plugin list, the log) can encode.
    """
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "the name is not valid UTF-8"
    if not name:
        return "the name is empty"
    if "/" in name or "\\" in name:
        return "the name has a path separator"
    if not name.isprintable():  # control characters, NUL, bidi overrides, other invisibles
        return "the name has a control or invisible character"
    if name.startswith("."):
        return "the name starts with '.' (hidden files are ixiond's own)"
    if size > MAX_PLUGIN_NAME_BYTES:
        return f"the name is longer than {MAX_PLUGIN_NAME_BYTES} bytes"
    return None


def store_plugin(settings: Settings, user: str, name: str, data: bytes) -> str | None:
    """Save an uploaded plugin; None if it was accepted, else why it was refused."""
    if not settings.plugin_upload:
        return "plugin_upload is off"
    problem = plugin_name_problem(name)
    if problem is not None:
        return problem
    allowed = [s for s in settings.plugin_upload_suffixes if s in UPLOADABLE_SUFFIXES]
    if not any(name.endswith(suffix) for suffix in allowed):
        return f"it does not end with an accepted suffix ({', '.join(allowed) or 'none'})"
    quota = UploadQuota.of(settings)
    too_large = quota.size_refusal(len(data))
    if too_large is not None:
        return too_large
    problem = nasl_problem(name, data)
    if problem is not None:
        return problem
    admin = user == settings.admin_user
    directory = settings.plugins_folder if admin else settings.users / user / "plugins"
    with _STORING:
        if not admin:
            files, total = _kept_besides(directory, name)
            refusal = quota.room_refusal(user, "plugins", files + 1, total + len(data))
            if refusal is not None:
                return refusal
        try:
            write_atomically(directory / name, data, 0o644)
        except OSError as exc:
            log.error("cannot store plugin %r of %s: %s", name, user, exc)
            return f"cannot store it: {exc.strerror}"
    log.info("user %s uploaded plugin %s (%d bytes) to %s", user, name, len(data), directory)
    return None


def nasl_problem(name: str, data: bytes) -> str | None:
    """Why ``data`` is not NASL, or None. Accepted, a script that does not parse would never
    run nor be listed, and PLUGIN_DENIED is the one way to tell its author in time (the log
    line has the place)."""
    try:
        parse(data, name)
    except NaslSyntaxError as exc:
        return f"it is not NASL: line {exc.line}, column {exc.column}: {exc.message}"
    return None


def _kept_besides(directory: Path, name: str) -> tuple[int, int]:
    """How many plugins, of how many bytes, ``directory`` keeps besides ``name`` (which an
    upload under that name replaces). Hidden files (write temporaries) do not count."""
    files = total = 0
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name == name:
                    continue
                with contextlib.suppress(OSError):  # gone meanwhile
                    if entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                        files += 1
    except FileNotFoundError:
        pass
    return files, total
