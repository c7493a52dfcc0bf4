"""``ixion -q -p``: the server's plugins, one ``|``-separated line each, printed as they arrive.

The fields are nessus 2.2's (spec §9.1): id, family, name, category, copyright, summary,
version, CVE, BID and other references, description, escaped as NBE escapes texts
(:func:`~ixion.reports.nbe.escape_text`). A whole feed's listing is 200 MB;
:class:`PluginListing` is the sink the decoder hands each run of plugin lines to, so the
listing is written while it is received and nothing of it is kept.
"""

from __future__ import annotations

from itertools import repeat
from operator import attrgetter, contains, methodcaller
from typing import TYPE_CHECKING, BinaryIO, Final

if TYPE_CHECKING:
    from ixion.ntp import PluginBatch

__all__ = ["PluginListing", "listing_lines"]

#: A category's word, read in C: ``Category.value`` is a Python call, and so is the hash a
#: dict lookup by category needs.
_WORD: Final = attrgetter("_value_")
#: The description's line breaks, ``;`` on the wire, as the listing writes them.
_LINE_BREAKS: Final = methodcaller("replace", ";", "\\n")


def listing_lines(batch: PluginBatch) -> str:
    """The listing's lines for a run of plugins, each ending in a newline.

    Built from the wire form, where the description's line breaks are ``;`` and no field
    holds a line end, column by column in C: the fields joined with ``|``, the descriptions'
    ``;`` made ``\\n``. ``escape_text`` leaves ``|`` alone, so where a backslash or a
    carriage return asks for escaping, the fields are escaped together, joined by line ends,
    before the descriptions' line breaks are written (their backslash is not to be doubled).
    """
    if not len(batch):
        return ""
    fields = zip(
        batch.id,
        batch.family,
        batch.name,
        map(_WORD, batch.category),
        batch.copyright,
        batch.summary,
        batch.version,
        batch.cve_list,
        batch.bid_list,
        batch.xref_list,
        strict=True,
    )
    heads = list(map("|".join, fields))
    descriptions = batch.wire_description
    if _needs_escaping("".join(heads)) or any(
        any(map(contains, descriptions, repeat(char))) for char in "\\\r"
    ):
        # Rare: escaped all at once, joined by the line ends no field holds.
        heads = _escaped("\n".join(heads)).split("\n")
        descriptions = tuple(_escaped("\n".join(descriptions)).split("\n"))
    rows = zip(heads, map(_LINE_BREAKS, descriptions), strict=True)
    return "\n".join(map("|".join, rows)) + "\n"


def _needs_escaping(text: str) -> bool:
    return "\\" in text or "\r" in text


def _escaped(text: str) -> str:
    """:func:`escape_text` for a text without line ends."""
    return text.replace("\\", "\\\\").replace("\r", "\\r")


class PluginListing:
    """Writes the listing of each run of plugins it is given to ``out``, as bytes the
    server sent (UTF-8, undecodable bytes as they came)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        #: Plugins written so far.
        self.count = 0

    def __call__(self, batch: PluginBatch) -> None:
        self._out.write(listing_lines(batch).encode("utf-8", "surrogateescape"))
        self.count += len(batch)
