"""File names the catalog cannot record (issue 15).

Python hands over a file name whose bytes are not UTF-8 with each such byte as a lone
surrogate (``surrogateescape``). No SQLite row, plugin list or UTF-8 log line can hold that
string, and one such file used to stop every catalog load of its folder: a plugin uploaded as
``b"\\xff\\xfe.nasl"`` locked its user out for good, and in the global plugins folder it kept
ixiond from starting. The catalog skips these files and says so, as it skips dot-files.
"""

from __future__ import annotations

import logging
import os

__all__ = ["undecodable"]

log = logging.getLogger(__name__)


def undecodable(directory: str, name: str) -> bool:
    """True, and logged with the name's bytes, if ``name`` (in ``directory``) is not UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        log.warning("%r: skipped %r: its name is not valid UTF-8", directory, os.fsencode(name))
        return True
    return False
