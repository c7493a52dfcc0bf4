"""Description mode: running a script's ``if (description)`` part to learn what it is.

As nasl.md §6.3 recommends: parse the statements up to and including the first top-level
``if (description)`` (:mod:`ixion.nasl.syntax.prefix`), run them with the real interpreter and
``description = TRUE``, the ``script_*`` built-ins recording into a collector and nothing
reaching a host or a KB that matters. ``include`` runs when reached, so only the includes
before the block (``revisions-lib.inc`` in the 2013 feed) are ever parsed. Code before
and inside the block runs as written: user functions, string concatenation, ``if``
(``revcomp()`` in old scripts) all work, which a regex scraper cannot do.

A :class:`Describer` keeps the parsed include files and the built-in table between
scripts, for a process describing thousands of them (:mod:`ixion.nasl.catalog.cache`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins import standard_library
from ixion.nasl.description.functions import recording
from ixion.nasl.description.metadata import MetadataCollector, NaslMetadata
from ixion.nasl.interpreter import Interpreter
from ixion.nasl.runtime.includes import Includes
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.syntax.errors import NaslError
from ixion.nasl.syntax.prefix import NoDescriptionBlock, parse_description

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["Describer", "DescriptionError", "describe"]

#: A description part does a few dozen calls: these caps only stop a hostile or broken
#: script from holding up a feed load.
DESCRIPTION_LIMITS: Final = Limits(max_steps=200_000, timeout=10.0, max_runs=16, max_sockets=0)


class DescriptionError(Exception):
    """A script that cannot be described: the message says where and why.

    ``str()`` is one line, ``file:line:col: reason`` when the place is known (it is
    not for a file that cannot be read or has no ``if (description)`` block).
    """


class Describer:
    """Describes scripts with one set of include directories."""

    def __init__(self, include_dirs: Sequence[Path] = ()) -> None:
        self.includes = Includes(include_dirs)
        self._library = standard_library()

    def describe(self, path: Path, name: str | None = None) -> NaslMetadata:
        """The metadata of the script at ``path``, named ``name`` in messages (default: path).

        Raises:
            DescriptionError: the file cannot be read, does not parse, fails while
                describing itself, or names no id/OID or no name.
        """
        filename = os.fspath(path) if name is None else name
        try:
            source = path.read_bytes()
        except OSError as err:
            raise DescriptionError(f"{filename}: cannot read: {err.strerror}") from None
        return self.describe_source(source, filename, path.parent)

    def describe_source(
        self, source: bytes, filename: str, directory: Path | None = None
    ) -> NaslMetadata:
        """As :meth:`describe`, for source already read."""
        try:
            program = parse_description(source, filename)
            collector = MetadataCollector()
            interpreter = Interpreter(
                limits=DESCRIPTION_LIMITS,
                includes=self.includes,
                builtins={**self._library, **recording(collector)},
            )
            interpreter.run(program, source=source, directory=directory, description=True)
        except NaslError as err:
            raise DescriptionError(str(err).split("\n", 1)[0]) from None
        except NoDescriptionBlock as err:
            raise DescriptionError(str(err)) from None
        meta = collector.freeze()
        # What is missing belongs in the block: its place is the ``if (description)``.
        block = program.body[-1].pos
        where = f"{filename}:{block.line}:{block.column}"
        if not meta.oid and meta.id is None:
            raise DescriptionError(f"{where}: no script_oid() or script_id()")
        if not meta.name:
            raise DescriptionError(f"{where}: no script_name()")
        return meta


def describe(path: Path, include_dirs: Sequence[Path] = ()) -> NaslMetadata:
    """The metadata of one script; see :meth:`Describer.describe`."""
    return Describer(include_dirs).describe(path)
