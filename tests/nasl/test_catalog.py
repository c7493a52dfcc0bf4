"""The plugin catalog: cold and warm loads, changes, deletions and broken scripts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ixion.nasl import catalog as catalog_module
from ixion.nasl.catalog import load_catalog
from ixion.nasl.description import Describer
from ixion.nasl.metadata import NaslMetadata


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


def test_damaged_cache_record(feed: Path, tmp_path: Path) -> None:
    import sqlite3

    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE scripts SET record = x'00' WHERE path = 'a.nasl'")
    db.close()
    damaged = load_catalog(feed, cache, jobs=1)
    assert "damaged cache record" in damaged.failures["a.nasl"]


def test_other_format_empties_the_cache(
    feed: Path, tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache.sqlite"
    load_catalog(feed, cache, jobs=1)
    calls.clear()
    monkeypatch.setattr(catalog_module, "FORMAT", "another")
    assert load_catalog(feed, cache, jobs=1).described == 3
