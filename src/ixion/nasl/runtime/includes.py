"""Finding and parsing the files ``include("x.inc")`` names (nasl.md §2.5).

C looks in its configured include directories and then in its working directory, which
it sets to the script's own directory; ixion searches the same places in the same order.
That is also "beside the including file" for every file an include can come from: the
script itself lives in its directory, and an included file was found in one of these
places, all of which are searched anyway.
Each file is parsed once per :class:`Includes` and its tree kept: trees are immutable, so
one :class:`Includes` may serve many interpreters (the engine keeps one per worker, as C
keeps ``includes_hash`` per process).

Include names come from untrusted scripts, so a name must be a plain file name: no
directory separators, no NUL. That is all real plugins use, and it keeps a script from
reading files outside the include directories.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ixion.nasl.syntax.parser import parse

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ixion.nasl.syntax import ast

__all__ = ["IncludeNotFound", "Includes"]


class IncludeNotFound(LookupError):
    """No include directory has the file, or its name is not a plain file name."""


class Includes:
    """Include directories and the parsed files found in them."""

    def __init__(self, directories: Sequence[Path] = ()) -> None:
        self.directories = tuple(directories)
        self._parsed: dict[Path, tuple[ast.Program, bytes]] = {}

    def load(self, name: bytes, script_directory: Path | None) -> tuple[ast.Program, bytes]:
        """The tree and the source of the include file ``name``.

        Raises:
            IncludeNotFound: no such file in the include directories.
            NaslSyntaxError: the file does not parse.
        """
        path = self._find(name, script_directory)
        cached = self._parsed.get(path)
        if cached is None:
            source = path.read_bytes()
            cached = self._parsed[path] = (parse(source, os.fsdecode(name)), source)
        return cached

    def _find(self, name: bytes, script_directory: Path | None) -> Path:
        if not name or any(c in name for c in b"/\\\0"):
            raise IncludeNotFound(f"{name!r} is not a plain file name")
        filename = os.fsdecode(name)
        places = (
            self.directories if script_directory is None else (*self.directories, script_directory)
        )
        for directory in places:
            path = directory / filename
            if path.is_file():
                return path
        raise IncludeNotFound(f"{filename}: not found in the include directories")
