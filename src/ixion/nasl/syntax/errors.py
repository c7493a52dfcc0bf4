"""Errors that say where: file, line and column, with the offending line shown.

A plugin author reading ``ixion-nasl`` output, or an admin reading ixiond's log after a feed
update, must be able to go straight to the spot. Every error of this package carries the
position, and ``str()`` renders it the way compilers do::

    http_func.inc:12:9: expected ';' after the statement
        x = 1
            ^
"""

from __future__ import annotations

__all__ = ["NaslError", "NaslRuntimeError", "NaslSyntaxError"]


class NaslError(Exception):
    """Something wrong in a NASL script, at a known place."""

    def __init__(
        self, message: str, *, filename: str, line: int, column: int, source_line: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        #: 1-based; 0 when the place is unknown (e.g. a file that cannot be read).
        self.line = line
        self.column = column
        #: The text of that line, decoded leniently (NASL files are bytes), without newline.
        self.source_line = source_line

    def __str__(self) -> str:
        where = f"{self.filename}:{self.line}:{self.column}: {self.message}"
        if not self.source_line:
            return where
        caret = " " * max(self.column - 1, 0) + "^"
        return f"{where}\n    {self.source_line}\n    {caret}"


class NaslSyntaxError(NaslError):
    """The file does not follow NASL's grammar; nothing of it runs."""


class NaslRuntimeError(NaslError):
    """A script failed while running; that script ends, never the scan."""
