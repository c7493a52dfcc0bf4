"""The plugin line of PLUGIN_LIST and PLUGIN_INFO, both ways (spec §3.2).

Seven fixed fields, then optional ones in a fixed order, each present only if the client asked
for it with its extension word: version, CVE, BID, xref. OTP always sends those four plus
signing keys and tags, and writes ``NOCVE``-style words where nessusd 2.2.5 leaves a field empty.

Reading comes in three sizes. :func:`parse_plugin_line` gives a :class:`PluginRecord`;
:meth:`PluginLineReader.read` a :class:`PluginLine`, the same fields checked as strictly but
left as they travel (lists still joined, the description still escaped). A whole feed's
PLUGIN_LIST is 136,000 lines and 200 MB, and a Python call per line is most of what reading
it costs, so :meth:`PluginLineReader.read_batch` reads a run of lines as a
:class:`PluginBatch`, each field a column, split, transposed and checked by C-level string
and iterator operations; a receiver keeps or writes whole columns the same way.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.records import Category, PluginRecord
from ixion.ntp.text import SEP, escape_description, unescape_description

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from ixion.ntp.features import Features

__all__ = ["PluginBatch", "PluginLine", "PluginLineReader", "parse_plugin_line", "plugin_line"]

#: OTP's words for an empty optional field (nessusd 2.2.5 sends an empty field instead).
_OTP_EMPTY: Final = {
    "cve": "NOCVE",
    "bid": "NOBID",
    "xref": "NOXREF",
    "sign_keys": "NOSIGNKEYS",
    "tags": "NOTAG",
}


def _optional_fields(features: Features) -> list[str]:
    """Names of the optional PLUGIN_LIST fields present, in their fixed order."""
    if features.is_otp:
        return ["version", "cve", "bid", "xref", "sign_keys", "tags"]
    wanted = (
        ("plugins_version", "version"),
        ("plugins_cve_id", "cve"),
        ("plugins_bugtraq_id", "bid"),
        ("plugins_xrefs", "xref"),
    )
    return [field for word, field in wanted if features.has(word)]


def plugin_line(plugin: PluginRecord, features: Features) -> str:
    fields = [
        plugin.id,
        plugin.name,
        plugin.category.value,
        plugin.copyright,
        escape_description(plugin.description),
        plugin.summary,
        plugin.family,
    ]
    for name in _optional_fields(features):
        value = getattr(plugin, name)
        text = ", ".join(value) if isinstance(value, tuple) else value
        if not text and features.is_otp:
            text = _OTP_EMPTY.get(name, text)
        fields.append(text)
    return SEP.join(fields)


def parse_plugin_line(text: str, features: Features) -> PluginRecord:
    """One PLUGIN_LIST or PLUGIN_INFO line as a record (:class:`PluginLineReader` for many)."""
    return PluginLineReader(features).read(text).record()


def _entries(wire: str) -> tuple[str, ...]:
    return tuple(wire.split(", ")) if wire else ()


class PluginLine(NamedTuple):
    """One plugin line's fields, checked, in their wire form.

    Every line that gives a PluginLine gives a valid :class:`PluginRecord` (:meth:`record`);
    the properties named as the record's fields read the same values, so a PluginLine serves
    wherever a record is only read.
    """

    id: str
    name: str
    category: Category
    copyright: str
    #: The description as it travels: each line break a ``;``.
    wire_description: str
    summary: str
    family: str
    version: str = "?"
    #: The ``, ``-separated CVE ids as they travel (empty for none).
    cve_list: str = ""
    bid_list: str = ""
    xref_list: str = ""
    sign_keys: str = ""
    tags: str = ""

    @property
    def description(self) -> str:
        return unescape_description(self.wire_description)

    @property
    def cve(self) -> tuple[str, ...]:
        return _entries(self.cve_list)

    @property
    def bid(self) -> tuple[str, ...]:
        return _entries(self.bid_list)

    @property
    def xref(self) -> tuple[str, ...]:
        return _entries(self.xref_list)

    def record(self) -> PluginRecord:
        return PluginRecord(
            id=self.id,
            name=self.name,
            category=self.category,
            copyright=self.copyright,
            description=self.description,
            summary=self.summary,
            family=self.family,
            version=self.version,
            cve=self.cve,
            bid=self.bid,
            xref=self.xref,
            sign_keys=self.sign_keys,
            tags=self.tags,
        )


@dataclass(frozen=True, slots=True)
class PluginBatch:
    """Consecutive plugin lines, checked, as columns: the i-th plugin's fields are the i-th
    of each tuple, named and ordered as a :class:`PluginLine`'s."""

    id: tuple[str, ...]
    name: tuple[str, ...]
    category: tuple[Category, ...]
    copyright: tuple[str, ...]
    wire_description: tuple[str, ...]
    summary: tuple[str, ...]
    family: tuple[str, ...]
    version: tuple[str, ...]
    cve_list: tuple[str, ...]
    bid_list: tuple[str, ...]
    xref_list: tuple[str, ...]
    sign_keys: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def of(cls, lines: Iterable[PluginLine]) -> PluginBatch:
        rows = tuple(lines)
        if not rows:
            return cls(*((),) * len(PluginLine._fields))
        return cls(*zip(*rows, strict=True))

    def __len__(self) -> int:
        return len(self.id)

    def columns(self) -> tuple[tuple[Any, ...], ...]:
        """Every column, in a PluginLine's order."""
        return (
            self.id,
            self.name,
            self.category,
            self.copyright,
            self.wire_description,
            self.summary,
            self.family,
            self.version,
            self.cve_list,
            self.bid_list,
            self.xref_list,
            self.sign_keys,
            self.tags,
        )

    def lines(self) -> Iterator[PluginLine]:
        """The plugins one by one."""
        return map(PluginLine._make, zip(*self.columns(), strict=True))


#: Each category by its word, for a whole column at a time (``Category.from_wire`` for one).
_CATEGORIES: Final = {category.value: category for category in Category}
#: Where each optional field sits in a PluginLine.
_POSITIONS: Final = {"version": 7, "cve": 8, "bid": 9, "xref": 10, "sign_keys": 11, "tags": 12}
#: A PluginLine's defaults from ``version`` on, for the fields a line leaves out.
_DEFAULTS: Final = ("?", "", "", "", "", "")


class PluginLineReader:
    """Reads the plugin lines of one connection; which fields they carry is worked out once."""

    __slots__ = ("_count", "_empty_words", "_positions")

    def __init__(self, features: Features) -> None:
        names = _optional_fields(features)
        self._count = 7 + len(names)
        self._positions = tuple(_POSITIONS[name] for name in names)
        #: OTP's NOCVE-style words by position, to be read as empty fields.
        self._empty_words = (
            {_POSITIONS[name]: word for name, word in _OTP_EMPTY.items()} if features.is_otp else {}
        )

    def read(self, text: str) -> PluginLine:
        """The fields of one line, checked as its record checks them.

        Raises:
            LocalProtocolError: the line is not a plugin line, or holds a value no
                :class:`PluginRecord` can.
        """
        fields = text.split(SEP)
        if len(fields) != self._count:
            raise LocalProtocolError(
                f"plugin line has {len(fields)} fields, expected {self._count}: {text[:80]!r}"
            )
        line = PluginLine._make(self._row(fields))
        line.record()  # raises what is wrong, if anything is
        if "\n" in line.wire_description:  # a record would take it, the wire cannot
            raise LocalProtocolError(f"plugin description holds a line end: {text[:80]!r}")
        return line

    def read_batch(self, texts: Sequence[str]) -> PluginBatch:
        """The fields of consecutive lines, as :meth:`read` would give them one by one.

        The checks run over whole columns at once: every line with the right number of
        fields and a known category; no ``<|>`` in any field but the description (a field
        split off a line holds no separator, so this leaves none with half of one at an edge,
        nor an id with one); ids without whitespace; no empty entry in a ``, ``-joined list;
        no line end anywhere. Should anything fail, or look as if it might, the lines are
        read one by one, which gives the complaint or clears a false alarm.

        Raises:
            LocalProtocolError: as :meth:`read`, for the first line at fault.
        """
        if not texts:
            return PluginBatch.of(())
        rows = list(map(str.split, texts, repeat(SEP)))
        if len(set(map(len, rows))) == 1 and len(rows[0]) == self._count:
            columns = self._arranged(list(zip(*rows, strict=True)))
            categories = tuple(map(_CATEGORIES.get, columns[2]))
            if None not in categories and _columns_are_clean(columns, texts):
                columns[2] = categories
                return PluginBatch(*columns)
        return PluginBatch.of(map(self.read, texts))

    def _row(self, fields: list[str]) -> list[Any]:
        """One line's fields in a PluginLine's order, with the defaults of those it lacks."""
        row: list[Any] = [*fields[:7], *_DEFAULTS]
        for position, value in zip(self._positions, fields[7:], strict=True):
            row[position] = "" if value == self._empty_words.get(position) else value
        row[2] = Category.from_wire(row[2])
        return row

    def _arranged(self, given: list[tuple[str, ...]]) -> list[tuple[Any, ...]]:
        """Columns in a PluginLine's order, with the defaults of those the lines lack."""
        rows = len(given[0])
        columns: list[tuple[Any, ...]] = [*given[:7], *((value,) * rows for value in _DEFAULTS)]
        for position, column in zip(self._positions, given[7:], strict=True):
            word = self._empty_words.get(position)
            # dict.get(value, value): the empty word becomes "", anything else stays.
            columns[position] = (
                column if word is None else tuple(map({word: ""}.get, column, column))
            )
        return columns


def _columns_are_clean(columns: list[tuple[Any, ...]], texts: Sequence[str]) -> bool:
    """A sufficient test that every row of ``columns`` (split off ``texts``) makes a valid
    record, category aside (see :meth:`PluginLineReader.read_batch`).

    Every field but the category and the description, joined by line ends, searched once
    for a ``<|>``; the lists, joined the same way, for an empty entry, which shows as
    ``", , "`` or as ``", "`` at either end of a list.
    """
    ids = columns[0]
    short = "\n".join(chain(ids, columns[1], columns[3], *columns[5:]))
    lists = "\n" + "\n".join(chain(columns[8], columns[9], columns[10])) + "\n"
    return (
        "<|>" not in short
        and ", , " not in lists
        and "\n, " not in lists
        and ", \n" not in lists
        and " ".join(ids).split() == list(ids)
        and not any(map(operator.contains, texts, repeat("\n")))
    )
