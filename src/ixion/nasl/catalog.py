"""The plugin catalog: the metadata of every ``.nasl`` script under a folder, cached.

A feed is 136,000 scripts; describing them all (:mod:`ixion.nasl.description`) takes some
CPU-minutes, and a daemon restarts far more often than its feed changes. So the catalog
keeps each script's metadata in an SQLite file (the role ``nvticache`` gives Redis in
OpenVAS), keyed by the script's path relative to the folder:

* a file whose size and mtime (ns) match its row is not opened at all: a warm load is a
  directory walk and one table read;
* a file whose size or mtime changed is read and hashed (SHA-256); if the hash matches the
  row (a ``touch``, a feed sync rewriting identical files), only the row's stat is updated;
* anything else is described again, in a process pool over the CPUs;
* rows of files that are gone are deleted.

Scripts that fail (syntax errors, failures while describing, no id or name) are cached too,
with their reason (``file:line:col: message``), so a broken script costs nothing on the
next load and never stops this one.

The cache holds results of this version of ixion's interpreter and :mod:`marshal` format:
a different :data:`~ixion.nasl.metadata.FORMAT` empties it. Include files are not part of
the key: after an update that changes what an include defines for description parts
(rare: ``revisions-lib.inc`` has not changed in years), delete the cache file.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias

from .description import Describer, DescriptionError
from .metadata import FORMAT, NaslMetadata, from_bytes, to_bytes

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from pathlib import Path

__all__ = ["Catalog", "load_catalog"]

#: Files per pool task: large enough to amortise pickling, small enough to balance.
_CHUNK: Final = 200
#: Below this many files to describe, a pool costs more than it saves.
_POOL_THRESHOLD: Final = 100

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS format (value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scripts (
    path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 BLOB NOT NULL, record BLOB, error TEXT
);
"""

#: (path, size, mtime_ns, sha256, record, error): a row, and what a worker sends back.
_Row: TypeAlias = tuple[str, int, int, bytes, bytes | None, str | None]
#: A file to look at: its relative path and the hash its old row has, if any.
_Job: TypeAlias = tuple[str, bytes | None]


@dataclass(slots=True)
class Catalog:
    """The result of a load: metadata and failures by relative path, and what it cost."""

    scripts: dict[str, NaslMetadata] = field(default_factory=dict)
    #: Relative path -> why the script cannot be described.
    failures: dict[str, str] = field(default_factory=dict)
    #: Files opened during the load (new or with a changed stat).
    read: int = 0
    #: Files described during the load (their content was new).
    described: int = 0


def load_catalog(
    folder: Path,
    cache: Path,
    include_dirs: Sequence[Path] | None = None,
    *,
    jobs: int | None = None,
) -> Catalog:
    """Every ``.nasl`` file under ``folder``, described or taken from ``cache``.

    ``include_dirs`` defaults to ``folder`` itself (a feed keeps its ``.inc`` files at the
    top). ``jobs`` is the number of worker processes (default: one per CPU; 1: none).
    """
    folder = folder.resolve()
    dirs = [folder] if include_dirs is None else list(include_dirs)
    # A warm load builds millions of acyclic objects (a feed's metadata): the cycle
    # collector would walk them again and again, for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(folder, cache, dirs, jobs)
    finally:
        if collecting:
            gc.enable()


def _load(folder: Path, cache: Path, dirs: list[Path], jobs: int | None) -> Catalog:
    catalog = Catalog()
    with _Cache(cache) as db:
        files = list(_walk(folder))
        cached: dict[str, _Row] = {}
        known: dict[str, NaslMetadata | str] = {}
        for row in db.execute("SELECT path, size, mtime_ns, sha256, record, error FROM scripts"):
            cached[row[0]] = row
            known[row[0]] = _decode(row[0], row[4], row[5])
        work: list[_Job] = []
        stale: dict[str, _Row] = {}
        for rel, size, mtime_ns in files:
            row = cached.pop(rel, None)
            if row is not None and row[1] == size and row[2] == mtime_ns:
                _keep(catalog, rel, known[rel])
            else:
                work.append((rel, None if row is None else row[3]))
                if row is not None:
                    stale[rel] = row
        db.executemany("DELETE FROM scripts WHERE path = ?", [(rel,) for rel in cached])
        for new in _run(folder, dirs, work, jobs):
            rel, size, mtime_ns, digest, record, error = new
            catalog.read += 1
            old = stale.get(rel)
            if old is not None and old[3] == digest:
                record, error = old[4], old[5]
                _keep(catalog, rel, known[rel])
            else:
                catalog.described += size >= 0
                _keep(catalog, rel, _decode(rel, record, error))
            db.execute(
                "INSERT OR REPLACE INTO scripts (path, size, mtime_ns, sha256, record, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rel, size, mtime_ns, digest, record, error),
            )
    return catalog


def _decode(rel: str, record: bytes | None, error: str | None) -> NaslMetadata | str:
    """A row's metadata, or why there is none."""
    if record is None:
        return error or f"{rel}: unknown failure"
    try:
        return from_bytes(record)
    except ValueError as err:
        return f"{rel}: damaged cache record ({err})"


def _keep(catalog: Catalog, rel: str, found: NaslMetadata | str) -> None:
    if isinstance(found, str):
        catalog.failures[rel] = found
    else:
        catalog.scripts[rel] = found


class _Cache:
    """An open cache database, committed on a clean exit and closed either way."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        db = self.db
        db.execute("PRAGMA page_size = 16384")  # records are kilobytes: fewer overflow pages
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(_SCHEMA)
        db.execute("BEGIN IMMEDIATE")
        stored = db.execute("SELECT value FROM format").fetchone()
        if stored is None or stored[0] != FORMAT:
            db.execute("DELETE FROM scripts")
            db.execute("DELETE FROM format")
            db.execute("INSERT INTO format VALUES (?)", (FORMAT,))
        return db

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            self.db.close()


def _walk(folder: Path) -> Iterator[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of each ``.nasl`` file; dot-files are skipped."""
    stack = [("", os.fspath(folder))]
    while stack:
        prefix, directory = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{prefix}{name}/", entry.path))
                elif name.endswith(".nasl"):
                    stat = entry.stat()
                    yield f"{prefix}{name}", stat.st_size, stat.st_mtime_ns


def _run(folder: Path, dirs: list[Path], work: list[_Job], jobs: int | None) -> Iterable[_Row]:
    """Look at the files of ``work``, in this process or in a pool."""
    jobs = jobs if jobs is not None else os.cpu_count() or 1
    if jobs <= 1 or len(work) < _POOL_THRESHOLD:
        describer = Describer(dirs)
        return (_look(describer, folder, job) for job in work)
    chunks = [work[start : start + _CHUNK] for start in range(0, len(work), _CHUNK)]
    return _pooled(folder, dirs, chunks, jobs)


def _pooled(folder: Path, dirs: list[Path], chunks: list[list[_Job]], jobs: int) -> Iterator[_Row]:
    context = multiprocessing.get_context("spawn")  # safe in a daemon with threads
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker, initargs=(folder, dirs)
    ) as pool:
        for rows in pool.map(_look_all, chunks):
            yield from rows


_worker: tuple[Path, Describer] | None = None


def _start_worker(folder: Path, dirs: list[Path]) -> None:
    """Parsing makes millions of acyclic nodes: the cycle collector would only walk them."""
    global _worker
    gc.disable()
    gc.freeze()
    _worker = (folder, Describer(dirs))


def _look_all(jobs: list[_Job]) -> list[_Row]:
    assert _worker is not None
    folder, describer = _worker
    return [_look(describer, folder, job) for job in jobs]


def _look(describer: Describer, folder: Path, job: _Job) -> _Row:
    """Read one file; describe it unless its hash is the old one (then no record).

    A file that cannot be read gets size -1, so the next load looks at it again.
    """
    rel, old_digest = job
    try:
        with open(folder / rel, "rb") as file:
            stat = os.fstat(file.fileno())
            source = file.read()
    except OSError as err:
        return rel, -1, -1, b"", None, f"{rel}: cannot read: {err.strerror}"
    digest = hashlib.sha256(source).digest()
    if digest == old_digest:
        return rel, stat.st_size, stat.st_mtime_ns, digest, None, None
    try:
        meta = describer.describe_source(source, rel, (folder / rel).parent)
    except DescriptionError as err:
        return rel, stat.st_size, stat.st_mtime_ns, digest, None, str(err)
    except Exception as err:  # an interpreter bug must not end a feed load
        reason = f"{rel}: internal error while describing: {type(err).__name__}: {err}"
        return rel, stat.st_size, stat.st_mtime_ns, digest, None, reason
    return rel, stat.st_size, stat.st_mtime_ns, digest, to_bytes(meta), None
