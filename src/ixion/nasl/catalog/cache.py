"""The plugin catalog: the metadata of every ``.nasl`` script under a folder, cached.

A feed is 136,000 scripts; describing them all (:mod:`ixion.nasl.catalog.describe`) takes some
CPU-minutes, and a daemon restarts far more often than its feed changes. So the catalog
keeps each script's metadata in an SQLite file (the role ``nvticache`` gives Redis in
OpenVAS), keyed by the script's path relative to the folder:

* a file whose size and mtime (ns) match its row is not opened at all;
* a file whose size or mtime changed is read and hashed (SHA-256); if the hash matches the
  row (a ``touch``, a feed sync rewriting identical files), only the row's stat is updated;
* anything else is described again, in a process pool over the CPUs;
* rows of files that are gone are deleted.

Scripts that fail (syntax errors, failures while describing, no id or name) are cached too,
with their reason (``file:line:col: message``), so a broken script costs nothing on the
next load and never stops this one.

Reading 136,000 rows and unmarshalling each record takes seconds, so the file also keeps a
*snapshot*: one marshal blob of every file's (path, size, mtime) in walk order and its
metadata fields or failure, equal strings stored once. A warm load is a directory walk (a
``stat`` per file), one blob read and one list comparison. Any difference, or a damaged
snapshot, falls back to the rows; a load that changed anything writes a new snapshot in
the transaction that changes the rows, so the two always agree.

The cache holds results of this version of ixion's interpreter and :mod:`marshal` format: a
different :data:`~ixion.nasl.description.metadata.FORMAT` empties it. A damaged record or snapshot
is not an error: the script is described again, the snapshot rebuilt. Include files are not part of
the key: after an update that changes what an include defines for description parts (rare:
``revisions-lib.inc`` has not changed in years), delete the cache file.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias, TypeGuard

from ixion.lifeline import die_with_parent
from ixion.nasl.catalog.names import undecodable
from ixion.nasl.description.metadata import (
    FIELDS,
    FORMAT,
    NaslMetadata,
    from_fields,
    share_equal,
    to_bytes,
    valid_fields,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from pathlib import Path

    from ixion.nasl.catalog.describe import Describer

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
CREATE TABLE IF NOT EXISTS snapshot (data BLOB NOT NULL);
"""
_SNAPSHOT_ROW: Final = 1  # the snapshot's one row

#: (path, size, mtime_ns, sha256, record, error): a row, and what a worker sends back.
_Row: TypeAlias = tuple[str, int, int, bytes, bytes | None, str | None]
#: A file to look at: its relative path and the hash its old row has, if any.
_Job: TypeAlias = tuple[str, bytes | None]
#: (relative path, size, mtime_ns) of a file, as walked or as cached.
_Stat: TypeAlias = tuple[str, int, int]
#: What the cache knows of a script: its metadata fields (``to_fields``) or why it fails.
_Entry: TypeAlias = tuple[object, ...] | str
#: What the cache had for a path: size, mtime_ns, entry (None if damaged).
_Known: TypeAlias = dict[str, tuple[int, int, _Entry | None]]
_PREFERENCES: Final = FIELDS.index("preferences")


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
        with _Cache(cache) as db:
            files = _walk(os.fspath(folder))
            snapshot = _read_snapshot(db)
            if snapshot is not None and snapshot[0] == files:
                return _catalog(files, snapshot[1])
            known = _rows(db) if snapshot is None else _index(*snapshot)
            del snapshot
            return _update(db, folder, dirs, jobs, files, known)
    finally:
        if collecting:
            gc.enable()


def _update(
    db: sqlite3.Connection,
    folder: Path,
    dirs: list[Path],
    jobs: int | None,
    files: list[_Stat],
    known: _Known,
) -> Catalog:
    """Bring the rows up to date with ``files``, then write the snapshot of the result."""
    stats = list(files)  # each file's stat as stored: the worker's, for files read
    entries: list[_Entry | None] = []
    position: dict[str, int] = {}
    previous: dict[str, _Entry] = {}
    work: list[_Job] = []
    for index, (rel, size, mtime_ns) in enumerate(files):
        old = known.pop(rel, None)
        entry = None if old is None else old[2]
        if entry is not None and old is not None and old[:2] == (size, mtime_ns):
            entries.append(entry)
            continue
        entries.append(None)
        position[rel] = index
        digest = None
        if entry is not None:
            previous[rel] = entry
            row = db.execute("SELECT sha256 FROM scripts WHERE path = ?", (rel,)).fetchone()
            digest = None if row is None else bytes(row[0])
        work.append((rel, digest))
    db.executemany("DELETE FROM scripts WHERE path = ?", [(rel,) for rel in known])
    read = described = 0
    for rel, size, mtime_ns, digest, record, error in _run(folder, dirs, work, jobs):
        read += 1
        index = position[rel]
        stats[index] = (rel, size, mtime_ns)
        if record is None and error is None:  # the same content as the row's
            entries[index] = previous[rel]
            db.execute(
                "UPDATE scripts SET size = ?, mtime_ns = ? WHERE path = ?", (size, mtime_ns, rel)
            )
            continue
        described += size >= 0
        entries[index] = error if record is None else marshal.loads(record)
        db.execute(
            "INSERT OR REPLACE INTO scripts (path, size, mtime_ns, sha256, record, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (rel, size, mtime_ns, digest, record, error),
        )
    shared: list[_Entry] = share_equal(entries)  # type: ignore[arg-type]  # all looked at
    db.execute(
        "INSERT OR REPLACE INTO snapshot (rowid, data) VALUES (?, ?)",
        (_SNAPSHOT_ROW, marshal.dumps((FORMAT, stats, shared), marshal.version)),
    )
    catalog = _catalog(stats, shared)
    catalog.read, catalog.described = read, described
    return catalog


def _catalog(files: list[_Stat], entries: list[_Entry]) -> Catalog:
    """The catalog of checked entries (see :func:`_valid_entry`), in walk order.

    This is :func:`~ixion.nasl.description.metadata.from_fields` inlined for the entries without
    preferences (nearly all): a third of the time of a warm load's decoding.
    """
    catalog = Catalog()
    scripts, failures = catalog.scripts, catalog.failures
    new = object.__new__
    for (rel, _, _), entry in zip(files, entries, strict=True):
        if type(entry) is str:
            failures[rel] = entry
        elif entry[_PREFERENCES]:
            scripts[rel] = from_fields(entry)
        else:
            meta = new(NaslMetadata)
            meta.__dict__.update(zip(FIELDS, entry, strict=True))
            scripts[rel] = meta
    return catalog


def _read_snapshot(db: sqlite3.Connection) -> tuple[list[_Stat], list[_Entry]] | None:
    """The snapshot's stats and entries, or None if there is none or it is damaged."""
    try:
        with db.blobopen("snapshot", "data", _SNAPSHOT_ROW, readonly=True) as blob:
            data = blob.read()
        stored = marshal.loads(data)
    except (sqlite3.Error, EOFError, TypeError, ValueError):
        return None
    del data
    if type(stored) is not tuple or len(stored) != 3 or stored[0] != FORMAT:
        return None
    _, files, entries = stored
    if type(files) is list and type(entries) is list and len(files) == len(entries):
        return (files, entries) if all(map(_valid_entry, entries)) else None
    return None


def _index(files: list[_Stat], entries: list[_Entry]) -> _Known:
    """A snapshot by path, as :func:`_update` wants it."""
    known: _Known = {}
    for stat, entry in zip(files, entries, strict=True):
        if type(stat) is tuple and len(stat) == 3:
            known[stat[0]] = (stat[1], stat[2], entry)
    return known


def _rows(db: sqlite3.Connection) -> _Known:
    """The rows by path: the slow way, when there is no usable snapshot."""
    known: _Known = {}
    for rel, size, mtime_ns, record, error in db.execute(
        "SELECT path, size, mtime_ns, record, error FROM scripts"
    ):
        entry: object = error or f"{rel}: unknown failure"
        if record is not None:
            try:
                entry = marshal.loads(record)
            except (EOFError, TypeError, ValueError):
                entry = None
        known[rel] = (size, mtime_ns, entry if _valid_entry(entry) else None)
    return known


def _valid_entry(entry: object) -> TypeGuard[_Entry]:
    return type(entry) is str or valid_fields(entry)


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
            db.execute("DELETE FROM snapshot")
            db.execute("DELETE FROM format")
            db.execute("INSERT INTO format VALUES (?)", (FORMAT,))
        return db

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            self.db.close()


def _walk(folder: str) -> list[_Stat]:
    """(relative path, size, mtime_ns) of each ``.nasl`` file; skips dot-files and non-UTF-8 names.

    The stat calls are most of a warm load: each directory is opened once and its files
    are stat'ed relative to it (``fstatat``), so the kernel does not resolve the whole
    path again for each file. A file that vanishes meanwhile is not there.
    """
    found: list[_Stat] = []
    add = found.append
    stack = [("", folder)]
    while stack:
        prefix, directory = stack.pop()
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if not name.isascii() and undecodable(directory, name):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((f"{prefix}{name}/", f"{directory}/{name}"))
                    elif name.endswith(".nasl"):
                        try:
                            stat = entry.stat()
                        except OSError:
                            continue
                        add((prefix + name, stat.st_size, stat.st_mtime_ns))
        finally:
            os.close(fd)
    return found


def _run(folder: Path, dirs: list[Path], work: list[_Job], jobs: int | None) -> Iterable[_Row]:
    """Look at the files of ``work``, in this process or in a pool.

    The interpreter is imported here, not at the top: a warm load never needs it.
    """
    if not work:
        return ()
    from ixion.nasl.catalog.describe import Describer

    jobs = jobs if jobs is not None else os.cpu_count() or 1
    if jobs <= 1 or len(work) < _POOL_THRESHOLD:
        describer = Describer(dirs)
        return (_look(describer, folder, job) for job in work)
    chunks = [work[start : start + _CHUNK] for start in range(0, len(work), _CHUNK)]
    return _pooled(folder, dirs, chunks, jobs)


def _pooled(folder: Path, dirs: list[Path], chunks: list[list[_Job]], jobs: int) -> Iterator[_Row]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # safe in a daemon with threads
    starter = (folder, dirs, os.getpid())
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker, initargs=starter
    ) as pool:
        for rows in pool.map(_look_all, chunks):
            yield from rows


_worker: tuple[Path, Describer] | None = None


def _start_worker(folder: Path, dirs: list[Path], parent: int) -> None:
    """Parsing makes millions of acyclic nodes: the cycle collector would only walk them.
    A worker dies with the process that started the pool, even one killed by SIGKILL."""
    from ixion.nasl.catalog.describe import Describer

    die_with_parent(parent)
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
    from ixion.nasl.catalog.describe import DescriptionError

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
