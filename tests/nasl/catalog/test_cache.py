"""The plugin catalog: cold and warm loads, changes, deletions and broken scripts."""

from __future__ import annotations

import marshal
import os
import sqlite3
from pathlib import Path

import pytest

from ixion.nasl.catalog import cache as catalog_module
from ixion.nasl.catalog.cache import load_catalog
from ixion.nasl.catalog.describe import Describer
from ixion.nasl.description.metadata import NaslMetadata


def script(number: int, name: str) -> bytes:
    return (
        b'include("lib.inc");\n'
        b"if (description) {\n"
        b'  script_oid("1.3.6.1.4.1.25623.1.0.%d");\n'
        b"  script_name(prefix() + %s);\n"
        b"  exit(0);\n"
        b"}\n" % (number, b'"' + name.encode() + b'"')
    )


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    (folder / "2024").mkdir(parents=True)
    (folder / "lib.inc").write_bytes(b'function prefix() { return "P: "; }\n')
    (folder / "a.nasl").write_bytes(script(1, "A"))
    (folder / "2024" / "b.nasl").write_bytes(script(2, "B"))
    (folder / ".hidden.nasl").write_bytes(b"not a plugin")
    (folder / "broken.nasl").write_bytes(b"if (description) {\n  script_oid(1)\n}\n")
    return folder


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scripts described in this process (the loads below run without a pool)."""
    described: list[str] = []
    original = Describer.describe_source

    def counting(
        self: Describer, source: bytes, filename: str, directory: Path | None = None
    ) -> NaslMetadata:
        described.append(filename)
        return original(self, source, filename, directory)

    monkeypatch.setattr(Describer, "describe_source", counting)
    return described


def names(catalog: catalog_module.Catalog) -> dict[str, str]:
    return {rel: meta.name for rel, meta in catalog.scripts.items()}


def test_cold_then_warm(feed: Path, tmp_path: Path, calls: list[str]) -> None:
    cache = tmp_path / "cache.sqlite"
    cold = load_catalog(feed, cache, jobs=1)
    assert names(cold) == {"a.nasl": "P: A", "2024/b.nasl": "P: B"}
    assert list(cold.failures) == ["broken.nasl"]
    reason = cold.failures["broken.nasl"]
    assert reason == "broken.nasl:2:16: expected ';' after the call, found '}'"
    assert (cold.read, cold.described) == (3, 3)
    assert sorted(calls) == ["2024/b.nasl", "a.nasl", "broken.nasl"]

    calls.clear()
    warm = load_catalog(feed, cache, jobs=1)
    assert (warm.read, warm.described, calls) == (0, 0, [])
    assert warm.scripts == cold.scripts
    assert warm.failures == cold.failures


def test_changes_are_seen(feed: Path, tmp_path: Path, calls: list[str]) -> None:
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    (feed / "a.nasl").write_bytes(script(1, "A2"))
    (feed / "2024" / "b.nasl").unlink()
    (feed / "broken.nasl").write_bytes(script(3, "Fixed"))
    (feed / "c.nasl").write_bytes(script(4, "C"))
    later = load_catalog(feed, cache, jobs=1)
    assert names(later) == {"a.nasl": "P: A2", "broken.nasl": "P: Fixed", "c.nasl": "P: C"}
    assert later.failures == {}
    assert sorted(calls) == ["a.nasl", "broken.nasl", "c.nasl"]
    assert "2024/b.nasl" not in load_catalog(feed, cache, jobs=1).scripts


def test_touched_but_identical_is_not_described(
    feed: Path, tmp_path: Path, calls: list[str]
) -> None:
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    stat = (feed / "a.nasl").stat()
    os.utime(feed / "a.nasl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = load_catalog(feed, cache, jobs=1)
    assert (touched.read, touched.described, calls) == (1, 0, [])
    assert touched.scripts["a.nasl"].name == "P: A"
    again = load_catalog(feed, cache, jobs=1)  # the new mtime was stored
    assert again.read == 0


def test_pool_gives_the_same_answer(feed: Path, tmp_path: Path) -> None:
    for number in range(catalog_module._POOL_THRESHOLD):
        (feed / f"s{number}.nasl").write_bytes(script(100 + number, f"S{number}"))
    pooled = load_catalog(feed, tmp_path / "pooled.sqlite", jobs=2)
    alone = load_catalog(feed, tmp_path / "alone.sqlite", jobs=1)
    assert pooled.described == alone.described == catalog_module._POOL_THRESHOLD + 3
    assert pooled.scripts == alone.scripts
    assert pooled.failures == alone.failures


def drop_snapshot(cache: Path) -> None:
    with sqlite3.connect(cache) as db:
        db.execute("DELETE FROM snapshot")
    db.close()


def test_warm_load_reads_the_snapshot_not_the_rows(
    feed: Path, tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache.sqlite"
    cold = load_catalog(feed, cache, jobs=1)
    with monkeypatch.context() as patch:
        patch.setattr(catalog_module, "_rows", lambda db: pytest.fail("rows read"))
        warm = load_catalog(feed, cache, jobs=1)
    assert (warm.scripts, warm.failures, warm.read) == (cold.scripts, cold.failures, 0)
    assert list(warm.scripts) == list(cold.scripts)  # the walk's order, every time


def test_damaged_record_is_described_again(feed: Path, tmp_path: Path, calls: list[str]) -> None:
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE scripts SET record = x'00' WHERE path = 'a.nasl'")
        db.execute("UPDATE scripts SET record = x'e9' WHERE path = '2024/b.nasl'")
    db.close()
    # The snapshot does not read the rows: nothing to see yet.
    assert load_catalog(feed, cache, jobs=1).read == 0
    drop_snapshot(cache)
    rebuilt = load_catalog(feed, cache, jobs=1)
    assert names(rebuilt) == {"a.nasl": "P: A", "2024/b.nasl": "P: B"}
    assert sorted(calls) == ["2024/b.nasl", "a.nasl"]
    assert (rebuilt.read, rebuilt.described) == (2, 2)
    drop_snapshot(cache)
    assert load_catalog(feed, cache, jobs=1).read == 0  # the rows were repaired


@pytest.mark.parametrize("damage", [b"", b"\x00", b"garbage", marshal.dumps(("other", [], []))])
def test_damaged_snapshot_falls_back_to_the_rows(
    feed: Path, tmp_path: Path, calls: list[str], damage: bytes
) -> None:
    cache = tmp_path / "cache.sqlite"
    cold = load_catalog(feed, cache, jobs=1)
    calls.clear()
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE snapshot SET data = ?", (damage,))
    db.close()
    warm = load_catalog(feed, cache, jobs=1)
    assert (warm.scripts, warm.failures, warm.read, calls) == (cold.scripts, cold.failures, 0, [])
    with sqlite3.connect(cache) as db:
        (data,) = db.execute("SELECT data FROM snapshot").fetchone()
    db.close()
    assert data != damage  # rebuilt


def test_snapshot_with_a_bad_entry_is_not_used(feed: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    cold = load_catalog(feed, cache, jobs=1)
    with sqlite3.connect(cache) as db:
        (data,) = db.execute("SELECT data FROM snapshot").fetchone()
        fmt, stats, entries = marshal.loads(data)
        entries[0] = ("too", "short")
        db.execute("UPDATE snapshot SET data = ?", (marshal.dumps((fmt, stats, entries)),))
    db.close()
    warm = load_catalog(feed, cache, jobs=1)
    assert (warm.scripts, warm.failures, warm.read) == (cold.scripts, cold.failures, 0)


def test_changes_seen_through_the_snapshot(
    feed: Path, tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a snapshot, a changed feed never reads every row; removed files go."""
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    monkeypatch.setattr(catalog_module, "_rows", lambda db: pytest.fail("rows read"))
    (feed / "a.nasl").write_bytes(script(1, "A2"))
    (feed / "2024" / "b.nasl").unlink()
    (feed / "c.nasl").write_bytes(script(4, "C"))
    later = load_catalog(feed, cache, jobs=1)
    assert names(later) == {"a.nasl": "P: A2", "c.nasl": "P: C"}
    assert sorted(calls) == ["a.nasl", "c.nasl"]
    with sqlite3.connect(cache) as db:
        paths = sorted(path for (path,) in db.execute("SELECT path FROM scripts"))
    db.close()
    assert paths == ["a.nasl", "broken.nasl", "c.nasl"]
    calls.clear()
    again = load_catalog(feed, cache, jobs=1)
    assert (again.read, calls, again.scripts) == (0, [], later.scripts)


def test_odd_files(feed: Path, tmp_path: Path) -> None:
    """Vanishing and unreadable files never stop a load; unreadable ones are retried."""
    cache = tmp_path / "cache.sqlite"
    (feed / "loop.nasl").symlink_to("loop.nasl")  # stat fails, as for a file just removed
    (feed / "dangling.nasl").symlink_to("nowhere")
    (feed / "dir.nasl").mkdir()  # a directory that looks like a script is walked
    (feed / "dir.nasl" / "d.nasl").write_bytes(script(5, "D"))
    (feed / "linked.nasl").symlink_to("2024")  # stat works, reading does not
    first = load_catalog(feed, cache, jobs=1)
    assert names(first)["dir.nasl/d.nasl"] == "P: D"
    assert not {"loop.nasl", "dangling.nasl"} & {*first.scripts, *first.failures}
    assert first.failures["linked.nasl"].startswith("linked.nasl: cannot read:")
    again = load_catalog(feed, cache, jobs=1)
    assert (again.read, again.described) == (1, 0)
    assert again.failures == first.failures
    (feed / "linked.nasl").unlink()
    (feed / "linked.nasl").write_bytes(script(6, "L"))
    assert names(load_catalog(feed, cache, jobs=1))["linked.nasl"] == "P: L"


def test_other_format_empties_the_cache(
    feed: Path, tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    monkeypatch.setattr(catalog_module, "FORMAT", "another")
    assert load_catalog(feed, cache, jobs=1).described == 3
    assert not load_catalog(feed, cache, jobs=1).read  # and it stays so
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT count(*) FROM snapshot").fetchone() == (1,)
    db.close()


def test_touched_file_through_the_rows(feed: Path, tmp_path: Path, calls: list[str]) -> None:
    """Without a snapshot (damaged, say), the rows give the hash of a touched file too."""
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    drop_snapshot(cache)
    stat = (feed / "a.nasl").stat()
    os.utime(feed / "a.nasl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = load_catalog(feed, cache, jobs=1)
    assert (touched.read, touched.described, calls) == (1, 0, [])
    assert touched.scripts["a.nasl"].name == "P: A"
