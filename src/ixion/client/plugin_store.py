"""The server's plugin list as the client keeps it: short fields in memory, long texts on disk.

A whole community feed is 136,000 plugins and a 200 MB PLUGIN_LIST, 130 MB of it descriptions
that a listing, a search or a plugin choice never reads. :class:`PluginStore` is the sink the
decoder hands each run of plugin lines to as it arrives (:class:`~ixion.ntp.PluginBatch`): it
keeps the short fields a choice, a search or a report looks at, with the repeated ones
(family, copyright, version) stored once, and writes the long ones (description, xrefs,
OTP's signing keys and tags) to an unlinked temporary file, one line per plugin as they
travelled. :meth:`PluginStore.record` reads a plugin's texts back, whole, when someone wants
them: ``ixion plugins show``, the facts of a plugin that reported.

Two things keep a whole feed cheap. A run of plugins is taken in by ``list.extend`` and
``map``, with no Python call per plugin. And the plugins are kept as columns, a list of
strings per field, rather than an object each: 136,000 more objects for Python's garbage
collector to walk through at every full collection while the list arrives. Readers get
:class:`PluginEntry` views, made in C as they are asked for, or the columns themselves.
"""

from __future__ import annotations

import operator
import os
import tempfile
import weakref
from array import array
from functools import partial
from itertools import accumulate, count, islice, repeat
from typing import TYPE_CHECKING, BinaryIO, Final, NamedTuple

from ixion.ntp import Category, PluginLine

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ixion.ntp import PluginBatch, PluginRecord

__all__ = ["PluginEntry", "PluginStore"]

#: Between a plugin's long texts in the file: NTP's own separator, which no wire field holds.
_SEP: Final = " <|> "
#: A category's word, read in C (``Category.value`` is a Python call).
_WORD: Final = operator.attrgetter("_value_")
_CATEGORIES: Final = {category.value: category for category in Category}


def _entries(wire: str) -> tuple[str, ...]:
    return tuple(wire.split(", ")) if wire else ()


class PluginEntry(NamedTuple):
    """The short fields of one plugin, read as :class:`~ixion.ntp.PluginRecord`'s are.

    CVE and BID ids are kept as they travelled (``, ``-joined), one string instead of a
    tuple of them, and the category as its word; the properties give them as a record does.
    """

    id: str
    name: str
    category_word: str
    family: str
    copyright: str
    summary: str
    version: str
    cve_list: str
    bid_list: str
    #: Where the plugin is in the store's order (and its long texts in the file).
    position: int

    @property
    def category(self) -> Category:
        return _CATEGORIES[self.category_word]

    @property
    def cve(self) -> tuple[str, ...]:
        return _entries(self.cve_list)

    @property
    def bid(self) -> tuple[str, ...]:
        return _entries(self.bid_list)


#: A PluginEntry from a row of its fields, as PluginEntry._make does, in C.
_as_entry: Final = partial(tuple.__new__, PluginEntry)
#: The fields kept as columns: every field of a PluginEntry but its position.
_KEPT: Final = len(PluginEntry._fields) - 1


class PluginStore:
    """The plugins of one PLUGIN_LIST, in the server's order (see the module's docstring).

    :meth:`add` is the decoder's sink; afterwards the store is read: iterate it or take its
    :attr:`entries`, :meth:`get` one by id, :meth:`record` or :meth:`records` for whole
    records. What is kept of the long texts is chosen when it is made: a listing or a
    search reads none (``descriptions=False, references=False``); a scan's reports read
    the references but never a description, which is most of the bytes to write.
    """

    def __init__(self, *, descriptions: bool = True, references: bool = True) -> None:
        #: A list per field, in PluginEntry's order.
        self._columns: tuple[list[str], ...] = tuple([] for _ in range(_KEPT))
        self._by_id: dict[str, int] | None = None
        #: The one copy of each repeated short text.
        self._shared: dict[str, str] = {}
        #: The long texts kept, a line per plugin: the descriptions (the bulk, 130 MB for a
        #: whole feed), and the references, which reports read (xrefs, OTP's signing keys and
        #: tags).
        self._descriptions = _Lines() if descriptions else None
        self._references = _Lines() if references else None

    def add(self, batch: PluginBatch) -> None:
        """Keep a run of plugins: the decoder's sink, called for each buffer of PLUGIN_LIST."""
        shared = self._shared.setdefault
        ids, names, words, families, copyrights, summaries, versions, cves, bids = self._columns
        ids.extend(batch.id)
        names.extend(batch.name)
        words.extend(map(_WORD, batch.category))
        families.extend(map(shared, batch.family, batch.family))
        copyrights.extend(map(shared, batch.copyright, batch.copyright))
        summaries.extend(batch.summary)
        versions.extend(map(shared, batch.version, batch.version))
        cves.extend(batch.cve_list)
        bids.extend(batch.bid_list)
        if self._descriptions is not None:
            self._descriptions.extend(batch.wire_description)
        if self._references is not None:
            # Wire fields hold neither a separator nor a line end: each reads back alone.
            self._references.extend(
                list(map(_SEP.join, zip(batch.xref_list, batch.sign_keys, batch.tags, strict=True)))
            )

    @property
    def entries(self) -> list[PluginEntry]:
        """Every plugin's entry, in the server's order (made anew at each call)."""
        return list(self)

    def columns(self) -> tuple[Sequence[str], ...]:
        """Every plugin's short fields, a column per field in PluginEntry's order but the
        position: the ids, the names, the category words... (not copies: read only)."""
        return self._columns

    def __len__(self) -> int:
        return len(self._columns[0])

    def __iter__(self) -> Iterator[PluginEntry]:
        return map(_as_entry, zip(*self._columns, count(), strict=False))

    def get(self, plugin_id: str) -> PluginEntry | None:
        """The plugin of that id (the first, should the server list an id twice)."""
        ids = self._columns[0]
        if self._by_id is None:
            # Backwards, so that the first of two plugins with one id is the one kept.
            self._by_id = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1), strict=True))
        position = self._by_id.get(plugin_id)
        if position is None:
            return None
        return _as_entry((*(column[position] for column in self._columns), position))

    def record(self, entry: PluginEntry, *, description: bool = True) -> PluginRecord:
        """The whole record of ``entry``, its long texts read back from the files.

        ``description=False``: with an empty description, for readers that show none (the
        facts reports give of a plugin); a store that keeps no descriptions gives only that.

        Raises:
            ValueError: the store does not keep what is asked for.
        """
        references = self._kept(self._references, "references")[entry.position]
        if not description:
            return _whole(entry, "", references)
        return _whole(
            entry, self._kept(self._descriptions, "descriptions")[entry.position], references
        )

    def find(self, plugin_id: str, *, description: bool = True) -> PluginRecord | None:
        """The whole record of the plugin of that id, if the server listed one (see
        :meth:`record`)."""
        entry = self.get(plugin_id)
        return None if entry is None else self.record(entry, description=description)

    def records(self) -> Iterator[PluginRecord]:
        """Every whole record, in order, one at a time."""
        if not len(self):
            return
        descriptions = self._kept(self._descriptions, "descriptions")
        references = self._kept(self._references, "references")
        for entry, description, rest in zip(self, descriptions, references, strict=True):
            yield _whole(entry, description, rest)

    @property
    def plugins(self) -> tuple[PluginRecord, ...]:
        """Every whole record at once, as PLUGIN_LIST's message holds them: for a short list
        (a whole feed's is the 200 MB this store exists to keep out of memory)."""
        return tuple(self.records())

    def close(self) -> None:
        """Give the files back; the entries stay, the records are gone."""
        for lines in (self._descriptions, self._references):
            if lines is not None:
                lines.close()

    @staticmethod
    def _kept(lines: _Lines | None, what: str) -> _Lines:
        if lines is None:
            raise ValueError(f"this plugin store keeps no {what}")
        return lines


class _Lines:
    """Texts without line ends, a line each in an unlinked temporary file, read back by
    their number: appended a run at a time, joined and encoded at once."""

    def __init__(self) -> None:
        #: Where each line starts in the file, then where the file ends.
        self._offsets = array("q", [0])
        self._file: BinaryIO | None = None
        self._closer: weakref.finalize[[], _Lines] | None = None

    def extend(self, texts: Sequence[str]) -> None:
        if not texts:
            return
        text = "\n".join(texts) + "\n"
        if text.isascii():  # a flag lookup; then a character is a byte
            sizes = map(len, texts)
        else:
            sizes = map(len, (t.encode("utf-8", "surrogateescape") for t in texts))
        # Each line's end, where the next starts: its size and its line end further on.
        ends = accumulate(map(operator.add, sizes, repeat(1)), initial=self._offsets[-1])
        self._offsets.extend(islice(ends, 1, None))
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115
            # Given back with its owner, if nobody closes it before.
            self._closer = weakref.finalize(self, self._file.close)
        self._file.write(text.encode("utf-8", "surrogateescape"))

    def __getitem__(self, number: int) -> str:
        start, end = self._offsets[number], self._offsets[number + 1]
        return _text(os.pread(self._flushed().fileno(), end - start, start))

    def __iter__(self) -> Iterator[str]:
        # By number, as a record is read: a read elsewhere cannot move this one along.
        return map(self.__getitem__, range(len(self._offsets) - 1))

    def close(self) -> None:
        if self._closer is not None:
            self._closer()

    def _flushed(self) -> BinaryIO:
        if self._file is None or self._file.closed:
            raise ValueError("no texts kept (none added, or the store is closed)")
        self._file.flush()
        return self._file


def _text(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape").removesuffix("\n")


def _whole(entry: PluginEntry, description: str, references: str) -> PluginRecord:
    xref_list, sign_keys, tags = references.split(_SEP)
    line = PluginLine(
        entry.id,
        entry.name,
        entry.category,
        entry.copyright,
        description,
        entry.summary,
        entry.family,
        entry.version,
        entry.cve_list,
        entry.bid_list,
        xref_list,
        sign_keys,
        tags,
    )
    return line.record()
