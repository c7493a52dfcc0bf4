"""``ixion plugins list --json``: the plugins as JSON, a few thousand at a time, in C.

Each plugin is the object :func:`~ixion.client.plugin_catalog.listed_facts` describes, written
as ``json.dumps(..., ensure_ascii=False)`` writes it. ``json.dumps`` itself is a Python call
per plugin, with a dict built before it: a second for a whole feed's 136,000. Here a run of
plugins is taken column by column, and the objects are put together by ``zip`` and
``str.join`` around constant pieces of text.
"""

from __future__ import annotations

from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import methodcaller
from typing import TYPE_CHECKING, Final

from ixion.ntp import Category

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = ["listed_json"]

#: The bytes JSON escapes inside a string (with ``ensure_ascii=False``).
_ESCAPED: Final = bytes(range(0x20)) + b'"\\'
#: Each category's word as a JSON string, by the word.
_CATEGORIES: Final = {category.value: encode_basestring(category.value) for category in Category}
#: The inside of a JSON array from a quoted ``, ``-joined list: nothing for the empty one.
_EMPTY_LIST: Final = {'""': ""}
#: Each joint of a ``, ``-joined list, closing one JSON string and opening the next.
_JOINTS: Final = methodcaller("replace", ", ", '", "')


def listed_json(columns: Sequence[Sequence[str]]) -> str:
    """The JSON objects of a run of plugins given as columns, in
    :class:`~ixion.client.plugin_store.PluginEntry`'s order (the ids, the names, the
    category words...), joined by ``,\\n``: array elements, one per line.

    Where no field of the run holds a character JSON escapes, which one search over them
    all tells, each string is the field between two quotes, and the quotes go in with the
    constant text; otherwise each field is quoted by the json module's own C function.
    """
    if not columns[0]:
        return ""
    ids, names, words, families, _, summaries, _, cves, bids = columns[:9]
    if _plain("".join(chain(ids, names, families, summaries, cves, bids))):
        cve_arrays, bid_arrays = _plain_arrays(cves), _plain_arrays(bids)
        rows = zip(
            repeat('{"id": "'),
            ids,
            repeat('", "name": "'),
            names,
            repeat('", "family": "'),
            families,
            repeat('", "category": "'),
            words,
            repeat('", "summary": "'),
            summaries,
            repeat('", "cve": ['),
            cve_arrays,
            repeat('], "bid": ['),
            bid_arrays,
            repeat("]}"),
        )
    else:
        rows = zip(
            repeat('{"id": '),
            map(encode_basestring, ids),
            repeat(', "name": '),
            map(encode_basestring, names),
            repeat(', "family": '),
            map(encode_basestring, families),
            repeat(', "category": '),
            map(_CATEGORIES.__getitem__, words),
            repeat(', "summary": '),
            map(encode_basestring, summaries),
            repeat(', "cve": ['),
            _array_insides(map(_JOINTS, map(encode_basestring, cves))),
            repeat('], "bid": ['),
            _array_insides(map(_JOINTS, map(encode_basestring, bids))),
            repeat("]}"),
        )
    return ",\n".join(map("".join, rows))


def _plain(text: str) -> bool:
    """Whether JSON writes ``text`` as it is: no quote, no backslash, no control character.

    Asked of the bytes, where deleting those characters is a table lookup each (``re`` or
    ``str.isprintable`` look at each character ten times slower).
    """
    data = text.encode("utf-8", "surrogateescape")
    return len(data.translate(None, _ESCAPED)) == len(data)


def _plain_arrays(wire_lists: Sequence[str]) -> Iterator[str]:
    """The inside of a JSON array for each ``, ``-joined list of plain entries: all lists at
    once, one to a line (no field holds a line end), each joint and each line's ends made
    quotes, then split again; an empty list, now ``""``, has nothing inside."""
    quoted = ('"' + _JOINTS("\n".join(wire_lists)).replace("\n", '"\n"') + '"').split("\n")
    return map(_EMPTY_LIST.get, quoted, quoted)


def _array_insides(quoted_lists: Iterable[str]) -> Iterator[str]:
    """``"a", "b"`` for each quoted list whose joints are reopened (an entry never holds
    ``, ``, nor does quoting make one); nothing for an empty list, quoted ``""``."""
    quoted = list(quoted_lists)
    return map(_EMPTY_LIST.get, quoted, quoted)
