"""Saved KBs with nessusd's rules (spec §8.3), and nessusd's KB file format both ways."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.store.database import Store
from ixion.store.kbs import SavedKbs, format_nessusd_kb, parse_nessusd_kb

HOST = "198.18.0.1"


@pytest.fixture
def kbs(tmp_path: Path) -> Iterator[SavedKbs]:
    store = Store.open(tmp_path / "state")
    yield SavedKbs(store, legacy_users=tmp_path / "users")
    store.close()


def test_writes_are_saved_by_nessusds_rules(kbs: SavedKbs) -> None:
    kbs.begin("u", HOST, restore=False, max_age=3600)
    kbs.write(
        "u",
        HOST,
        [
            ("add", "Ports/tcp/22", 1),
            ("add", "Secret/password", "x"),
            ("add", "/tmp/scratch", 1),
            ("add", "NIDS/x", 1),
            ("add", "Settings/y", 1),
            ("add", "Services/www", 80),
            ("add", "Services/www", 8080),
            ("add", "Success/10", 1),
        ],
        when=100,
    )
    kbs.write(
        "u",
        HOST,
        [
            ("add", "Services/www", 80),  # the same pair again: one entry, the newer
            ("add", "Success/10", 2),  # one value only under Success/
            ("replace", "Ports/tcp/22", 0),
            ("remove", "Services/www", ""),
        ],
        when=200,
    )
    assert kbs.entries("u", HOST) == [(200, "Success/10", 2), (200, "Ports/tcp/22", 0)]


def test_a_restore_starts_from_what_is_recent_and_a_dead_host_gets_it_back(
    kbs: SavedKbs,
) -> None:
    kbs.begin("u", HOST, restore=False, max_age=3600)
    kbs.write("u", HOST, [("add", "Old/a", 1)], when=1000)
    kbs.write("u", HOST, [("add", "New/b", "x"), ("add", "Host/dead", 0)], when=5000)
    kbs.end("u", HOST, unreachable=False, restored=False)
    assert kbs.has("u", HOST)
    restored = kbs.begin("u", HOST, restore=True, max_age=3600, now=6000)
    assert restored == [("New/b", "x")]  # Old/a too old, Host/dead never restored
    assert not kbs.has("u", HOST)  # locked while scanned
    kbs.write("u", HOST, [("replace", "Host/dead", 1)], when=6001)
    kbs.end("u", HOST, unreachable=True, restored=True)
    assert kbs.entries("u", HOST) == [
        (1000, "Old/a", 1),
        (5000, "New/b", "x"),
        (5000, "Host/dead", 0),
    ]


def test_a_scan_without_restore_starts_the_kb_afresh(kbs: SavedKbs) -> None:
    kbs.begin("u", HOST, restore=False, max_age=1)
    kbs.write("u", HOST, [("add", "A", 1)], when=1)
    kbs.end("u", HOST, unreachable=False, restored=False)
    kbs.begin("u", HOST, restore=False, max_age=1)
    assert kbs.entries("u", HOST) == []
    assert kbs.entries("other", HOST) == []


def test_a_nessusd_file_is_read_from_its_first_line(kbs: SavedKbs, tmp_path: Path) -> None:
    folder = tmp_path / "users" / "u" / "kbs"
    folder.mkdir(parents=True)
    (folder / "198.18.0.0_24").write_bytes(b"4000 1 First=one\n4001 3 Second=2\n")
    assert kbs.has("u", "198.18.0.0/24")
    assert not kbs.has("v", "198.18.0.0/24")
    restored = kbs.begin("u", "198.18.0.0/24", restore=True, max_age=3600, now=4100)
    assert restored == [("First", "one"), ("Second", 2)]


@pytest.mark.parametrize("user", ["../u", "", ".."])
def test_a_user_name_never_reaches_outside_the_users_directory(kbs: SavedKbs, user: str) -> None:
    assert not kbs.has(user, "passwd")


values: st.SearchStrategy[int | str] = st.one_of(
    st.integers(min_value=-(2**60), max_value=2**60), st.text()
)
entries = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2**40),
        st.text(st.characters(blacklist_characters="=\n\r\x00", codec="utf-8"), min_size=1),
        values,
    )
)


@given(entries)
def test_the_nessusd_format_reads_back_what_it_wrote(
    written: list[tuple[int, str, int | str]],
) -> None:
    data = format_nessusd_kb([(float(t), n, v) for t, n, v in written])
    assert parse_nessusd_kb(data) == [(float(t), n, v) for t, n, v in written]


@given(st.binary())
def test_any_bytes_read_as_entries_or_nothing(data: bytes) -> None:
    for when, name, value in parse_nessusd_kb(data):
        assert isinstance(when, float)
        assert name
        assert isinstance(value, int | str)


@given(
    st.text(st.characters(categories=["L", "N", "P", "Cs"]), min_size=1, max_size=20),
    st.text(st.characters(categories=["L", "N", "Zs", "Cc", "Cs"]), max_size=40),
)
def test_any_text_a_target_sent_is_kept_exactly(name_tail: str, value: str) -> None:
    """KB text may hold bytes that were not UTF-8 (as lone surrogates); SQLite's TEXT cannot
    carry them, the store keeps and gives them back all the same."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        kbs = SavedKbs(store)
        name = f"Banner/{name_tail}"
        kbs.begin("u", HOST, restore=False, max_age=3600)
        kbs.write("u", HOST, [("add", name, value), ("add", name, 7)], when=1)
        kbs.write("u", HOST, [("add", name, value)], when=2)  # the same pair: one entry
        kbs.end("u", HOST, unreachable=False, restored=False)
        assert kbs.entries("u", HOST) == [(1, name, 7), (2, name, value)]
        assert kbs.begin("u", HOST, restore=True, max_age=10, now=5) == [(name, 7), (name, value)]
        store.close()
