"""The daemon's log lines: one line per record, whatever a client sent.

Log messages quote what clients send (preference values, user names, plugin names). A raw
ESC, CR, BEL or line feed in one of them would let a client forge lines in the log, or
clear or rewrite the screen of an administrator following it with ``tail -f``. So every
message is escaped before it is written: control characters (C0, DEL, C1) and the Unicode
line and format controls that terminals or editors act on become ``\\xNN`` / ``\\uNNNN``.
A traceback that follows a message is ixiond's own text and keeps its lines.
"""

from __future__ import annotations

import logging
import re
from typing import Final

__all__ = ["SafeFormatter", "escape_controls"]

#: C0 controls, DEL, C1 controls, and the line/paragraph separators and bidirectional
#: overrides that make text read in another order than it is stored.
_CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape."""
    return _CONTROLS.sub(_escaped, text)


class SafeFormatter(logging.Formatter):
    """A :class:`logging.Formatter` whose messages cannot hold control characters."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
