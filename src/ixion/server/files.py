"""Writing the daemon's files so that a crash never leaves half of one behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` in one step, creating parent directories.

    The data goes to a temporary file beside ``path`` (0600 from its creation, so a secret
    is never readable by others), is flushed to disk, gets ``mode``, and is renamed over
    ``path``. Readers see the old file or the new one, never a part.

    Raises:
        OSError: the directory or the file cannot be written (nothing is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fchmod(file.fileno(), mode)
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        # Gone after a successful replace; otherwise no half-written file stays behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
