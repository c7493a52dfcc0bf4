"""A server block's lines, read a run at a time: as many whole lines as the buffer holds.

:func:`~ixion.ntp.reader.read_line` reads one line per call. A whole feed's PLUGIN_LIST and
PLUGINS_DEPENDENCIES are 136,000 lines each, and a generator step, a copy and a decode per
line are then most of what reading them costs; here the lines waiting in the buffer are
taken, decoded and split at once. Each line is held to :data:`MAX_SERVER_LINE` as
``read_line`` would hold it, and the block's end line is read alone, so that nothing after
it is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.ntp.errors import LimitExceeded, RemoteProtocolError
from ixion.ntp.limits import MAX_SERVER_LINE
from ixion.ntp.reader import read_line
from ixion.ntp.server_codec import BLOCK_END
from ixion.ntp.text import decode_bytes

if TYPE_CHECKING:
    from ixion.ntp.reader import Read, ReceiveBuffer

__all__ = ["read_block_run"]

_BLOCK_END: Final = BLOCK_END.encode()


def read_block_run(buffer: ReceiveBuffer) -> Read[list[str] | None]:
    """The block lines waiting in the buffer, at least one; None once the end line is read."""
    while True:
        data = buffer.peek(len(buffer))
        if data.startswith(_BLOCK_END) or _BLOCK_END.startswith(data):
            # The end line, or what may yet become it (or a line that only starts alike).
            line = yield from read_line(buffer, MAX_SERVER_LINE, "server block line")
            return None if line.startswith(_BLOCK_END) else [decode_bytes(line)]
        end = data.find(b"\n" + _BLOCK_END)
        size = end + 1 if end >= 0 else data.rfind(b"\n") + 1
        if size:
            _check_line_lengths(data, size, buffer.consumed)
            return decode_bytes(buffer.take_exact(size) or b"").split("\n")[:-1]
        if len(data) > MAX_SERVER_LINE:
            raise LimitExceeded(
                f"server block line longer than {MAX_SERVER_LINE} bytes", offset=buffer.consumed
            )
        if buffer.eof:
            raise RemoteProtocolError(
                "connection closed in the middle of server block line", offset=buffer.consumed
            )
        yield


def _check_line_lengths(data: bytes, size: int, offset: int) -> None:
    """Refuse a line over :data:`MAX_SERVER_LINE` among the first ``size`` bytes of ``data``,
    lines that each end in a newline (``offset``: where ``data`` is in the stream)."""
    if size <= MAX_SERVER_LINE:
        return
    start = 0
    while start < size:
        end = data.index(b"\n", start)
        if end - start > MAX_SERVER_LINE:
            raise LimitExceeded(
                f"server block line longer than {MAX_SERVER_LINE} bytes", offset=offset + start
            )
        start = end + 1
