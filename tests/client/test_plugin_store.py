"""The client's plugin store: short fields kept, long texts written aside and read back whole.

A store is filled the way a login fills it, by the decoder reading a PLUGIN_LIST into it, and
must give back every record exactly as the server's list held it. A whole feed's worth goes
through with a small fraction of the list's size in memory.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import tracemalloc
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.client.plugin_store import PluginEntry, PluginStore
from ixion.ntp import (
    NEED_DATA,
    Category,
    ConnectionClosed,
    Features,
    PluginList,
    PluginRecord,
    ServerPhase,
    ServerStreamDecoder,
    encode_server_message,
)
from ixion.ntp.plugin_line import plugin_line
from tests.ntp import strategies as s
from tests.ntp.server_samples import BANNER_CHECK, REFERENCE, TCP_SCANNER


def _fill(store: PluginStore, data: bytes, features: Features, chunk: int = 65536) -> None:
    """Read a server's PLUGIN_LIST bytes into ``store``, ``chunk`` bytes at a time."""
    decoder = ServerStreamDecoder(features, start=ServerPhase.MESSAGES, plugin_sink=store.add)
    for start in range(0, len(data), chunk):
        decoder.receive_data(data[start : start + chunk])
        while (msg := decoder.next_message()) is not NEED_DATA:
            assert msg == PluginList()
    decoder.receive_data(b"")
    assert decoder.next_message() == ConnectionClosed()


def _stored(plugins: tuple[PluginRecord, ...], features: Features = REFERENCE) -> PluginStore:
    store = PluginStore()
    _fill(store, encode_server_message(PluginList(plugins=plugins), features), features)
    return store


@st.composite
def plugin_lists(draw: st.DrawFn) -> tuple[Features, tuple[PluginRecord, ...]]:
    features = draw(s.features())
    return features, tuple(draw(st.lists(s.plugin_records(features), max_size=10)))


@settings(max_examples=100, deadline=None)
@given(plugin_lists(), st.integers(1, 300))
def test_every_record_reads_back_as_the_server_listed_it(
    case: tuple[Features, tuple[PluginRecord, ...]], chunk: int
) -> None:
    features, plugins = case
    store = PluginStore()
    _fill(store, encode_server_message(PluginList(plugins=plugins), features), features, chunk)
    assert store.plugins == plugins
    assert [store.record(entry) for entry in store] == list(plugins)
    for entry, plugin in zip(reversed(store.entries), reversed(plugins), strict=True):
        assert store.record(entry).description == plugin.description
        assert (entry.id, entry.name, entry.category) == (plugin.id, plugin.name, plugin.category)
        assert (entry.cve, entry.bid) == (plugin.cve, plugin.bid)


def test_texts_the_server_sent_as_bytes_that_are_no_utf8_read_back_as_those_bytes() -> None:
    line = plugin_line(BANNER_CHECK, REFERENCE).encode().replace(b"Risk factor", b"Risk \xff\xfe")
    store = PluginStore()
    _fill(store, b"SERVER <|> PLUGIN_LIST <|>\n" + line + b"\n<|> SERVER\n", REFERENCE)
    (record,) = store.records()
    assert record.description.encode("utf-8", "surrogateescape").endswith(b"Risk \xff\xfe : Low")
    assert store.record(store.entries[0]) == record


def test_a_plugin_is_found_by_id_and_the_first_of_two_wins() -> None:
    second = dataclasses.replace(TCP_SCANNER, id=BANNER_CHECK.id, name="Listed twice")
    store = _stored((BANNER_CHECK, TCP_SCANNER, second))
    found = store.get(BANNER_CHECK.id)
    assert found is not None
    assert (found.name, found.position) == (BANNER_CHECK.name, 0)
    assert store.find(TCP_SCANNER.id) == TCP_SCANNER
    assert store.get("no such id") is None
    assert store.find("no such id") is None


def test_the_columns_are_the_entries_fields() -> None:
    store = _stored((BANNER_CHECK, TCP_SCANNER))
    ids, _, words, *_, cves, _ = store.columns()
    assert list(ids) == ["90002", "90001"]
    assert list(words) == ["infos", "scanner"]
    assert list(cves) == ["CVE-1999-0001", ""]
    assert [tuple(column) for column in zip(*store.columns(), strict=True)] == [
        tuple(entry)[:-1] for entry in store
    ]
    assert store.entries[1] == PluginEntry(
        "90001",
        "Peers tiny TCP scanner",
        "scanner",
        "Port scanners",
        "Public domain test plugin",
        "tiny connect() scanner",
        "$Revision: 1.0 $",
        "",
        "",
        1,
    )
    assert store.entries[1].category is Category.SCANNER
    assert (len(store), len(PluginStore())) == (2, 0)


def test_a_store_without_descriptions_gives_records_without_them_only() -> None:
    store = PluginStore(descriptions=False)
    data = encode_server_message(PluginList(plugins=(BANNER_CHECK,)), REFERENCE)
    _fill(store, data, REFERENCE)
    assert store.find(BANNER_CHECK.id, description=False) == dataclasses.replace(
        BANNER_CHECK, description=""
    )
    with pytest.raises(ValueError, match="keeps no descriptions"):
        store.find(BANNER_CHECK.id)
    bare = PluginStore(descriptions=False, references=False)
    _fill(bare, data, REFERENCE)
    assert bare.get(BANNER_CHECK.id) is not None
    with pytest.raises(ValueError, match="keeps no references"):
        bare.find(BANNER_CHECK.id, description=False)


def test_a_closed_store_keeps_its_entries_and_gives_back_its_files() -> None:
    store = _stored((BANNER_CHECK,))
    store.close()
    assert [entry.id for entry in store] == [BANNER_CHECK.id]
    with pytest.raises(ValueError, match="closed"):
        store.find(BANNER_CHECK.id)
    store.close()  # twice is no error


# --- a whole feed ------------------------------------------------------------------------------

#: About the community feed: 136,000 plugins, descriptions of 900 bytes.
_FEED_SIZE = 136_000
_DESCRIPTION = "The remote host is missing an update for a package announced via an advisory. " * 11


def _feed_line(number: int) -> str:
    """A plugin line of the made-up feed (each description different, as a feed's are)."""
    return (
        f"{100_000 + number} <|> Advisory {number} for package {number % 977} <|> infos <|> "
        f"Copyright (C) 2018 Someone <|> {number};{_DESCRIPTION} <|> Checks the package "
        f"version announced in advisory {number} <|> Family {number % 61} <|> 2024-02-02 <|> "
        f"CVE-2017-{number % 9999:04d}, CVE-2018-{number % 7777:04d} <|>  <|> "
        f"URL:https://example.org/advisory/{number}"
    )


def _feed_bytes(chunk: int = 65536) -> Iterator[bytes]:
    """The feed's PLUGIN_LIST as a server sends it, made as it is read (never held whole)."""
    yield b"SERVER <|> PLUGIN_LIST <|>\n"
    pending: list[str] = []
    size = 0
    for number in range(_FEED_SIZE):
        line = _feed_line(number) + "\n"
        pending.append(line)
        size += len(line)
        if size >= chunk:
            yield "".join(pending).encode()
            pending, size = [], 0
    yield "".join(pending).encode() + b"<|> SERVER\n"


def _size_in_memory(columns: tuple[Sequence[str], ...]) -> int:
    """What the columns take: each list, and each string it holds (a shared one once)."""
    seen: set[int] = set()
    size = 0
    for column in columns:
        size += sys.getsizeof(column)
        for text in column:
            if id(text) not in seen:
                seen.add(id(text))
                size += sys.getsizeof(text)
    return size


def test_a_whole_feed_goes_through_with_a_fraction_of_its_size_in_memory() -> None:
    listed = sum(len(_feed_line(number)) + 1 for number in range(_FEED_SIZE))
    assert listed > 150_000_000
    store = PluginStore()
    decoder = ServerStreamDecoder(REFERENCE, start=ServerPhase.MESSAGES, plugin_sink=store.add)
    gc.collect()
    tracemalloc.start()
    try:
        for data in _feed_bytes():
            decoder.receive_data(data)
            while (msg := decoder.next_message()) is not NEED_DATA:
                assert msg == PluginList()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(store) == _FEED_SIZE
    # The short fields stay in memory, as Python objects; the descriptions do not, and
    # reading does not hold more than a few buffers' worth of the list at any time.
    kept = _size_in_memory(store.columns())
    assert peak < kept + 16_000_000, f"peak {peak / 1e6:.0f} MB, short fields {kept / 1e6:.0f} MB"
    assert peak < listed / 2, f"peak {peak / 1e6:.0f} MB for a {listed / 1e6:.0f} MB list"
    for number in (0, 4_321, _FEED_SIZE - 1):
        record = store.find(str(100_000 + number))
        assert record is not None
        assert record.description == f"{number}\n{_DESCRIPTION}"
        assert record.xref == (f"URL:https://example.org/advisory/{number}",)
    store.close()
