"""Opening the store: one SQLite database file, ``<state_dir>/store.sqlite``, in WAL mode.

Why SQLite rather than files renamed into place: a transaction is all or nothing, and it is
on disk the moment ``COMMIT`` returns (``synchronous = FULL``: the log is flushed at every
commit, so a crash of the machine loses nothing committed either). After a ``kill -9`` of the
daemon at any instant, the next open replays the write-ahead log and finds the last committed
state; a half-written transaction is simply not there. Scans of several users write at once
through one lock that SQLite takes per transaction (``busy_timeout`` makes a writer wait its
turn instead of failing), and readers (SESSIONS_LIST while a scan records) never wait for
writers. Hand-made files would need all of that written again, and fsync'd renames for every
result.

One daemon owns a state directory: :meth:`Store.open` takes an exclusive lock on
``store.lock`` for the life of the process (the kernel drops it when the process dies, however
it dies), so a second ``ixiond`` on the same directory is refused instead of mixing its scans
with the first one's. Whatever the previous owner left ``running`` was cut short: it is marked
``interrupted`` at open, which is what makes it listed and restorable.

Each thread gets its own connection (SQLite connections are not shared across threads).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = [
    "DATABASE_NAME",
    "LOCK_NAME",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "StoreLocked",
    "options_from_text",
    "options_text",
]

DATABASE_NAME: Final = "store.sqlite"
LOCK_NAME: Final = "store.lock"
SCHEMA_VERSION: Final = 1
#: Milliseconds a writer waits for another's transaction before giving up.
BUSY_TIMEOUT_MS: Final = 30_000

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS session (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    name TEXT NOT NULL,
    target TEXT NOT NULL,
    options TEXT NOT NULL,
    created REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'ended', 'interrupted')),
    detached INTEGER,
    UNIQUE (user, name)
);
CREATE TABLE IF NOT EXISTS session_message (
    session INTEGER NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    host TEXT NOT NULL,
    plugin INTEGER NOT NULL,
    kind TEXT NOT NULL,
    line BLOB NOT NULL,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_host (
    session INTEGER NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session, host)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_plugin (
    session INTEGER NOT NULL REFERENCES session (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    plugin INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kb TEXT NOT NULL,
    PRIMARY KEY (session, host, plugin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kb_host (
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    scanning INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user, host)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kb_entry (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    backup INTEGER NOT NULL DEFAULT 0,
    time REAL NOT NULL,
    name TEXT NOT NULL,
    value ANY NOT NULL
);
CREATE INDEX IF NOT EXISTS kb_entry_host ON kb_entry (user, host, backup, name);
CREATE TABLE IF NOT EXISTS detached (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    target TEXT NOT NULL,
    options TEXT NOT NULL,
    rules TEXT NOT NULL,
    client TEXT NOT NULL,
    created REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'ended', 'stopped')),
    session TEXT,
    loops INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
"""


class StoreError(Exception):
    """The store could not do what was asked (a full disk, a damaged file); says why."""


class StoreLocked(StoreError):
    """Another process owns this state directory's store."""


class Store:
    """The database of one state directory; use :meth:`open`."""

    def __init__(self, path: Path, lock: int | None = None) -> None:
        self.path = path
        self._lock_fd = lock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        #: The process the connections belong to (see :meth:`connection`).
        self._pid = os.getpid()
        #: Connections a parent process made before fork(): never used, never closed here.
        self._inherited: list[sqlite3.Connection] = []

    @classmethod
    def open(cls, state_dir: Path, *, exclusive: bool = True) -> Store:
        """Open (creating) the store of ``state_dir``; ``exclusive``: as its one daemon.

        Raises:
            StoreLocked: another live process opened it exclusively.
            StoreError: it cannot be created or read.
        """
        lock: int | None = None
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            if exclusive:
                lock = _lock(state_dir / LOCK_NAME)
            store = cls(state_dir / DATABASE_NAME, lock)
            db = store.connection()
            db.executescript(_SCHEMA)  # idempotent; executescript manages its own transaction
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if exclusive:
                with store.transaction() as db:
                    _mark_cut_short(db)
        except sqlite3.Error as exc:
            if lock is not None:
                os.close(lock)
            raise StoreError(f"cannot open the store in {state_dir}: {exc}") from exc
        except OSError as exc:
            if lock is not None:
                os.close(lock)
            raise StoreError(f"cannot open the store in {state_dir}: {exc.strerror}") from exc
        return store

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, made on first use.

        A connection does not survive fork(): SQLite's POSIX locks stay with the parent, so a
        child using the parent's connection writes unlocked, and when the parent exits and
        closes it, SQLite thinks it holds the last connection and checkpoints and deletes the
        WAL under the child ("disk I/O error", "database disk image is malformed"; seen with
        ``ixiond -D``). A child therefore makes its own, and keeps the inherited ones
        referenced so that they are never closed (freed) on its side either.
        """
        if self._pid != os.getpid():
            with self._guard:
                self._inherited.extend(self._connections)
                self._connections = []
                self._local = threading.local()
                self._pid = os.getpid()
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._local.db = db
            with self._guard:
                self._connections.append(db)
        return db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue here, not mid-way)."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled back already (a full disk)
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise

    def release_connections(self) -> None:
        """Close every connection, keeping the lock: before fork(), so that no connection is
        shared with the child (the next use opens a new one)."""
        with self._guard:
            if self._pid == os.getpid():  # a forked child leaves its parent's alone
                for db in self._connections:
                    with contextlib.suppress(sqlite3.Error):
                        db.close()
            else:
                self._inherited.extend(self._connections)
            self._connections.clear()
        self._local = threading.local()

    def close(self) -> None:
        """Close every connection and let the lock go."""
        self.release_connections()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreLocked(f"another ixiond uses {path.parent} (it holds {path.name})") from None
    return fd


def _mark_cut_short(db: sqlite3.Connection) -> None:
    """What a previous owner left running ended with it: sessions are interrupted (listed,
    restorable), saved KBs no longer being scanned."""
    db.execute("UPDATE session SET state = 'interrupted' WHERE state = 'running'")
    db.execute("UPDATE kb_host SET scanning = 0 WHERE scanning != 0")


def options_text(options: Iterable[tuple[str, str]]) -> str:
    """A scan's preferences as a column holds them (JSON pairs, in order)."""
    return json.dumps([list(item) for item in options])


def options_from_text(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in json.loads(text))
